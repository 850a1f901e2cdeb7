package ingress

import (
	"encoding/json"
	"testing"

	compute "google.golang.org/api/compute/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// TestHealthCheckTimeout states what the controller sends to Compute
// Engine: the live health check merged with the BackendConfig's fields
// (pkg/healthchecks mergeUserSettings, UpdateFromBackendConfig), or its
// defaults (NEG 15/15, instance groups 60/60) with the readiness probe's
// settings (ApplyProbeSettingsToHC: NEG interval = periodSeconds, IG =
// periodSeconds + 60, timeout = timeoutSeconds).
func TestHealthCheckTimeoutExceedsInterval(t *testing.T) {
	t.Parallel()
	const bsName = "k8s1-1234abcd-shop-web-80-5d03f6e2"
	liveHC := func(interval, timeout int64) *compute.HealthCheck {
		return &compute.HealthCheck{Kind: "compute#healthCheck", Name: bsName, CheckIntervalSec: interval, TimeoutSec: timeout, Type: "HTTP",
			HttpHealthCheck: &compute.HTTPHealthCheck{PortSpecification: "USE_SERVING_PORT", RequestPath: "/"},
			SelfLink:        ruletest.ComputeBase + ruletest.Project + "/global/healthChecks/" + bsName}
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
		{name: "timeout alone against a live interval of 15", tmo: ruletest.Ptr[int64](20), neg: true, live: liveHC(15, 5),
			want: "timeoutSec 20 (BackendConfig spec.healthCheck.timeoutSec) > checkIntervalSec 15 (health check " + bsName + ", as Compute Engine has it", sev: inspect.Error},
		{name: "timeout alone, no live health check yet: the NEG default 15", tmo: ruletest.Ptr[int64](20), neg: true,
			want: "checkIntervalSec 15 (the controller's default for NEG backends)", sev: inspect.Error},
		{name: "timeout alone, instance groups: the default 60 holds", tmo: ruletest.Ptr[int64](20)},
		{name: "timeout alone, NEG, readiness probe every 30 s", tmo: ruletest.Ptr[int64](20), neg: true, probe: probe(30, 2)},
		{name: "instance groups add 60 s to the probe's period", tmo: ruletest.Ptr[int64](70), probe: probe(5, 1),
			want: "checkIntervalSec 65 (the readiness probe of container web of Deployment web (periodSeconds + 60, for instance groups))", sev: inspect.Error},
		{name: "the live health check wins over the probe", tmo: ruletest.Ptr[int64](20), neg: true, probe: probe(30, 2), live: liveHC(10, 5),
			want: "checkIntervalSec 10 (health check", sev: inspect.Error},
		{name: "a user-widened live interval", tmo: ruletest.Ptr[int64](20), neg: true, live: liveHC(30, 5)},
		{name: "both fields, both fine", interval: ruletest.Ptr[int64](10), tmo: ruletest.Ptr[int64](5), neg: true, live: liveHC(5, 5)},
		{name: "interval alone below the live timeout", interval: ruletest.Ptr[int64](10), neg: true, live: liveHC(15, 12),
			want: "timeoutSec 12 (health check", sev: inspect.Error},
		{name: "health checks not read: unknown, silent", tmo: ruletest.Ptr[int64](20), neg: true, live: liveHC(15, 5), hcUnknown: true},
		{name: "both fields set, health checks not read: certain", interval: ruletest.Ptr[int64](10), tmo: ruletest.Ptr[int64](20), neg: true, hcUnknown: true,
			want: "timeoutSec 20 (BackendConfig spec.healthCheck.timeoutSec) > checkIntervalSec 10", sev: inspect.Error},
		{name: "no Ingress uses it: latent when both are set", interval: ruletest.Ptr[int64](10), tmo: ruletest.Ptr[int64](20), noIngress: true,
			want: "latent, no Ingress port uses this BackendConfig yet", sev: inspect.Warning},
		{name: "no Ingress uses it, one field: undecided", tmo: ruletest.Ptr[int64](20), noIngress: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := ruletest.ProdCluster()
			ann := map[string]string{gke.AnnBackendConfig: `{"default":"hc"}`}
			if tc.neg {
				ann[gke.AnnNEG] = `{"ingress":true}`
			}
			svc := ruletest.Service("shop", "web", ann, corev1.ServicePort{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), NodePort: 30080})
			if !tc.neg {
				svc.Spec.Type = corev1.ServiceTypeNodePort
			}
			cl.Services = []corev1.Service{svc}
			if !tc.noIngress {
				cl.Ingresses = []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")}
				cl.Ingresses[0].Annotations[gke.AnnIngressBackends] = `{"` + bsName + `":"HEALTHY"}`
			}
			cl.BackendConfigs = []inventory.BackendConfig{ruletest.BackendConfig("shop", "hc", inventory.BackendConfigSpec{HealthCheck: &inventory.BackendConfigHealthCheck{CheckIntervalSec: tc.interval, TimeoutSec: tc.tmo}})}
			c := corev1.Container{Name: "web", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}, ReadinessProbe: tc.probe}
			cl.Deployments = []appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
				Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: corev1.PodSpec{Containers: []corev1.Container{c}}}}}}
			inv := ruletest.Inventory(cl)
			if tc.live != nil {
				inv.Compute.BackendServices = []*compute.BackendService{{Kind: "compute#backendService", Name: bsName,
					Description:  `{"kubernetes.io/service-name":"shop/web","kubernetes.io/service-port":"&ServiceBackendPort{Name:,Number:80,}","x-features":["NEG"]}`,
					HealthChecks: []string{tc.live.SelfLink}, SelfLink: ruletest.ComputeBase + ruletest.Project + "/global/backendServices/" + bsName}}
				inv.Compute.HealthChecks = []*compute.HealthCheck{tc.live}
			}
			if tc.hcUnknown {
				ruletest.FailSource(inv, inventory.ComputeHealthChecks, inventory.ProjectScope(ruletest.Project))
				inv.Compute.HealthChecks = nil
			}
			got := ruletest.Run(t, inv, HealthCheckTimeoutExceedsInterval)
			if tc.want == "" {
				ruletest.Expect(t, got)
				return
			}
			ruletest.Expect(t, got, tc.want)
			if got[0].Severity != tc.sev {
				t.Errorf("severity %s, want %s", got[0].Severity, tc.sev)
			}
		})
	}
}

func TestHealthCheckTimeoutExceedsIntervalCounts(t *testing.T) {
	t.Parallel()
	policy := func(name, spec string) inventory.HealthCheckPolicy {
		var hp inventory.HealthCheckPolicy
		if err := json.Unmarshal([]byte(`{"metadata":{"namespace":"shop","name":"`+name+`"},"spec":`+spec+`}`), &hp); err != nil {
			t.Fatal(err)
		}
		return hp
	}
	bc := func(name string, interval, timeout *int64) inventory.BackendConfig {
		return ruletest.BackendConfig("shop", name, inventory.BackendConfigSpec{HealthCheck: &inventory.BackendConfigHealthCheck{CheckIntervalSec: interval, TimeoutSec: timeout}})
	}
	setup := func(used inventory.BackendConfig) *inventory.Inventory {
		cl := ruletest.ProdCluster()
		cl.HealthCheckPolicies = []inventory.HealthCheckPolicy{
			policy("hp-bad", `{"default":{"checkIntervalSec":5,"timeoutSec":10}}`), // fails
			policy("hp-ok", `{"default":{}}`),                                      // 5 s and 5 s: passes
			policy("hp-none", `{}`),                                                // configures nothing: not judged
		}
		cl.BackendConfigs = []inventory.BackendConfig{
			bc("both-bad", ruletest.Ptr[int64](10), ruletest.Ptr[int64](20)), // no Ingress uses it, both set: latent, fails
			bc("both-ok", ruletest.Ptr[int64](5), ruletest.Ptr[int64](5)),    // no Ingress uses it, both set: passes
			bc("lone", nil, ruletest.Ptr[int64](20)),                         // no Ingress uses it, one field: not judged
			used,                                                             // Service web's, behind Ingress site
		}
		cl.Services = []corev1.Service{ruletest.Service("shop", "web", map[string]string{gke.AnnBackendConfig: `{"default":"used"}`, gke.AnnNEG: `{"ingress":true}`})}
		cl.Ingresses = []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")}
		return ruletest.Inventory(cl)
	}
	// used sets timeoutSec 20 alone: against the NEG default interval of
	// 15 (no live health check, no readiness probe) it fails. Judged:
	// hp-bad, hp-ok, both-bad, both-ok, used; failed: hp-bad, both-bad,
	// used.
	timeoutOnly := bc("used", nil, ruletest.Ptr[int64](20))
	ruletest.ExpectCounts(t, setup(timeoutOnly), HealthCheckTimeoutExceedsInterval, ruletest.Counts{Judged: 5, Passed: 2, Failed: 3})

	// Health checks not read: used's interval is unknown, so it is not
	// judged, one place not checked.
	inv := setup(timeoutOnly)
	ruletest.FailSource(inv, inventory.ComputeHealthChecks, inventory.ProjectScope(ruletest.Project))
	c := ruletest.ExpectCounts(t, inv, HealthCheckTimeoutExceedsInterval, ruletest.Counts{Judged: 4, Passed: 2, Failed: 2, CouldNotCheck: 1})
	expectReason(t, c, inventory.ComputeHealthChecks)

	// With both fields set, the health check sent is the BackendConfig's
	// alone: used (10 s, 20 s) fails although the health checks were not
	// read, and nothing is left unchecked.
	inv = setup(bc("used", ruletest.Ptr[int64](10), ruletest.Ptr[int64](20)))
	ruletest.FailSource(inv, inventory.ComputeHealthChecks, inventory.ProjectScope(ruletest.Project))
	ruletest.ExpectCounts(t, inv, HealthCheckTimeoutExceedsInterval, ruletest.Counts{Judged: 5, Passed: 2, Failed: 3})
}
