package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
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
