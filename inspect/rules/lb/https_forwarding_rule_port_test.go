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

func TestHTTPSForwardingRulePortCounts(t *testing.T) {
	t.Parallel()
	// The forwarding rules of HTTPS and SSL proxies are judged: https-80
	// (proxy p, port 80 only) fails; a and b (proxy q, 8443 and 443) and
	// tls (SSL proxy s, 443) pass; http sends to an HTTP proxy and is not
	// judged.
	inv := ruletest.LBProject()
	inv.Compute.ForwardingRules = []*compute.ForwardingRule{
		ruletest.ForwardingRuleTo("https-80", ruletest.G("global/targetHttpsProxies/p"), "34.1.1.3", "80-80"),
		ruletest.ForwardingRuleTo("a", ruletest.G("global/targetHttpsProxies/q"), "34.1.1.4", "8443-8443"),
		ruletest.ForwardingRuleTo("b", ruletest.G("global/targetHttpsProxies/q"), "34.1.1.4", "443-443"),
		ruletest.ForwardingRuleTo("tls", ruletest.G("global/targetSslProxies/s"), "34.1.1.5", "443"),
		ruletest.ForwardingRuleTo("http", ruletest.G("global/targetHttpProxies/h"), "34.1.1.3", "80-80"),
	}
	ruletest.ExpectCounts(t, inv, HTTPSForwardingRulePort, ruletest.Counts{Judged: 4, Passed: 3, Failed: 1})
	ruletest.FailSource(inv, inventory.ComputeForwardingRules, projectScope)
	c := ruletest.ExpectCounts(t, inv, HTTPSForwardingRulePort, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeForwardingRules))
}
