package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestHTTPSForwardingRulePort(t *testing.T) {
	t.Parallel()
	runCertificateCases(t, HTTPSForwardingRulePort, []certificateCase{
		{"HTTPS on port 80 only", func(inv *inventory.Inventory) {
			inv.Compute.ForwardingRules = []*compute.ForwardingRule{ruletest.ForwardingRuleTo("https-80", ruletest.G("global/targetHttpsProxies/p"), "34.1.1.3", "80-80")}
		}, []string{"Forwarding rule https-80 (34.1.1.3, port 80)"}},
		{"HTTPS on 8443 and 443", func(inv *inventory.Inventory) {
			inv.Compute.ForwardingRules = []*compute.ForwardingRule{ruletest.ForwardingRuleTo("a", ruletest.G("global/targetHttpsProxies/p"), "34.1.1.3", "8443-8443"),
				ruletest.ForwardingRuleTo("b", ruletest.G("global/targetHttpsProxies/p"), "34.1.1.3", "443-443")}
		}, nil},
		{"HTTP proxy on 80", func(inv *inventory.Inventory) {
			inv.Compute.ForwardingRules = []*compute.ForwardingRule{ruletest.ForwardingRuleTo("a", ruletest.G("global/targetHttpProxies/p"), "34.1.1.3", "80-80")}
		}, nil},
	})
}
