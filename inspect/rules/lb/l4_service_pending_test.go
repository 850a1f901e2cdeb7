package lb

import (
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestL4ServicePending(t *testing.T) {
	t.Parallel()
	runInventoryCases(t, L4ServicePending, []inventoryCase{
		{"pending for an hour", func() *inventory.Inventory {
			inv, _ := ruletest.L4Cluster("", ruletest.Now.Add(-time.Hour), true)
			return inv
		}, []string{"LoadBalancer Service pay/gateway (internal) has had no address for 1h0m0s"}},
		{"pending for two minutes", func() *inventory.Inventory {
			inv, _ := ruletest.L4Cluster("", ruletest.Now.Add(-2*time.Minute), true)
			return inv
		}, nil},
		{"another controller's class", func() *inventory.Inventory {
			inv, cl := ruletest.L4Cluster("", ruletest.Now.Add(-time.Hour), false)
			cl.Services[0].Spec.LoadBalancerClass = ruletest.Ptr("example.com/metallb")
			return inv
		}, nil},
	})
}
