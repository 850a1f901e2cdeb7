package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
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
