package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestInternalForwardingRuleGlobalAccess(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		global bool
		region string
		want   []string
	}{
		{"a client in another region", false, "us-west1-a", []string{"does not allow global access, but Service reports/db in cluster us-west1-a/analytics (region us-west1) sends to it"}},
		{"global access", true, "us-west1-a", nil},
		{"a client in the same region", false, "us-east1-c", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := ruletest.Cluster("analytics", tc.region, ruletest.Project, "vpc", "nodes")
			var es = ruletest.EndpointSlice("reports", "db", "10.60.1.10")
			cl.EndpointSlices = append(cl.EndpointSlices, es)
			inv := ruletest.Inventory(cl)
			inv.Compute.ForwardingRules = []*compute.ForwardingRule{{Name: "db-ilb", IPAddress: "10.60.1.10", LoadBalancingScheme: "INTERNAL", AllowGlobalAccess: tc.global,
				Region: ruletest.G("regions/us-east1"), Network: ruletest.G("global/networks/vpc"), SelfLink: ruletest.G("regions/us-east1/forwardingRules/db-ilb")}}
			ruletest.Expect(t, ruletest.Run(t, inv, InternalForwardingRuleGlobalAccess), tc.want...)
		})
	}
}

func TestInternalForwardingRuleGlobalAccessCounts(t *testing.T) {
	t.Parallel()
	cl := ruletest.Cluster("analytics", "us-west1-a", ruletest.Project, "vpc", "nodes")
	cl.EndpointSlices = append(cl.EndpointSlices, ruletest.EndpointSlice("reports", "db", "10.60.1.10"))
	inv := ruletest.Inventory(cl)
	ilb := func(name, ip string, global bool, scheme string) *compute.ForwardingRule {
		return &compute.ForwardingRule{Name: name, IPAddress: ip, LoadBalancingScheme: scheme, AllowGlobalAccess: global,
			Region: ruletest.G("regions/us-east1"), Network: ruletest.G("global/networks/vpc"), SelfLink: ruletest.G("regions/us-east1/forwardingRules/" + name)}
	}
	inv.Compute.ForwardingRules = []*compute.ForwardingRule{ilb("db-ilb", "10.60.1.10", false, "INTERNAL"), ilb("cache-ilb", "10.60.1.11", false, "INTERNAL"),
		ilb("open-ilb", "10.60.1.12", true, "INTERNAL_MANAGED"), ilb("web", "34.1.2.3", false, "EXTERNAL")}
	// The regional internal forwarding rules are judged: db-ilb (a client
	// in us-west1, no global access) fails, cache-ilb (no client
	// elsewhere) and open-ilb (global access) pass; web is external.
	ruletest.ExpectCounts(t, inv, InternalForwardingRuleGlobalAccess, ruletest.Counts{Judged: 3, Passed: 2, Failed: 1})
	// The other region's EndpointSlices unreadable: only open-ilb is
	// judged; the cluster is the gap.
	ruletest.FailSource(inv, inventory.KubeEndpointSlices, cl.Scope())
	c := ruletest.ExpectCounts(t, inv, InternalForwardingRuleGlobalAccess, ruletest.Counts{Judged: 1, Passed: 1, CouldNotCheck: 1})
	expectReason(t, c, string(inventory.KubeEndpointSlices))
}
