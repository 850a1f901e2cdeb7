package lb

import (
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"

	corev1 "k8s.io/api/core/v1"

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

func TestL4ForwardingRuleMissingCounts(t *testing.T) {
	t.Parallel()
	// LoadBalancer Services with an IPv4 address are judged: gateway
	// (34.75.1.9, no forwarding rule) fails, other (34.75.1.10, its rule
	// exists) passes; pending has no address yet and is not judged.
	inv, cl := ruletest.L4Cluster("34.75.1.9", ruletest.Now.Add(-time.Hour), false)
	other, pending := cl.Services[0], cl.Services[0]
	other.Name, pending.Name = "other", "pending"
	other.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "34.75.1.10"}}
	pending.Status.LoadBalancer.Ingress = nil
	cl.Services = append(cl.Services, other, pending)
	inv.Compute.ForwardingRules = []*compute.ForwardingRule{{Name: "a0123", IPAddress: "34.75.1.10", SelfLink: ruletest.G("regions/us-east1/forwardingRules/a0123")}}
	ruletest.ExpectCounts(t, inv, L4ForwardingRuleMissing, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// The cluster's Services unreadable: the cluster is the gap.
	ruletest.FailSource(inv, inventory.KubeServices, cl.Scope())
	c := ruletest.ExpectCounts(t, inv, L4ForwardingRuleMissing, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.KubeServices))
}
