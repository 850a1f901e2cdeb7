package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestSessionAffinityUtilization(t *testing.T) {
	t.Parallel()
	runInventoryCases(t, SessionAffinityUtilization, []inventoryCase{
		{"affinity with UTILIZATION", backendService(func(b *compute.BackendService) {
			b.SessionAffinity, b.Backends[0].BalancingMode = "CLIENT_IP", "UTILIZATION"
		}), []string{"has session affinity CLIENT_IP, but web-ig (us-east1-b) uses the UTILIZATION balancing mode"}},
		{"affinity with RATE", backendService(func(b *compute.BackendService) { b.SessionAffinity = "CLIENT_IP" }), nil},
		{"UTILIZATION without affinity", backendService(func(b *compute.BackendService) { b.Backends[0].BalancingMode = "UTILIZATION" }), nil},
	})
}

func TestSessionAffinityUtilizationCounts(t *testing.T) {
	t.Parallel()
	// Backend services with affinity are judged: web (UTILIZATION) fails,
	// rate (RATE) passes; util has no affinity, so it is not judged.
	inv := backendServicesProject(
		webLike("web", func(b *compute.BackendService) {
			b.SessionAffinity, b.Backends[0].BalancingMode = "CLIENT_IP", "UTILIZATION"
		}),
		webLike("rate", func(b *compute.BackendService) { b.SessionAffinity = "CLIENT_IP" }),
		webLike("util", func(b *compute.BackendService) { b.Backends[0].BalancingMode = "UTILIZATION" }))
	ruletest.ExpectCounts(t, inv, SessionAffinityUtilization, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	ruletest.FailSource(inv, inventory.ComputeBackendServices, projectScope)
	c := ruletest.ExpectCounts(t, inv, SessionAffinityUtilization, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeBackendServices))
}
