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
