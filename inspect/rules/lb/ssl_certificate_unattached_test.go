package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestSSLCertificateUnattached(t *testing.T) {
	t.Parallel()
	runCertificateCases(t, SSLCertificateUnattached, []certificateCase{
		{"unattached", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{ruletest.ManagedCert("old", threeDaysAgo, stuckDomains)}
		}, []string{"presented by no target HTTPS or SSL proxy; it is Google-managed and PROVISIONING"}},
		{"presented by an SSL proxy: attached", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{ruletest.ManagedCert("tls", threeDaysAgo, map[string]string{"db.example.com": "ACTIVE"})}
			inv.Compute.TargetSSLProxies = []*compute.TargetSslProxy{{Name: "sp", SelfLink: ruletest.G("global/targetSslProxies/sp"), SslCertificates: []string{ruletest.G("global/sslCertificates/tls")}}}
			inv.Compute.ForwardingRules = []*compute.ForwardingRule{ruletest.ForwardingRuleTo("fr", ruletest.G("global/targetSslProxies/sp"), "34.1.1.2", "443-443")}
		}, nil},
		{"SSL proxies unreadable: silent", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{ruletest.ManagedCert("tls", threeDaysAgo, map[string]string{"db.example.com": "ACTIVE"})}
			ruletest.FailSource(inv, inventory.ComputeTargetSSLProxies, inventory.ProjectScope(ruletest.Project))
		}, nil},
	})
}

func TestSSLCertificateUnattachedCounts(t *testing.T) {
	t.Parallel()
	world := func() *inventory.Inventory {
		inv := ruletest.LBProject()
		inv.Compute.SSLCertificates = []*compute.SslCertificate{ruletest.ManagedCert("old", threeDaysAgo, stuckDomains),
			ruletest.ManagedCert("tls", threeDaysAgo, map[string]string{"db.example.com": "ACTIVE"}),
			ruletest.ManagedCert("idle", threeDaysAgo, map[string]string{"idle.example.com": "ACTIVE"})}
		inv.Compute.TargetSSLProxies = []*compute.TargetSslProxy{{Name: "sp", SelfLink: ruletest.G("global/targetSslProxies/sp"), SslCertificates: []string{ruletest.G("global/sslCertificates/tls")}}}
		inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{ruletest.HTTPSProxy("idle-p", "idle")}
		inv.Compute.ForwardingRules = []*compute.ForwardingRule{ruletest.ForwardingRuleTo("fr", ruletest.G("global/targetSslProxies/sp"), "34.1.1.2", "443-443")}
		return inv
	}
	// Every certificate is judged: old (no proxy) and idle (a proxy no
	// forwarding rule sends to) fail, tls (an SSL proxy with a forwarding
	// rule) passes.
	ruletest.ExpectCounts(t, world(), SSLCertificateUnattached, ruletest.Counts{Judged: 3, Passed: 1, Failed: 2})
	// The forwarding rules unreadable: old still fails; tls and idle,
	// which proxies present, are not judged.
	inv := world()
	ruletest.FailSource(inv, inventory.ComputeForwardingRules, projectScope)
	c := ruletest.ExpectCounts(t, inv, SSLCertificateUnattached, ruletest.Counts{Judged: 1, Failed: 1, CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeForwardingRules))
	// The SSL proxies unreadable: nothing is judged.
	inv = world()
	ruletest.FailSource(inv, inventory.ComputeTargetSSLProxies, projectScope)
	c = ruletest.ExpectCounts(t, inv, SSLCertificateUnattached, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeTargetSSLProxies))
}
