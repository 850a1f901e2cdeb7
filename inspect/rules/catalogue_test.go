package rules

import (
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/container/apiv1/containerpb"

	compute "google.golang.org/api/compute/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inspect/rules/events"
	"github.com/lbdiag/lbdiag/inspect/rules/ingress"
	"github.com/lbdiag/lbdiag/inspect/rules/lb"
	"github.com/lbdiag/lbdiag/inspect/rules/network"
	"github.com/lbdiag/lbdiag/inventory"
)

// messages returns "rule resource: message" of each finding.
func messages(fs []inspect.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+" "+f.Resource.Kind+" "+f.Resource.Namespace+"/"+f.Resource.Name+": "+f.Message)
	}
	return out
}

func expect(t *testing.T, fs []inspect.Finding, want ...string) {
	t.Helper()
	if len(fs) != len(want) {
		t.Fatalf("got %d findings, want %d:\n%s", len(fs), len(want), strings.Join(messages(fs), "\n"))
	}
	for i, line := range messages(fs) {
		if !strings.Contains(line, want[i]) {
			t.Errorf("finding %d %q does not contain %q", i, line, want[i])
		}
	}
}

func TestIngressBackendRules(t *testing.T) {
	t.Parallel()
	named := func(ns, name, svc, port string) networkingv1.Ingress {
		ing := newIngress(ns, name, "", svc)
		ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port = networkingv1.ServiceBackendPort{Name: port}
		return ing
	}
	tests := []struct {
		name      string
		ingresses []networkingv1.Ingress
		services  []corev1.Service
		fail      inventory.Source
		rule      *inspect.Rule
		want      []string
	}{
		{name: "a resource backend cannot be translated", rule: ingress.IngressBackendNotService, ingresses: []networkingv1.Ingress{func() networkingv1.Ingress {
			ing := newIngress("shop", "site", "", "web")
			ing.Spec.DefaultBackend = &networkingv1.IngressBackend{Resource: &corev1.TypedLocalObjectReference{APIGroup: ptr("storage.k8s.io"), Kind: "StorageBucket", Name: "static"}}
			ing.Spec.Rules[0].HTTP.Paths[0].Backend = networkingv1.IngressBackend{Resource: &corev1.TypedLocalObjectReference{Kind: "ConfigMap", Name: "x"}}
			return ing
		}()}, services: []corev1.Service{service("shop", "web", nil)},
			want: []string{`spec.defaultBackend is a resource backend (apiGroup "storage.k8s.io", kind StorageBucket, name static)`, `spec.rules[0].http.paths[0].backend is a resource backend`}},
		{name: "Service backends are fine", rule: ingress.IngressBackendNotService, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "", "web")}, services: []corev1.Service{service("shop", "web", nil)}},
		// Every rule must survive a resource backend (check-gke-ingress
		// crashes on it).
		{name: "a resource backend crashes nothing", rule: ingress.IngressServiceMissing, ingresses: []networkingv1.Ingress{func() networkingv1.Ingress {
			ing := newIngress("shop", "site", "", "web")
			ing.Spec.DefaultBackend = &networkingv1.IngressBackend{Resource: &corev1.TypedLocalObjectReference{Kind: "StorageBucket", Name: "static"}}
			return ing
		}()}, services: []corev1.Service{service("shop", "web", nil)}},
		{name: "Service exists", rule: ingress.IngressServiceMissing, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "", "web")}, services: []corev1.Service{service("shop", "web", nil)}},
		{name: "Service in another namespace", rule: ingress.IngressServiceMissing, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "", "web")}, services: []corev1.Service{service("default", "web", nil)},
			want: []string{`routes to Service "web", which does not exist in namespace shop`}},
		{name: "another controller's Ingress", rule: ingress.IngressServiceMissing, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "nginx", "web")}},
		{name: "Service list failed", rule: ingress.IngressServiceMissing, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "", "web")}, fail: inventory.KubeServices},
		{name: "port by number", rule: ingress.IngressServicePortMissing, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "", "web")}, services: []corev1.Service{service("shop", "web", nil)}},
		{name: "target port used as port", rule: ingress.IngressServicePortMissing, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "", "web")},
			services: []corev1.Service{service("shop", "web", nil, corev1.ServicePort{Name: "http", Port: 8080, TargetPort: intstr.FromInt(80)})},
			want:     []string{"uses port 80 of Service web, which has no port of that number"}},
		{name: "port by name", rule: ingress.IngressServicePortMissing, ingresses: []networkingv1.Ingress{named("shop", "site", "web", "http")}, services: []corev1.Service{service("shop", "web", nil)}},
		{name: "name not number", rule: ingress.IngressServicePortMissing, ingresses: []networkingv1.Ingress{named("shop", "site", "web", "80")}, services: []corev1.Service{service("shop", "web", nil)},
			want: []string{"uses port 80 of Service web, which has no port of that name"}},
		{name: "Service missing is the other rule's", rule: ingress.IngressServicePortMissing, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "", "web")}},
		{name: "ClusterIP without NEG", rule: ingress.ServiceTypeInvalid, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "", "web", "web")}, services: []corev1.Service{service("shop", "web", nil)},
			want: []string{"Service shop/web: Service is of type ClusterIP"}},
		{name: "ClusterIP with NEG", rule: ingress.ServiceTypeInvalid, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "", "web")}, services: []corev1.Service{service("shop", "web", map[string]string{gke.AnnNEG: `{"ingress":true}`})}},
		// maybeEnableNEG (kubernetes/ingress-gce pkg/controller/translator)
		// checks the Service type before it forces NEGs for the regional
		// classes: a ClusterIP Service without "ingress": true fails with
		// ErrBadSvcType whatever the class.
		{name: "internal Ingress, ClusterIP without NEG: the type error", rule: ingress.ServiceTypeInvalid, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "gce-internal", "web")}, services: []corev1.Service{service("shop", "web", nil)},
			want: []string{`(class gce-internal) routes to it: the controller fails with service "shop/web" is type "ClusterIP", expected "NodePort" or "LoadBalancer"`}},
		{name: "regional external Ingress, ClusterIP without NEG: the type error", rule: ingress.ServiceTypeInvalid, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "gce-regional-external", "web")}, services: []corev1.Service{service("shop", "web", nil)},
			want: []string{`(class gce-regional-external)`}},
		{name: "internal Ingress, ClusterIP without NEG: not the NEG 404", rule: ingress.ILBNEGAnnotationMissing, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "gce-internal", "web")}, services: []corev1.Service{service("shop", "web", map[string]string{gke.AnnNEG: `{"exposed_ports":{"80":{}}}`})}},
		{name: "internal Ingress, NodePort without NEG: the NEG 404", rule: ingress.ILBNEGAnnotationMissing, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "gce-internal", "web")}, services: []corev1.Service{nodePort(service("shop", "web", map[string]string{gke.AnnNEG: `{"exposed_ports":{"80":{}}}`}))},
			want: []string{`without "ingress": true: the controller builds NEG backends for class gce-internal`}},
		{name: "regional external Ingress, NodePort without NEG: the NEG 404", rule: ingress.ILBNEGAnnotationMissing, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "gce-regional-external", "web")}, services: []corev1.Service{nodePort(service("shop", "web", nil))},
			want: []string{`(class gce-regional-external)`}},
		{name: "internal Ingress, NodePort without NEG: passes the type check", rule: ingress.ServiceTypeInvalid, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "gce-internal", "web")}, services: []corev1.Service{nodePort(service("shop", "web", nil))}},
		{name: "internal with NEG", rule: ingress.ILBNEGAnnotationMissing, ingresses: []networkingv1.Ingress{newIngress("shop", "site", "gce-internal", "web")}, services: []corev1.Service{service("shop", "web", map[string]string{gke.AnnNEG: `{"ingress": true}`})}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
			cl.Ingresses, cl.Services = tc.ingresses, tc.services
			inv := newInventory(cl)
			if tc.fail != "" {
				failSource(inv, tc.fail, cl.Scope())
			}
			expect(t, run(t, inv, tc.rule), tc.want...)
		})
	}
}

func nodePort(svc corev1.Service) corev1.Service {
	svc.Spec.Type = corev1.ServiceTypeNodePort
	for i := range svc.Spec.Ports {
		svc.Spec.Ports[i].NodePort = 30080 + int32(i)
	}
	return svc
}

func TestServiceAnnotationRules(t *testing.T) {
	t.Parallel()
	https := corev1.ServicePort{Name: "https", Port: 443, TargetPort: intstr.FromInt(8443)}
	tests := []struct {
		name string
		ann  map[string]string
		rule *inspect.Rule
		want []string
		fix  string
	}{
		{name: "backend-config not JSON", rule: ingress.BackendConfigAnnotationInvalid, ann: map[string]string{gke.AnnBackendConfig: `{"default":`}, want: []string{"is not valid JSON"}},
		{name: "backend-config without fields", rule: ingress.BackendConfigAnnotationInvalid, ann: map[string]string{gke.AnnBackendConfig: `{"defaults":"x"}`}, want: []string{`neither "default" nor "ports"`}},
		{name: "backend-config with ports", rule: ingress.BackendConfigAnnotationInvalid, ann: map[string]string{gke.AnnBackendConfig: `{"ports":{"https":"x"}}`}},
		{name: "NEG not JSON", rule: ingress.NEGAnnotationInvalid, ann: map[string]string{gke.AnnNEG: `{ingress: true}`}, want: []string{"is not valid JSON"}},
		{name: "NEG exposes a target port", rule: ingress.NEGAnnotationInvalid, ann: map[string]string{gke.AnnNEG: `{"exposed_ports":{"8443":{}}}`}, want: []string{"exposes port 8443, but the Service's ports are 443"},
			fix: `cloud.google.com/neg='{"exposed_ports":{"443":{}}}'`},
		{name: "NEG exposes a port", rule: ingress.NEGAnnotationInvalid, ann: map[string]string{gke.AnnNEG: `{"exposed_ports":{"443":{}}}`}},
		{name: "protocol misspelt", rule: ingress.AppProtocolsInvalid, ann: map[string]string{gke.AnnAppProtocols: `{"https":"HTTPS2"}`}, want: []string{`"https" maps to "HTTPS2"`}},
		{name: "protocol keyed by number", rule: ingress.AppProtocolsInvalid, ann: map[string]string{gke.AnnAppProtocols: `{"443":"HTTPS"}`}, want: []string{`key "443" is a port number`},
			fix: `cloud.google.com/app-protocols='{"https":"HTTPS"}'`},
		{name: "alpha key read first", rule: ingress.AppProtocolsInvalid, ann: map[string]string{gke.AnnAppProtocolsAlpha: `{"https":"TCP"}`, gke.AnnAppProtocols: `{"https":"HTTPS"}`}, want: []string{"service.alpha.kubernetes.io/app-protocols"}},
		{name: "protocols fine", rule: ingress.AppProtocolsInvalid, ann: map[string]string{gke.AnnAppProtocols: `{"https":"HTTP2"}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
			cl.Services = []corev1.Service{service("shop", "web", tc.ann, https)}
			got := run(t, newInventory(cl), tc.rule)
			expect(t, got, tc.want...)
			if tc.fix != "" && !strings.Contains(got[0].Remediation, tc.fix) {
				t.Errorf("remediation %q does not contain %q", got[0].Remediation, tc.fix)
			}
		})
	}
}

func TestIngressSpecRules(t *testing.T) {
	t.Parallel()
	with := func(ann map[string]string, edit func(*networkingv1.Ingress)) networkingv1.Ingress {
		ing := newIngress("shop", "site", "", "web")
		for k, v := range ann {
			ing.Annotations[k] = v
		}
		if edit != nil {
			edit(&ing)
		}
		return ing
	}
	tlsNoSecret := func(ing *networkingv1.Ingress) {
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{"a.example.com"}}}
	}
	tests := []struct {
		name string
		ing  networkingv1.Ingress
		fcs  []string
		rule *inspect.Rule
		want []string
	}{
		{name: "allow-http false, no TLS", rule: ingress.AllowHTTPWithoutTLS, ing: with(map[string]string{gke.AnnAllowHTTP: "false"}, nil), want: []string{"the load balancer is never built"}},
		{name: "allow-http 0, TLS entry without secret", rule: ingress.AllowHTTPWithoutTLS, ing: with(map[string]string{gke.AnnAllowHTTP: "0"}, tlsNoSecret), want: []string{"none names a secret"}},
		{name: "allow-http false with managed cert", rule: ingress.AllowHTTPWithoutTLS, ing: with(map[string]string{gke.AnnAllowHTTP: "false", gke.AnnManagedCerts: "c"}, nil)},
		{name: "allow-http false with pre-shared cert", rule: ingress.AllowHTTPWithoutTLS, ing: with(map[string]string{gke.AnnAllowHTTP: "F", gke.AnnPreSharedCert: "c"}, nil)},
		{name: "allow-http true", rule: ingress.AllowHTTPWithoutTLS, ing: with(map[string]string{gke.AnnAllowHTTP: "true"}, nil)},
		{name: "allow-http no", rule: ingress.AllowHTTPUnparsable, ing: with(map[string]string{gke.AnnAllowHTTP: "no"}, nil), want: []string{`is "no", which is not a boolean`}},
		{name: "allow-http FALSE", rule: ingress.AllowHTTPUnparsable, ing: with(map[string]string{gke.AnnAllowHTTP: "FALSE"}, nil)},
		{name: "TLS without secret", rule: ingress.IngressTLSSecretNameMissing, ing: with(nil, tlsNoSecret), want: []string{"spec.tls[0] (hosts a.example.com) has no secretName"}},
		{name: "rule without http", rule: ingress.IngressRuleWithoutHTTP, ing: with(nil, func(i *networkingv1.Ingress) {
			i.Spec.Rules = append(i.Spec.Rules, networkingv1.IngressRule{Host: "docs.example.com"})
		}), want: []string{"spec.rules[1] (host docs.example.com) has no http block"}},
		{name: "duplicate empty host", rule: ingress.IngressDuplicateHost, ing: with(nil, func(i *networkingv1.Ingress) {
			i.Spec.Rules[0].Host = ""
			i.Spec.Rules = append(i.Spec.Rules, i.Spec.Rules[0])
		}), want: []string{`both have host "" (any host)`}},
		{name: "distinct hosts", rule: ingress.IngressDuplicateHost, ing: with(nil, func(i *networkingv1.Ingress) {
			r := i.Spec.Rules[0]
			r.Host = "b.example.com"
			i.Spec.Rules = append(i.Spec.Rules, r)
		})},
		// TranslateIngress skips a rule whose http is nil before it writes
		// the host's path rules (kubernetes/ingress-gce
		// pkg/controller/translator): it replaces nothing.
		{name: "an http-less rule replaces nothing", rule: ingress.IngressDuplicateHost, ing: with(nil, func(i *networkingv1.Ingress) {
			i.Spec.Rules = append(i.Spec.Rules, networkingv1.IngressRule{Host: i.Spec.Rules[0].Host})
		})},
		{name: "an http-less rule before a served host", rule: ingress.IngressDuplicateHost, ing: with(nil, func(i *networkingv1.Ingress) {
			i.Spec.Rules = append([]networkingv1.IngressRule{{Host: i.Spec.Rules[0].Host}}, i.Spec.Rules...)
		})},
		{name: "three rules, one host: each replacement reported", rule: ingress.IngressDuplicateHost, ing: with(nil, func(i *networkingv1.Ingress) {
			i.Spec.Rules = append(i.Spec.Rules, i.Spec.Rules[0], i.Spec.Rules[0])
		}), want: []string{"spec.rules[0] and spec.rules[1]", "spec.rules[1] and spec.rules[2]"}},
		{name: "http-less rule whose host another rule serves: dead weight, not the default backend", rule: ingress.IngressRuleWithoutHTTP, ing: with(nil, func(i *networkingv1.Ingress) {
			i.Spec.Rules = append(i.Spec.Rules, networkingv1.IngressRule{Host: i.Spec.Rules[0].Host})
		}), want: []string{"spec.rules[0] serves that host, so the rule is only dead weight"}},
		// pkg/frontendconfig: an empty annotation is no FrontendConfig.
		{name: "FrontendConfig annotation empty", rule: ingress.FrontendConfigMissing, ing: with(map[string]string{gke.AnnFrontendConfig: ""}, nil)},
		{name: "FrontendConfig missing", rule: ingress.FrontendConfigMissing, ing: with(map[string]string{gke.AnnFrontendConfig: "redirect"}, nil), fcs: []string{"redirects"}, want: []string{`"redirects" exists there (a typo?)`}},
		{name: "FrontendConfig present", rule: ingress.FrontendConfigMissing, ing: with(map[string]string{gke.AnnFrontendConfig: "redirect"}, nil), fcs: []string{"redirect"}},
		{name: "FrontendConfig on internal Ingress", rule: ingress.ILBFrontendConfigUnsupported, ing: with(map[string]string{gke.AnnIngressClass: "gce-internal", gke.AnnFrontendConfig: "redirect"}, nil), want: []string{"FrontendConfig can only be used with external Ingresses"}},
		{name: "FrontendConfig on external Ingress", rule: ingress.ILBFrontendConfigUnsupported, ing: with(map[string]string{gke.AnnFrontendConfig: "redirect"}, nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
			cl.Ingresses = []networkingv1.Ingress{tc.ing}
			cl.Services = []corev1.Service{service("shop", "web", nil)}
			for _, n := range tc.fcs {
				var fc inventory.FrontendConfig
				fc.Namespace, fc.Name = "shop", n
				cl.FrontendConfigs = append(cl.FrontendConfigs, fc)
			}
			expect(t, run(t, newInventory(cl), tc.rule), tc.want...)
		})
	}
}

// TestHealthCheckTimeout states what the controller sends to Compute
// Engine: the live health check merged with the BackendConfig's fields
// (pkg/healthchecks mergeUserSettings, UpdateFromBackendConfig), or its
// defaults (NEG 15/15, instance groups 60/60) with the readiness probe's
// settings (ApplyProbeSettingsToHC: NEG interval = periodSeconds, IG =
// periodSeconds + 60, timeout = timeoutSeconds).
func TestHealthCheckTimeout(t *testing.T) {
	t.Parallel()
	const bsName = "k8s1-1234abcd-shop-web-80-5d03f6e2"
	liveHC := func(interval, timeout int64) *compute.HealthCheck {
		return &compute.HealthCheck{Kind: "compute#healthCheck", Name: bsName, CheckIntervalSec: interval, TimeoutSec: timeout, Type: "HTTP",
			HttpHealthCheck: &compute.HTTPHealthCheck{PortSpecification: "USE_SERVING_PORT", RequestPath: "/"},
			SelfLink:        computeBase + testProject + "/global/healthChecks/" + bsName}
	}
	probe := func(period, timeout int32) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromString("http"), Scheme: corev1.URISchemeHTTP}},
			PeriodSeconds: period, TimeoutSeconds: timeout}
	}
	tests := []struct {
		name          string
		interval, tmo *int64
		neg           bool
		live          *compute.HealthCheck
		probe         *corev1.Probe
		noIngress     bool
		hcUnknown     bool
		want          string
		sev           inspect.Severity
	}{
		{name: "timeout alone against a live interval of 15", tmo: ptr[int64](20), neg: true, live: liveHC(15, 5),
			want: "timeoutSec 20 (BackendConfig spec.healthCheck.timeoutSec) > checkIntervalSec 15 (health check " + bsName + ", as Compute Engine has it", sev: inspect.Error},
		{name: "timeout alone, no live health check yet: the NEG default 15", tmo: ptr[int64](20), neg: true,
			want: "checkIntervalSec 15 (the controller's default for NEG backends)", sev: inspect.Error},
		{name: "timeout alone, instance groups: the default 60 holds", tmo: ptr[int64](20)},
		{name: "timeout alone, NEG, readiness probe every 30 s", tmo: ptr[int64](20), neg: true, probe: probe(30, 2)},
		{name: "instance groups add 60 s to the probe's period", tmo: ptr[int64](70), probe: probe(5, 1),
			want: "checkIntervalSec 65 (the readiness probe of container web of Deployment web (periodSeconds + 60, for instance groups))", sev: inspect.Error},
		{name: "the live health check wins over the probe", tmo: ptr[int64](20), neg: true, probe: probe(30, 2), live: liveHC(10, 5),
			want: "checkIntervalSec 10 (health check", sev: inspect.Error},
		{name: "a user-widened live interval", tmo: ptr[int64](20), neg: true, live: liveHC(30, 5)},
		{name: "both fields, both fine", interval: ptr[int64](10), tmo: ptr[int64](5), neg: true, live: liveHC(5, 5)},
		{name: "interval alone below the live timeout", interval: ptr[int64](10), neg: true, live: liveHC(15, 12),
			want: "timeoutSec 12 (health check", sev: inspect.Error},
		{name: "health checks not read: unknown, silent", tmo: ptr[int64](20), neg: true, live: liveHC(15, 5), hcUnknown: true},
		{name: "both fields set, health checks not read: certain", interval: ptr[int64](10), tmo: ptr[int64](20), neg: true, hcUnknown: true,
			want: "timeoutSec 20 (BackendConfig spec.healthCheck.timeoutSec) > checkIntervalSec 10", sev: inspect.Error},
		{name: "no Ingress uses it: latent when both are set", interval: ptr[int64](10), tmo: ptr[int64](20), noIngress: true,
			want: "latent, no Ingress port uses this BackendConfig yet", sev: inspect.Warning},
		{name: "no Ingress uses it, one field: undecided", tmo: ptr[int64](20), noIngress: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
			ann := map[string]string{gke.AnnBackendConfig: `{"default":"hc"}`}
			if tc.neg {
				ann[gke.AnnNEG] = `{"ingress":true}`
			}
			svc := service("shop", "web", ann, corev1.ServicePort{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), NodePort: 30080})
			if !tc.neg {
				svc.Spec.Type = corev1.ServiceTypeNodePort
			}
			cl.Services = []corev1.Service{svc}
			if !tc.noIngress {
				cl.Ingresses = []networkingv1.Ingress{newIngress("shop", "site", "", "web")}
				cl.Ingresses[0].Annotations[gke.AnnIngressBackends] = `{"` + bsName + `":"HEALTHY"}`
			}
			cl.BackendConfigs = []inventory.BackendConfig{backendConfig("shop", "hc", inventory.BackendConfigSpec{HealthCheck: &inventory.BackendConfigHealthCheck{CheckIntervalSec: tc.interval, TimeoutSec: tc.tmo}})}
			c := corev1.Container{Name: "web", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}, ReadinessProbe: tc.probe}
			cl.Deployments = []appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
				Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: corev1.PodSpec{Containers: []corev1.Container{c}}}}}}
			inv := newInventory(cl)
			if tc.live != nil {
				inv.Compute.BackendServices = []*compute.BackendService{{Kind: "compute#backendService", Name: bsName,
					Description:  `{"kubernetes.io/service-name":"shop/web","kubernetes.io/service-port":"&ServiceBackendPort{Name:,Number:80,}","x-features":["NEG"]}`,
					HealthChecks: []string{tc.live.SelfLink}, SelfLink: computeBase + testProject + "/global/backendServices/" + bsName}}
				inv.Compute.HealthChecks = []*compute.HealthCheck{tc.live}
			}
			if tc.hcUnknown {
				failSource(inv, inventory.ComputeHealthChecks, inventory.ProjectScope(testProject))
				inv.Compute.HealthChecks = nil
			}
			got := run(t, inv, ingress.HealthCheckTimeoutExceedsInterval)
			if tc.want == "" {
				expect(t, got)
				return
			}
			expect(t, got, tc.want)
			if got[0].Severity != tc.sev {
				t.Errorf("severity %s, want %s", got[0].Severity, tc.sev)
			}
		})
	}
}

func address(name, region, status string, users ...string) *compute.Address {
	a := &compute.Address{Kind: "compute#address", Name: name, Address: "34.1.2.3", Status: status, Users: users,
		SelfLink: computeBase + testProject + "/global/addresses/" + name}
	if region != "" {
		a.Region = computeBase + testProject + "/regions/" + region
		a.SelfLink = computeBase + testProject + "/regions/" + region + "/addresses/" + name
	}
	return a
}

func TestStaticIPRules(t *testing.T) {
	t.Parallel()
	fr := func(name, desc string) *compute.ForwardingRule {
		return &compute.ForwardingRule{Name: name, Description: desc, SelfLink: computeBase + testProject + "/global/forwardingRules/" + name}
	}
	frURL := func(name string) string { return computeBase + testProject + "/global/forwardingRules/" + name }
	tests := []struct {
		name    string
		ann     map[string]string
		class   string
		addrs   []*compute.Address
		frs     []*compute.ForwardingRule
		failFRs bool
		rule    *inspect.Rule
		want    []string
	}{
		{name: "global address exists", rule: network.StaticIPMissing, ann: map[string]string{gke.AnnGlobalStaticIP: "web-ip"}, addrs: []*compute.Address{address("web-ip", "", "RESERVED")}},
		{name: "only a regional address", rule: network.StaticIPMissing, ann: map[string]string{gke.AnnGlobalStaticIP: "web-ip"}, addrs: []*compute.Address{address("web-ip", "europe-west1", "RESERVED")},
			want: []string{"a regional address of that name exists in europe-west1"}},
		{name: "regional address in the cluster region", rule: network.StaticIPMissing, class: "gce-internal", ann: map[string]string{gke.AnnRegionalIP: "ilb-ip"}, addrs: []*compute.Address{address("ilb-ip", "europe-west1", "RESERVED")}},
		{name: "regional address elsewhere", rule: network.StaticIPMissing, class: "gce-internal", ann: map[string]string{gke.AnnRegionalIP: "ilb-ip"}, addrs: []*compute.Address{address("ilb-ip", "us-east1", "RESERVED")},
			want: []string{"no address of that name in region europe-west1"}},
		{name: "used by another load balancer", rule: network.StaticIPInUse, ann: map[string]string{gke.AnnGlobalStaticIP: "web-ip"},
			addrs: []*compute.Address{address("web-ip", "", "IN_USE", frURL("old-fr"))}, frs: []*compute.ForwardingRule{fr("old-fr", `{"kubernetes.io/ingress-name": "other/site"}`)},
			want: []string{"(of Ingress other/site)"}},
		{name: "used by this Ingress (description)", rule: network.StaticIPInUse, ann: map[string]string{gke.AnnGlobalStaticIP: "web-ip"},
			addrs: []*compute.Address{address("web-ip", "", "IN_USE", frURL("k8s2-fr-x"))}, frs: []*compute.ForwardingRule{fr("k8s2-fr-x", `{"kubernetes.io/ingress-name": "shop/site"}`)}},
		{name: "used by this Ingress (annotation)", rule: network.StaticIPInUse, ann: map[string]string{gke.AnnGlobalStaticIP: "web-ip", "ingress.kubernetes.io/forwarding-rule": "k8s2-fr-x"},
			addrs: []*compute.Address{address("web-ip", "", "IN_USE", frURL("k8s2-fr-x"))}, failFRs: true},
		{name: "forwarding rules unreadable: undecidable", rule: network.StaticIPInUse, ann: map[string]string{gke.AnnGlobalStaticIP: "web-ip"},
			addrs: []*compute.Address{address("web-ip", "", "IN_USE", frURL("old-fr"))}, failFRs: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := gkeCluster("prod", "europe-west1-b", testProject, "vpc", "nodes")
			ing := newIngress("shop", "site", tc.class, "web")
			for k, v := range tc.ann {
				ing.Annotations[k] = v
			}
			cl.Ingresses = []networkingv1.Ingress{ing}
			inv := newInventory(cl)
			inv.Compute.Addresses, inv.Compute.ForwardingRules = tc.addrs, tc.frs
			if tc.failFRs {
				failSource(inv, inventory.ComputeForwardingRules, inventory.ProjectScope(testProject))
			}
			expect(t, run(t, inv, tc.rule), tc.want...)
		})
	}
}

// drainSetup is a Service behind a gce Ingress through NEGs, with its
// backend service and Deployment.
func drainSetup(drain int64, container corev1.Container, grace *int64) (*inventory.Cluster, *compute.BackendService) {
	cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
	neg := "k8s1-0123abcd-shop-web-80-9f8e7d6c"
	svc := service("shop", "web", map[string]string{gke.AnnNEG: `{"ingress":true}`, gke.AnnNEGStatus: `{"network_endpoint_groups":{"80":"` + neg + `"},"zones":["europe-west1-b"]}`})
	cl.Services = []corev1.Service{svc}
	cl.Ingresses = []networkingv1.Ingress{newIngress("shop", "site", "", "web")}
	bs := &compute.BackendService{Name: neg, SelfLink: computeBase + testProject + "/global/backendServices/" + neg,
		Description:        `{"kubernetes.io/service-name":"shop/web","kubernetes.io/service-port":"\u0026ServiceBackendPort{Name:,Number:80,}","x-features":["NEG"]}`,
		Backends:           []*compute.Backend{{Group: computeBase + testProject + "/zones/europe-west1-b/networkEndpointGroups/" + neg}},
		ConnectionDraining: &compute.ConnectionDraining{DrainingTimeoutSec: drain}}
	dep := appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}
	dep.Spec.Template.Labels = map[string]string{"app": "web"}
	dep.Spec.Template.Spec.Containers = []corev1.Container{container}
	dep.Spec.Template.Spec.TerminationGracePeriodSeconds = grace
	cl.Deployments = []appsv1.Deployment{dep}
	return cl, bs
}

func TestDrainRules(t *testing.T) {
	t.Parallel()
	sleep := func(s int64) corev1.Container {
		return corev1.Container{Name: "web", Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: s}}}}
	}
	httpHook := corev1.Container{Name: "web", Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/drain", Port: intstr.FromInt(80)}}}}
	tests := []struct {
		name      string
		drain     int64
		container corev1.Container
		grace     *int64
		noBS      bool
		failBS    bool
		defaultBE bool
		rule      *inspect.Rule
		want      []string
	}{
		{name: "draining unset", rule: lb.NEGDrainTimeoutUnset, drain: 0, container: sleep(90), grace: ptr[int64](120), want: []string{"connectionDraining.drainingTimeoutSec 0"}},
		{name: "draining set", rule: lb.NEGDrainTimeoutUnset, drain: 30, container: sleep(90), grace: ptr[int64](120)},
		{name: "backend services unreadable", rule: lb.NEGDrainTimeoutUnset, drain: 0, failBS: true, container: sleep(90)},
		{name: "GKE's default backend", rule: lb.NEGDrainTimeoutUnset, drain: 0, defaultBE: true, container: sleep(90)},
		{name: "no preStop", rule: lb.PreStopHookMissing, drain: 30, container: corev1.Container{Name: "web"}, want: []string{"Container web of this Deployment has no preStop hook"}},
		{name: "no preStop, backend services unreadable", rule: lb.PreStopHookMissing, failBS: true, container: corev1.Container{Name: "web"}, want: []string{"no preStop hook"}},
		{name: "preStop present", rule: lb.PreStopHookMissing, drain: 30, container: httpHook},
		{name: "preStop too short", rule: lb.PreStopShorterThanDrain, drain: 30, container: sleep(60), grace: ptr[int64](120), want: []string{"draining timeout 30 s + 60 s of NEG detach latency = 90 s"}},
		{name: "preStop long enough", rule: lb.PreStopShorterThanDrain, drain: 30, container: sleep(90), grace: ptr[int64](120)},
		{name: "preStop duration unknown", rule: lb.PreStopShorterThanDrain, drain: 30, container: httpHook},
		{name: "draining unknown", rule: lb.PreStopShorterThanDrain, failBS: true, container: sleep(10)},
		{name: "no backend service built yet", rule: lb.PreStopShorterThanDrain, noBS: true, container: sleep(10)},
		{name: "default grace too short", rule: lb.TerminationGraceTooShort, drain: 30, container: sleep(90), want: []string{"terminationGracePeriodSeconds is 30 s (the default) but the preStop hook lasts 90 s"}},
		{name: "grace covers the hook", rule: lb.TerminationGraceTooShort, drain: 30, container: sleep(90), grace: ptr[int64](95)},
		{name: "grace without margin", rule: lb.TerminationGraceTooShort, drain: 30, container: sleep(90), grace: ptr[int64](92), want: []string{"is 92 s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl, bs := drainSetup(tc.drain, tc.container, tc.grace)
			if tc.defaultBE {
				cl.Services[0].Namespace, cl.Services[0].Name = "kube-system", "default-http-backend"
				cl.Ingresses[0].Namespace = "kube-system"
				cl.Ingresses[0].Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name = "default-http-backend"
				bs.Description = strings.ReplaceAll(bs.Description, "shop/web", "kube-system/default-http-backend")
			}
			inv := newInventory(cl)
			if !tc.noBS {
				inv.Compute.BackendServices = []*compute.BackendService{bs}
			}
			if tc.failBS {
				failSource(inv, inventory.ComputeBackendServices, inventory.ProjectScope(testProject))
			}
			expect(t, run(t, inv, tc.rule), tc.want...)
		})
	}
}

func TestSecurityPolicyNotApplied(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, bsPolicy string
		regional, fail bool
		want           []string
	}{
		{name: "not applied", want: []string{"carries no security policy"}},
		{name: "another policy", bsPolicy: "old-waf", want: []string{`carries security policy "old-waf"`}},
		{name: "applied", bsPolicy: "edge-waf"},
		{name: "backend services unreadable", fail: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl, bs := drainSetup(30, corev1.Container{Name: "web"}, nil)
			cl.Services[0].Annotations[gke.AnnBackendConfig] = `{"default":"armored"}`
			cl.BackendConfigs = []inventory.BackendConfig{backendConfig("shop", "armored", inventory.BackendConfigSpec{SecurityPolicy: &inventory.BackendConfigSecurityPolicy{Name: "edge-waf"}})}
			if tc.bsPolicy != "" {
				bs.SecurityPolicy = computeBase + testProject + "/global/securityPolicies/" + tc.bsPolicy
			}
			inv := newInventory(cl)
			inv.Compute.BackendServices = []*compute.BackendService{bs}
			inv.Compute.SecurityPolicies = []*compute.SecurityPolicy{securityPolicy("edge-waf", "")}
			if tc.fail {
				failSource(inv, inventory.ComputeBackendServices, inventory.ProjectScope(testProject))
			}
			got := run(t, inv, ingress.SecurityPolicyNotApplied)
			expect(t, got, tc.want...)
			if len(got) == 1 && got[0].Resource.Kind != "BackendService" {
				t.Errorf("resource %+v", got[0].Resource)
			}
		})
	}
}

func TestClusterRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                 string
		disabled, routes     bool
		class                string
		failIngresses        bool
		wantAddon, wantRoute bool
	}{
		{name: "addon disabled with an Ingress", disabled: true, wantAddon: true},
		{name: "addon disabled, another controller's Ingress", disabled: true, class: "nginx"},
		{name: "addon disabled, Ingresses unreadable", disabled: true, failIngresses: true},
		{name: "routes-based with an Ingress", routes: true, wantRoute: true},
		{name: "VPC-native"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
			cl.Info.AddonsConfig = nil
			if tc.disabled {
				cl.Info.AddonsConfig = &containerpb.AddonsConfig{HttpLoadBalancing: &containerpb.HttpLoadBalancing{Disabled: true}}
			}
			cl.Info.IpAllocationPolicy.UseIpAliases = !tc.routes
			cl.Ingresses = []networkingv1.Ingress{newIngress("shop", "site", tc.class, "web")}
			inv := newInventory(cl)
			if tc.failIngresses {
				failSource(inv, inventory.KubeIngresses, cl.Scope())
			}
			if got := run(t, inv, ingress.HTTPLBAddonDisabled); (len(got) == 1) != tc.wantAddon {
				t.Errorf("http-lb-addon-disabled: %v", messages(got))
			}
			got := run(t, inv, ingress.ClusterNotVPCNative)
			if (len(got) == 1) != tc.wantRoute {
				t.Errorf("cluster-not-vpc-native: %v", messages(got))
			}
			if len(got) == 1 && (got[0].Resource.Kind != "Cluster" || got[0].Resource.Name != "prod") {
				t.Errorf("resource %+v", got[0].Resource)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		`Translation failed: invalid ingress spec: error getting BackendConfig for port "&ServiceBackendPort{Name:,Number:80,}" on service "default/my-service", err: no BackendConfig for service port exists.`:                                                                           "backendconfig-missing",
		`Error during sync: error getting BackendConfig for port 80 on service "default/my-service": no BackendConfig for service port exists`:                                                                                                                                             "backendconfig-missing",
		`Error during sync: The given security policy "my-policy" does not exist.`:                                                                                                                                                                                                         "security-policy-missing",
		`Error syncing to GCP: error running load balancer syncing routine: loadbalancer x does not exist: googleapi: Error 400: Invalid value for field 'resource.target': 'y'. A reserved and active subnetwork is required in the same region and VPC as the forwarding rule., invalid`: "proxy-only-subnet-missing",
		`Error syncing to GCP: error running load balancer syncing routine: secret "" does not exist`:                                                                                                                                                                                      "ingress-tls-secret-name-missing",
		`invalid ingress frontend configuration, please check your usage of the 'kubernetes.io/ingress.allow-http' annotation.`:                                                                                                                                                            "allow-http-without-tls",
		`googleapi: Error 409: IP_IN_USE_BY_ANOTHER_RESOURCE - IP '10.0.0.5' is already being used by another resource.`:                                                                                                                                                                   "static-ip-in-use",
		`service "shop/web" is type "ClusterIP", expected "NodePort" or "LoadBalancer"`:                                                                                                                                                                                                    "service-type-invalid",
		`cloud armor security policies not supported for Regional backend service k8s1-x`:                                                                                                                                                                                                  "",
		`Error syncing to GCP: something new`: "unknown",
	}
	for msg, want := range tests {
		c := core.Classify(msg)
		got := "unknown"
		if c != nil {
			got = c.Rule
		}
		if got != want {
			t.Errorf("classify(%q) = %q, want %q", msg, got, want)
		}
	}
}

func TestLBSyncError(t *testing.T) {
	t.Parallel()
	collected := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	ev := func(kind, name, etype, reason, msg string, age time.Duration) corev1.Event {
		return corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name + ".1"},
			InvolvedObject: corev1.ObjectReference{Kind: kind, Namespace: "shop", Name: name},
			Type:           etype, Reason: reason, Message: msg, Count: 3, Source: corev1.EventSource{Component: "loadbalancer-controller"},
			LastTimestamp: metav1.NewTime(collected.Add(-age))}
	}
	cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
	cl.Services = []corev1.Service{service("shop", "web", map[string]string{gke.AnnBackendConfig: `{"default":"gone"}`})}
	cl.Ingresses = []networkingv1.Ingress{newIngress("shop", "site", "", "web")}
	cl.Events = []corev1.Event{
		ev("Ingress", "site", "Warning", "Translate", `Translation failed: invalid ingress spec: error getting BackendConfig for port "&ServiceBackendPort{Name:,Number:80,}" on service "shop/web", err: no BackendConfig for service port exists.`, time.Minute),
		ev("Ingress", "site", "Warning", "Sync", "Error syncing to GCP: error running backend syncing routine: googleapi: Error 403: Quota 'BACKEND_SERVICES' exceeded.", 2*time.Minute),
		ev("Ingress", "site", "Warning", "Sync", "Error syncing to GCP: an old problem", 7*time.Hour),
		ev("Ingress", "site", "Normal", "Sync", "Scheduled for sync", time.Minute),
		ev("Ingress", "site", "Warning", "IPChanged", "not a sync failure", time.Minute),
	}
	inv := newInventory(cl)
	inv.CollectedAt = collected
	res := inspect.Run(inv, []*inspect.Rule{ingress.BackendConfigMissing, events.LBSyncError})
	var lines []string
	for _, f := range res.Findings {
		lines = append(lines, f.Rule+": "+f.Message)
	}
	if len(res.Findings) != 2 || res.Findings[0].Rule != "backendconfig-missing" || res.Findings[1].Rule != "lb-sync-error" {
		t.Fatalf("findings:\n%s", strings.Join(lines, "\n"))
	}
	attached, _ := res.Findings[0].Evidence["lb-sync-error"].([]map[string]any)
	if len(attached) != 1 || attached[0]["reason"] != "Translate" || attached[0]["count"] != int32(3) {
		t.Errorf("attached evidence = %v", attached)
	}
	if m := res.Findings[1].Message; !strings.Contains(m, "Quota 'BACKEND_SERVICES' exceeded") || !strings.Contains(m, "does not recognise") {
		t.Errorf("unknown cause message = %q", m)
	}

	// Without the configuration rule the event stands alone, and names it.
	alone := run(t, inv, events.LBSyncError)
	if len(alone) != 2 || !strings.Contains(alone[1].Message, "cause: BackendConfig not found (rule backendconfig-missing)") {
		t.Errorf("alone: %v", messages(alone))
	}
	// Events unreadable: nothing.
	failSource(inv, inventory.KubeEvents, cl.Scope())
	if got := run(t, inv, events.LBSyncError); len(got) != 0 {
		t.Errorf("events unreadable: %v", messages(got))
	}
}

// TestNoRuleCrashesOnResourceBackends runs every rule over Ingresses whose
// backends are resources, not Services.
func TestNoRuleCrashesOnResourceBackends(t *testing.T) {
	t.Parallel()
	cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
	for _, class := range []string{"", "gce-internal", "gce-regional-external"} {
		ing := newIngress("shop", "site-"+class, class, "web")
		ing.Spec.DefaultBackend = &networkingv1.IngressBackend{Resource: &corev1.TypedLocalObjectReference{Kind: "StorageBucket", Name: "static"}}
		ing.Spec.Rules[0].HTTP.Paths[0].Backend = networkingv1.IngressBackend{Resource: &corev1.TypedLocalObjectReference{Kind: "ConfigMap", Name: "x"}}
		ing.Spec.Rules = append(ing.Spec.Rules, networkingv1.IngressRule{Host: "no-http.example.com"})
		cl.Ingresses = append(cl.Ingresses, ing)
	}
	cl.Services = []corev1.Service{service("shop", "web", map[string]string{gke.AnnBackendConfig: `{"default":"x"}`})}
	res := inspect.Run(newInventory(cl), All())
	for _, f := range res.Failures {
		if f.Status == inventory.StatusError {
			t.Errorf("%s crashed: %s", f.Source, f.Error)
		}
	}
	n := 0
	for _, f := range res.Findings {
		if f.Rule == "ingress-backend-not-service" {
			n++
		}
	}
	if n != 6 {
		t.Errorf("%d resource-backend findings, want 6", n)
	}
}

// TestLBSyncErrorReportingController reads the reporter of events written
// through events.k8s.io/v1, which set reportingController and leave
// source.component empty.
func TestLBSyncErrorReportingController(t *testing.T) {
	t.Parallel()
	collected := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
	cl.Ingresses = []networkingv1.Ingress{newIngress("shop", "site", "", "web")}
	cl.Services = []corev1.Service{service("shop", "web", nil)}
	cl.Events = []corev1.Event{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "site.2"},
		InvolvedObject: corev1.ObjectReference{Kind: "Ingress", Namespace: "shop", Name: "site"}, Type: "Warning", Reason: "Sync",
		Message:             "Error syncing to GCP: error running load balancer syncing routine: a new failure",
		ReportingController: "loadbalancer-controller", ReportingInstance: "loadbalancer-controller-gke-abc",
		EventTime: metav1.NewMicroTime(collected.Add(-time.Minute))}}
	inv := newInventory(cl)
	inv.CollectedAt = collected
	expect(t, run(t, inv, events.LBSyncError), "Warning Sync from loadbalancer-controller (1×")
}
