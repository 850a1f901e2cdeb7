package lb

import (
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestL4ForwardingRuleMissing(t *testing.T) {
	t.Parallel()
	runInventoryCases(t, L4ForwardingRuleMissing, []inventoryCase{
		{"an address no forwarding rule has", func() *inventory.Inventory {
			inv, _ := ruletest.L4Cluster("34.75.1.9", ruletest.Now.Add(-time.Hour), false)
			return inv
		}, []string{"has address 34.75.1.9, but no forwarding rule of project acme-test has it"}},
		{"its forwarding rule exists", func() *inventory.Inventory {
			inv, _ := ruletest.L4Cluster("34.75.1.9", ruletest.Now.Add(-time.Hour), false)
			inv.Compute.ForwardingRules = []*compute.ForwardingRule{{Name: "a0123", IPAddress: "34.75.1.9", SelfLink: ruletest.G("regions/us-east1/forwardingRules/a0123")}}
			return inv
		}, nil},
		{"forwarding rules unreadable", func() *inventory.Inventory {
			inv, _ := ruletest.L4Cluster("34.75.1.9", ruletest.Now.Add(-time.Hour), false)
			ruletest.FailSource(inv, inventory.ComputeForwardingRules, inventory.ProjectScope(ruletest.Project))
			return inv
		}, nil},
		{"Services unreadable", func() *inventory.Inventory {
			inv, cl := ruletest.L4Cluster("34.75.1.9", ruletest.Now.Add(-time.Hour), false)
			ruletest.FailSource(inv, inventory.KubeServices, cl.Scope())
			return inv
		}, nil},
	})
}
