package lb

import (
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestSSLCertificateNotActive(t *testing.T) {
	t.Parallel()
	runCertificateCases(t, SSLCertificateNotActive, []certificateCase{
		{"not active, presented", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{ruletest.ManagedCert("www", threeDaysAgo, stuckDomains)}
			inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{ruletest.HTTPSProxy("p", "www")}
			inv.Compute.ForwardingRules = []*compute.ForwardingRule{ruletest.ForwardingRuleTo("fr", ruletest.G("global/targetHttpsProxies/p"), "34.1.1.1", "443-443")}
		}, []string{"www.example.com: FAILED_NOT_VISIBLE, its DNS records do not point at 34.1.1.1"}},
		{"provisioning for an hour: normal", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{ruletest.ManagedCert("www", anHourAgo, map[string]string{"www.example.com": "PROVISIONING"})}
			inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{ruletest.HTTPSProxy("p", "www")}
		}, nil},
		{"provisioning for three days", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{ruletest.ManagedCert("www", threeDaysAgo, map[string]string{"www.example.com": "PROVISIONING"})}
			inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{ruletest.HTTPSProxy("p", "www")}
		}, []string{"is PROVISIONING 3 days after its creation"}},
		{"created three days ago, given to the proxy two hours ago (--changes): normal", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{ruletest.ManagedCert("www", threeDaysAgo, map[string]string{"www.example.com": "PROVISIONING"})}
			inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{ruletest.HTTPSProxy("p", "www")}
			inv.Changes = attachedAt(ruletest.Now.Add(-2 * time.Hour))
		}, nil},
		{"given to the proxy 30 hours ago: counted from then", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{ruletest.ManagedCert("www", threeDaysAgo, map[string]string{"www.example.com": "PROVISIONING"})}
			inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{ruletest.HTTPSProxy("p", "www")}
			inv.Changes = attachedAt(ruletest.Now.Add(-30 * time.Hour))
		}, []string{"is PROVISIONING 30 hours after it was given to target HTTPS proxy p (v1.compute.targetHttpsProxies.setSslCertificates at 2026-11-27T03:00:00Z)"}},
		{"active", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{ruletest.ManagedCert("www", threeDaysAgo, map[string]string{"www.example.com": "ACTIVE"})}
			inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{ruletest.HTTPSProxy("p", "www")}
		}, nil},
		{"not active, proxies unreadable: a warning that says so", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{ruletest.ManagedCert("www", threeDaysAgo, stuckDomains)}
			ruletest.FailSource(inv, inventory.ComputeTargetSSLProxies, inventory.ProjectScope(ruletest.Project))
		}, []string{"lbdiag could not read every target proxy"}},
	})
}

// attachedAt is the audit log of the certificate www given to the proxy p
// at a time; a failed attempt later is no attachment.
func attachedAt(at time.Time) *inventory.Changes {
	proxy := "projects/" + ruletest.Project + "/global/targetHttpsProxies/p"
	cert := "projects/" + ruletest.Project + "/global/sslCertificates/www"
	return &inventory.Changes{Since: ruletest.Now.Add(-7 * 24 * time.Hour), Until: ruletest.Now, ByResource: map[string][]inventory.Change{proxy: {
		{At: ruletest.Now.Add(-time.Minute), Method: "v1.compute.targetHttpsProxies.setSslCertificates", Resource: proxy, Certificates: []string{cert}, Failed: true},
		{At: at, Method: "v1.compute.targetHttpsProxies.setSslCertificates", Resource: proxy, Certificates: []string{cert}, Principal: "…@example.com"}}}}
}

func TestSSLCertificateNotActiveCounts(t *testing.T) {
	t.Parallel()
	// Google-managed certificates a proxy presents are judged: www
	// (FAILED_NOT_VISIBLE) fails, ok (ACTIVE) and new (PROVISIONING for an
	// hour) pass; orphan (no proxy: ssl-certificate-unattached's) and
	// self (self-managed) are not judged.
	inv := ruletest.LBProject()
	self := ruletest.ManagedCert("self", threeDaysAgo, nil)
	self.Type, self.Managed = "SELF_MANAGED", nil
	inv.Compute.SSLCertificates = []*compute.SslCertificate{ruletest.ManagedCert("www", threeDaysAgo, stuckDomains),
		ruletest.ManagedCert("ok", threeDaysAgo, map[string]string{"ok.example.com": "ACTIVE"}),
		ruletest.ManagedCert("new", anHourAgo, map[string]string{"new.example.com": "PROVISIONING"}),
		ruletest.ManagedCert("orphan", threeDaysAgo, stuckDomains), self}
	inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{ruletest.HTTPSProxy("p", "www", "ok", "new", "self")}
	inv.Compute.ForwardingRules = []*compute.ForwardingRule{ruletest.ForwardingRuleTo("fr", ruletest.G("global/targetHttpsProxies/p"), "34.1.1.1", "443-443")}
	ruletest.ExpectCounts(t, inv, SSLCertificateNotActive, ruletest.Counts{Judged: 3, Passed: 2, Failed: 1})
	ruletest.FailSource(inv, inventory.ComputeSSLCertificates, projectScope)
	c := ruletest.ExpectCounts(t, inv, SSLCertificateNotActive, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeSSLCertificates))
}
