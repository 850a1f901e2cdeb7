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
