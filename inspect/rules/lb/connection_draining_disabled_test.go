package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestConnectionDrainingDisabled(t *testing.T) {
	t.Parallel()
	runInventoryCases(t, ConnectionDrainingDisabled, []inventoryCase{
		{"instance groups without draining", backendService(func(b *compute.BackendService) { b.ConnectionDraining = nil }),
			[]string{"has connectionDraining.drainingTimeoutSec 0 and instance-group backends (web-ig)"}},
		{"NEGs without draining: neg-drain-timeout-unset's case", backendService(func(b *compute.BackendService) {
			b.ConnectionDraining, b.Backends[0].Group = nil, ruletest.G("zones/us-east1-b/networkEndpointGroups/web-neg")
		}), nil},
		{"passthrough without draining", backendService(func(b *compute.BackendService) {
			b.ConnectionDraining, b.LoadBalancingScheme, b.Protocol, b.Region = nil, "INTERNAL", "TCP", ruletest.G("regions/us-east1")
		}), nil},
	})
}

func TestConnectionDrainingDisabledCounts(t *testing.T) {
	t.Parallel()
	// Proxy backend services with instance groups are judged: web (no
	// draining) fails, api (60 s) passes; neg has NEGs (not this rule's)
	// and ilb is a passthrough one: neither is judged.
	inv := backendServicesProject(
		webLike("web", func(b *compute.BackendService) { b.ConnectionDraining = nil }),
		webLike("api", nil),
		webLike("neg", func(b *compute.BackendService) {
			b.ConnectionDraining, b.Backends[0].Group = nil, ruletest.G("zones/us-east1-b/networkEndpointGroups/web-neg")
		}),
		webLike("ilb", func(b *compute.BackendService) {
			b.ConnectionDraining, b.LoadBalancingScheme, b.Protocol, b.Region = nil, "INTERNAL", "TCP", ruletest.G("regions/us-east1")
		}))
	ruletest.ExpectCounts(t, inv, ConnectionDrainingDisabled, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	ruletest.FailSource(inv, inventory.ComputeBackendServices, projectScope)
	c := ruletest.ExpectCounts(t, inv, ConnectionDrainingDisabled, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeBackendServices))
}
