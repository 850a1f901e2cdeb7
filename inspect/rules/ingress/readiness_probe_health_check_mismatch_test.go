package ingress

import (
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// readinessSetup is Service shop/web behind a gce Ingress through NEGs,
// whose Pods' readiness probe checks probePath on the serving port, and
// whose backend service's health check probes hcPath.
func readinessSetup(probePath, hcPath string) (*inventory.Inventory, *inventory.Cluster) {
	c := corev1.Container{Name: "web", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
		ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: probePath, Port: intstr.FromString("http"), Scheme: corev1.URISchemeHTTP}}}}
	cl, bs := ruletest.NEGService(30, c, nil)
	cl.Services[0].Spec.Ports[0].TargetPort = intstr.FromString("http")
	hc := &compute.HealthCheck{Kind: "compute#healthCheck", Name: bs.Name, Type: "HTTP", Description: "Default kubernetes L7 Loadbalancing health check for NEG.",
		HttpHealthCheck: &compute.HTTPHealthCheck{PortSpecification: "USE_SERVING_PORT", RequestPath: hcPath},
		SelfLink:        ruletest.G("global/healthChecks/" + bs.Name)}
	bs.HealthChecks = []string{hc.SelfLink}
	inv := ruletest.Inventory(cl)
	inv.Compute.BackendServices = []*compute.BackendService{bs}
	inv.Compute.HealthChecks = []*compute.HealthCheck{hc}
	return inv, cl
}

func TestReadinessProbeHealthCheckMismatch(t *testing.T) {
	t.Parallel()
	withBC := func(annotation string, bcs ...inventory.BackendConfig) func(*inventory.Inventory, *inventory.Cluster) {
		return func(inv *inventory.Inventory, cl *inventory.Cluster) {
			cl.Services[0].Annotations[gke.AnnBackendConfig] = annotation
			cl.BackendConfigs = bcs
		}
	}
	for _, tc := range []struct {
		name             string
		probe, hc        string
		edit             func(*inventory.Inventory, *inventory.Cluster)
		want, fix, nofix string
	}{
		{name: "the probe moved, the health check kept /", probe: "/ready", hc: "/",
			want: `probes "/", but the Pods' readiness probe (container web of Deployment web) checks "/ready"`,
			fix:  "name: web-hc\n  namespace: shop\nspec:\n  healthCheck:\n    requestPath: /ready"},
		{name: "same path", probe: "/ready", hc: "/ready"},
		{name: "an empty probe path is /", probe: "", hc: "/"},
		{name: "the BackendConfig sets the path", probe: "/ready", hc: "/",
			edit: withBC(`{"default":"web-bc"}`, ruletest.BackendConfig("shop", "web-bc", inventory.BackendConfigSpec{HealthCheck: &inventory.BackendConfigHealthCheck{RequestPath: ruletest.Ptr("/ready")}}))},
		{name: "a BackendConfig without a path: patch it", probe: "/ready", hc: "/",
			edit: withBC(`{"default":"web-bc"}`, ruletest.BackendConfig("shop", "web-bc", inventory.BackendConfigSpec{})),
			want: `checks "/ready"`, fix: `kubectl patch backendconfig web-bc -n shop --type merge -p '{"spec":{"healthCheck":{"requestPath":"/ready"}}}'`},
		{name: "the BackendConfig it names does not exist: create that one", probe: "/ready", hc: "/", edit: withBC(`{"default":"web-bc"}`),
			want: `checks "/ready"`, fix: "name: web-bc\n", nofix: "kubectl annotate"},
		{name: "BackendConfigs unreadable: its path is unknown", probe: "/ready", hc: "/",
			edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
				withBC(`{"default":"web-bc"}`)(inv, cl)
				ruletest.FailSource(inv, inventory.KubeBackendConfigs, cl.Scope())
			}},
		{name: "health checks unreadable", probe: "/ready", hc: "/",
			edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
				ruletest.FailSource(inv, inventory.ComputeHealthChecks, inventory.ProjectScope(ruletest.Project))
			}},
		{name: "Deployments unreadable", probe: "/ready", hc: "/",
			edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
				ruletest.FailSource(inv, inventory.KubeDeployments, cl.Scope())
			}},
		{name: "a probe of another port is not copied", probe: "/ready", hc: "/",
			edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
				cl.Deployments[0].Spec.Template.Spec.Containers[0].ReadinessProbe.HTTPGet.Port = intstr.FromInt(9090)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv, cl := readinessSetup(tc.probe, tc.hc)
			if tc.edit != nil {
				tc.edit(inv, cl)
			}
			got := ruletest.Run(t, inv, ReadinessProbeHealthCheckMismatch)
			if tc.want == "" {
				ruletest.Expect(t, got)
				return
			}
			ruletest.Expect(t, got, tc.want)
			if !strings.Contains(got[0].Remediation, tc.fix) || (tc.nofix != "" && strings.Contains(got[0].Remediation, tc.nofix)) {
				t.Errorf("remediation %q", got[0].Remediation)
			}
		})
	}
}

func TestReadinessProbeHealthCheckMismatchCounts(t *testing.T) {
	t.Parallel()
	// One Service, shop/web, with one backend service and health check:
	// judged when its health check is compared with the probe.
	inv, _ := readinessSetup("/ready", "/")
	ruletest.ExpectCounts(t, inv, ReadinessProbeHealthCheckMismatch, ruletest.Counts{Judged: 1, Failed: 1})
	inv, _ = readinessSetup("/ready", "/ready")
	ruletest.ExpectCounts(t, inv, ReadinessProbeHealthCheckMismatch, ruletest.Counts{Judged: 1, Passed: 1})

	// Its BackendConfig sets the path: the probe is not what counts, not
	// judged.
	inv, cl := readinessSetup("/ready", "/")
	cl.Services[0].Annotations[gke.AnnBackendConfig] = `{"default":"web-bc"}`
	cl.BackendConfigs = []inventory.BackendConfig{ruletest.BackendConfig("shop", "web-bc", inventory.BackendConfigSpec{HealthCheck: &inventory.BackendConfigHealthCheck{RequestPath: ruletest.Ptr("/ready")}})}
	ruletest.ExpectCounts(t, inv, ReadinessProbeHealthCheckMismatch, ruletest.Counts{})

	// What the verdict rests on not read: not judged, one place each.
	for _, unread := range []struct {
		source inventory.Source
		scope  func(*inventory.Cluster) string
	}{
		{inventory.KubeDeployments, (*inventory.Cluster).Scope},
		{inventory.ComputeHealthChecks, func(*inventory.Cluster) string { return inventory.ProjectScope(ruletest.Project) }},
	} {
		inv, cl := readinessSetup("/ready", "/")
		ruletest.FailSource(inv, unread.source, unread.scope(cl))
		c := ruletest.ExpectCounts(t, inv, ReadinessProbeHealthCheckMismatch, ruletest.Counts{CouldNotCheck: 1})
		expectReason(t, c, unread.source)
	}
}
