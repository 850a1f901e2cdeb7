package lb

import (
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestNEGDrainTimeoutUnset(t *testing.T) {
	t.Parallel()
	runDrainCases(t, NEGDrainTimeoutUnset, []drainCase{
		{name: "draining unset", drain: 0, container: sleep(90), grace: ruletest.Ptr[int64](120), want: []string{"connectionDraining.drainingTimeoutSec 0"}},
		{name: "draining set", drain: 30, container: sleep(90), grace: ruletest.Ptr[int64](120)},
		{name: "backend services unreadable", drain: 0, failBS: true, container: sleep(90)},
		{name: "GKE's default backend", drain: 0, defaultBE: true, container: sleep(90)},
	})
}

// TestDrainFixNamesTheBackendConfig: the fix points at the BackendConfig the
// annotation names, and never claims the Service has none because the
// BackendConfig list could not be read.
func TestDrainFixNamesTheBackendConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name               string
		exists, unreadable bool
		want, fix          string
	}{
		{name: "exists", exists: true, want: "of BackendConfig shop/web-bc, which this port uses", fix: "kubectl patch backendconfig web-bc -n shop"},
		{name: "missing", want: "which this port names but which does not exist", fix: "name: web-bc"},
		{name: "unreadable", unreadable: true, want: "of BackendConfig shop/web-bc, which this port uses", fix: "kubectl patch backendconfig web-bc -n shop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl, bs := ruletest.NEGService(0, corev1.Container{Name: "web"}, nil)
			cl.Services[0].Annotations[gke.AnnBackendConfig] = `{"default":"web-bc"}`
			if tc.exists {
				cl.BackendConfigs = []inventory.BackendConfig{ruletest.BackendConfig("shop", "web-bc", inventory.BackendConfigSpec{})}
			}
			inv := ruletest.Inventory(cl)
			inv.Compute.BackendServices = []*compute.BackendService{bs}
			if tc.unreadable {
				ruletest.FailSource(inv, inventory.KubeBackendConfigs, cl.Scope())
			}
			got := ruletest.Run(t, inv, NEGDrainTimeoutUnset)
			ruletest.Expect(t, got, tc.want)
			if !strings.Contains(got[0].Remediation, tc.fix) || strings.Contains(got[0].Message, "name none") {
				t.Errorf("remediation %q", got[0].Remediation)
			}
		})
	}
}

func TestNEGDrainTimeoutUnsetCounts(t *testing.T) {
	t.Parallel()
	// Service shop/web has one NEG backend service: judged, it fails
	// without draining and passes with it; with the backend services
	// unreadable it is not judged and the project is the gap.
	expectDrainCounts(t, NEGDrainTimeoutUnset, map[string]drainCount{
		"draining unset": {drainCase{drain: 0, container: sleep(90)}, ruletest.Counts{Judged: 1, Failed: 1}},
		"draining set":   {drainCase{drain: 30, container: sleep(90)}, ruletest.Counts{Judged: 1, Passed: 1}},
		"unreadable":     {drainCase{drain: 0, failBS: true, container: sleep(90)}, ruletest.Counts{CouldNotCheck: 1}},
	})
	// Behind a Gateway without a nameable backend service, the Service
	// (no GCPBackendPolicy) is judged; with the policies unreadable, the
	// cluster's policies are the gap.
	inv, cl := gatewayDrainWorld()
	ruletest.ExpectCounts(t, inv, NEGDrainTimeoutUnset, ruletest.Counts{Judged: 1, Failed: 1})
	ruletest.FailSource(inv, inventory.KubeGCPBackendPolicies, cl.Scope())
	c := ruletest.ExpectCounts(t, inv, NEGDrainTimeoutUnset, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.KubeGCPBackendPolicies))
}
