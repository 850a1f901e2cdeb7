package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestBackendTimeoutTooLong(t *testing.T) {
	t.Parallel()
	runInventoryCases(t, BackendTimeoutTooLong, []inventoryCase{
		{"two days of timeout", backendService(func(b *compute.BackendService) { b.TimeoutSec = 172800 }), []string{"has timeoutSec 172800"}},
		{"a day of timeout", backendService(func(b *compute.BackendService) { b.TimeoutSec = 86400 }), nil},
		{"internal, two days", backendService(func(b *compute.BackendService) { b.TimeoutSec, b.LoadBalancingScheme = 172800, "INTERNAL_MANAGED" }), nil},
		{"backend services unreadable", func() *inventory.Inventory {
			inv := backendService(func(b *compute.BackendService) { b.TimeoutSec = 172800 })()
			ruletest.FailSource(inv, inventory.ComputeBackendServices, inventory.ProjectScope(ruletest.Project))
			return inv
		}, nil},
	})
}

func TestBackendTimeoutTooLongCounts(t *testing.T) {
	t.Parallel()
	// External proxy backend services are judged: web (2 days) fails, api
	// (30 s) passes; ilb is internal, and tcp a passthrough one (regional
	// EXTERNAL TCP): neither is judged.
	inv := backendServicesProject(
		webLike("web", func(b *compute.BackendService) { b.TimeoutSec = 172800 }),
		webLike("api", nil),
		webLike("ilb", func(b *compute.BackendService) {
			b.LoadBalancingScheme, b.TimeoutSec, b.Region = "INTERNAL_MANAGED", 172800, ruletest.G("regions/us-east1")
		}),
		webLike("tcp", func(b *compute.BackendService) {
			b.LoadBalancingScheme, b.Protocol, b.TimeoutSec, b.Region = "EXTERNAL", "TCP", 172800, ruletest.G("regions/us-east1")
		}))
	ruletest.ExpectCounts(t, inv, BackendTimeoutTooLong, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// The backend services unreadable: the project is the one place it
	// could not check.
	ruletest.FailSource(inv, inventory.ComputeBackendServices, projectScope)
	c := ruletest.ExpectCounts(t, inv, BackendTimeoutTooLong, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeBackendServices))
}
