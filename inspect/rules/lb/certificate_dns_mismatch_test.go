package lb

import (
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// The DNS answers of the tests, as the collector records them.

// addrAnswer is an answer to an A or AAAA query.
func addrAnswer(name, qtype string, addrs ...string) inventory.DNSAnswer {
	return inventory.DNSAnswer{Name: name, Type: qtype, RCode: inventory.RCodeNoError, Addresses: addrs}
}

// nxdomain answers both address queries of a name that does not exist.
func nxdomain(name string) []inventory.DNSAnswer {
	return []inventory.DNSAnswer{{Name: name, Type: inventory.DNSTypeA, RCode: inventory.RCodeNXDomain},
		{Name: name, Type: inventory.DNSTypeAAAA, RCode: inventory.RCodeNXDomain}}
}

// servfail is a query the resolver did not answer.
func servfail(name, qtype string) inventory.DNSAnswer {
	return inventory.DNSAnswer{Name: name, Type: qtype, RCode: inventory.RCodeServFail, Error: "the resolver answered SERVFAIL"}
}

// resolvedAt answers a name's address queries: A with the IPv4 addresses
// given, AAAA with the IPv6 ones (none: an empty answer).
func resolvedAt(name string, addrs ...string) []inventory.DNSAnswer {
	var v4, v6 []string
	for _, a := range addrs {
		if strings.Contains(a, ":") {
			v6 = append(v6, a)
		} else {
			v4 = append(v4, a)
		}
	}
	return []inventory.DNSAnswer{addrAnswer(name, inventory.DNSTypeA, v4...), addrAnswer(name, inventory.DNSTypeAAAA, v6...)}
}

// withDNS records a run's lookups: the answers, and each name's coverage
// (an error when one of its answers is one), as the collector does.
func withDNS(inv *inventory.Inventory, answers ...[]inventory.DNSAnswer) {
	d := &inventory.DNS{Resolver: "127.0.0.1:53"}
	inv.Coverage = append(inventory.CoverageSet(nil), inv.Coverage...)
	inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.DNSLookups, Scope: projectScope, Status: inventory.StatusOK})
	status := map[string]inventory.Coverage{}
	for _, list := range answers {
		for _, a := range list {
			d.Answers = append(d.Answers, a)
			scope := inventory.DNSScope(ruletest.Project, a.Name)
			if a.Type == inventory.DNSTypeCAA {
				scope = inventory.CAAScope(ruletest.Project, a.Name)
			}
			cov, seen := status[scope]
			if !seen {
				cov = inventory.Coverage{Source: inventory.DNSLookups, Scope: scope, Status: inventory.StatusOK}
			}
			if !a.Answered() {
				cov.Status, cov.Error = inventory.StatusError, a.Type+" "+a.Name+": "+a.Error
			}
			status[scope] = cov
		}
	}
	for _, cov := range status {
		inv.Coverage = append(inv.Coverage, cov)
	}
	d.Sort()
	inv.DNS = d
}

// presented gives the project a certificate www (PROVISIONING since three
// days, www.example.com failing and example.com active) that proxy p
// presents behind forwarding rule fr at 34.1.1.1.
func presented(inv *inventory.Inventory) {
	inv.Compute.SSLCertificates = []*compute.SslCertificate{ruletest.ManagedCert("www", threeDaysAgo, stuckDomains)}
	inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{ruletest.HTTPSProxy("p", "www")}
	inv.Compute.ForwardingRules = []*compute.ForwardingRule{ruletest.ForwardingRuleTo("fr", ruletest.G("global/targetHttpsProxies/p"), "34.1.1.1", "443-443")}
}

// withIngress adds cluster prod with Ingress shop/web (hosts of its rules)
// at 34.2.2.2.
func withIngress(inv *inventory.Inventory, hosts ...string) *inventory.Cluster {
	cl := ruletest.ProdCluster()
	ing := ruletest.Ingress("shop", "web", "", "web")
	ing.Spec.Rules = nil
	for _, h := range hosts {
		ing.Spec.Rules = append(ing.Spec.Rules, networkingv1.IngressRule{Host: h})
	}
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "34.2.2.2"}}
	cl.Ingresses = []networkingv1.Ingress{ing}
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", nil)}
	inv.Clusters = append(inv.Clusters, cl)
	inv.Coverage = append(inventory.CoverageSet(nil), inv.Coverage...)
	for _, s := range ruletest.ClusterSources {
		inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: s, Scope: cl.Scope(), Status: inventory.StatusOK})
	}
	return cl
}

func TestCertificateDNSMismatch(t *testing.T) {
	t.Parallel()
	runCertificateCases(t, CertificateDNSMismatch, []certificateCase{
		{"a domain's A record points elsewhere", func(inv *inventory.Inventory) {
			presented(inv)
			withDNS(inv, resolvedAt("www.example.com", "198.51.100.7"), resolvedAt("example.com", "34.1.1.1"))
		}, []string{"DNS record www.example.com A 198.51.100.7: it should hold 34.1.1.1, the address of the load balancer presenting Google-managed certificate www (PROVISIONING)"}},
		{"NXDOMAIN is an answer: no record", func(inv *inventory.Inventory) {
			presented(inv)
			withDNS(inv, nxdomain("www.example.com"), resolvedAt("example.com", "34.1.1.1"))
		}, []string{"www.example.com has no A or AAAA record (NXDOMAIN): it should hold 34.1.1.1"}},
		{"an AAAA record elsewhere, the load balancer has no IPv6 address", func(inv *inventory.Inventory) {
			presented(inv)
			withDNS(inv, resolvedAt("www.example.com", "34.1.1.1", "2001:db8::7"), resolvedAt("example.com", "34.1.1.1"))
		}, []string{"DNS record www.example.com AAAA 2001:db8::7: it should hold 34.1.1.1"}},
		{"an alias to another server", func(inv *inventory.Inventory) {
			presented(inv)
			cname := resolvedAt("www.example.com", "198.51.100.9")
			cname[0].CNAMEs = []string{"old-lb.example.net"}
			withDNS(inv, cname, resolvedAt("example.com", "34.1.1.1"))
		}, []string{"DNS record www.example.com (an alias of old-lb.example.net) A 198.51.100.9"}},
		{"every record at the load balancer", func(inv *inventory.Inventory) {
			presented(inv)
			withDNS(inv, resolvedAt("www.example.com", "34.1.1.1"), resolvedAt("example.com", "34.1.1.1"))
		}, nil},
		{"SERVFAIL is a gap, not a mismatch", func(inv *inventory.Inventory) {
			presented(inv)
			withDNS(inv, []inventory.DNSAnswer{servfail("www.example.com", inventory.DNSTypeA), addrAnswer("www.example.com", inventory.DNSTypeAAAA)},
				resolvedAt("example.com", "34.1.1.1"))
		}, nil},
		{"no lookups (--no-dns): nothing judged", func(inv *inventory.Inventory) {
			presented(inv)
		}, nil},
		{"an ACTIVE certificate is not this rule's", func(inv *inventory.Inventory) {
			presented(inv)
			inv.Compute.SSLCertificates[0] = ruletest.ManagedCert("www", threeDaysAgo, map[string]string{"www.example.com": "ACTIVE"})
			withDNS(inv, resolvedAt("www.example.com", "198.51.100.7"))
		}, nil},
		{"an Ingress host elsewhere: a warning", func(inv *inventory.Inventory) {
			withIngress(inv, "shop.example.com", "new.example.com", "*.example.com")
			withDNS(inv, resolvedAt("shop.example.com", "198.51.100.7"), nxdomain("new.example.com"))
		}, []string{"Ingress shop/web: DNS record shop.example.com A 198.51.100.7, but the load balancer of Ingress shop/web is at 34.2.2.2: clients of shop.example.com reach another server"}},
		{"an internal Ingress's hosts are not resolved", func(inv *inventory.Inventory) {
			cl := withIngress(inv, "shop.internal.example")
			cl.Ingresses[0].Annotations[gke.AnnIngressClass] = gke.ClassInternal
			withDNS(inv, resolvedAt("shop.internal.example", "10.0.0.9"))
		}, nil},
		{"a Gateway host elsewhere", func(inv *inventory.Inventory) {
			cl := withIngress(inv)
			gw := ruletest.Gateway("shop", "store", gke.GatewayClassGlobalExternal)
			gw.Spec.Listeners = []inventory.Listener{{Name: "https", Hostname: ruletest.Ptr("store.example.com"), Port: 443, Protocol: "HTTPS"}}
			gw.Status.Addresses = []inventory.GatewayAddress{{Type: ruletest.Ptr("IPAddress"), Value: "34.3.3.3"}}
			cl.Gateways = []inventory.Gateway{gw}
			withDNS(inv, resolvedAt("store.example.com", "34.3.3.3", "2001:db8::3"))
		}, []string{"Gateway shop/store: DNS record store.example.com AAAA 2001:db8::3, but the load balancer of Gateway shop/store is at 34.3.3.3"}},
		{"a ManagedCertificate's domain, once, though its Ingress serves the host too", func(inv *inventory.Inventory) {
			cl := withIngress(inv, "shop.example.com")
			cl.Ingresses[0].Annotations[gke.AnnManagedCerts] = "shop-cert"
			var mc inventory.ManagedCertificate
			mc.Namespace, mc.Name = "shop", "shop-cert"
			mc.Spec.Domains = []string{"shop.example.com"}
			mc.Status.CertificateStatus = "Provisioning"
			cl.ManagedCertificates = []inventory.ManagedCertificate{mc}
			withDNS(inv, resolvedAt("shop.example.com", "198.51.100.7"))
		}, []string{"ManagedCertificate shop/shop-cert: DNS record shop.example.com A 198.51.100.7: it should hold 34.2.2.2, the address of the load balancer presenting ManagedCertificate shop/shop-cert of cluster europe-west1/prod (Provisioning)"}},
	})
}

func TestCertificateDNSMismatchRemediation(t *testing.T) {
	t.Parallel()
	inv := ruletest.LBProject()
	presented(inv)
	withDNS(inv, resolvedAt("www.example.com", "198.51.100.7", "2001:db8::7"), resolvedAt("example.com", "34.1.1.1"))
	res := ruletest.RunAll(inv, CertificateDNSMismatch)
	if len(res.Findings) != 1 {
		t.Fatalf("findings: %v", ruletest.Messages(res.Findings))
	}
	f := res.Findings[0]
	want := "set: www.example.com. 300 IN A 34.1.1.1; delete www.example.com. 300 IN AAAA 2001:db8::7 (the load balancer has no address of that family); then check: dig +short www.example.com A; dig +short www.example.com AAAA"
	if f.Remediation != want {
		t.Errorf("remediation:\n%s\nwant:\n%s", f.Remediation, want)
	}
	if f.Severity.String() != "error" || f.Key != "www.example.com" || f.Evidence["resolver"] != "127.0.0.1:53" {
		t.Errorf("finding: %+v", f)
	}
	// Alone, it is its own row; with ssl-certificate-not-active, it is
	// that finding's evidence, and its message names the cause.
	res = ruletest.RunAll(inv, SSLCertificateNotActive, CertificateDNSMismatch)
	if len(res.Findings) != 1 || res.Findings[0].Rule != SSLCertificateNotActive.ID || res.Findings[0].Evidence[CertificateDNSMismatch.ID] == nil ||
		!strings.Contains(res.Findings[0].Message, "— DNS record www.example.com A 198.51.100.7, AAAA 2001:db8::7; it should hold 34.1.1.1 (certificate-dns-mismatch)") {
		t.Errorf("not folded into ssl-certificate-not-active: %v", ruletest.Messages(res.Findings))
	}
	// NXDOMAIN, folded.
	inv = ruletest.LBProject()
	presented(inv)
	withDNS(inv, nxdomain("www.example.com"), resolvedAt("example.com", "34.1.1.1"))
	res = ruletest.RunAll(inv, SSLCertificateNotActive, CertificateDNSMismatch)
	if len(res.Findings) != 1 || !strings.Contains(res.Findings[0].Message, "— DNS: www.example.com has no A or AAAA record (NXDOMAIN); it should hold 34.1.1.1 (certificate-dns-mismatch)") {
		t.Errorf("NXDOMAIN not folded: %v", ruletest.Messages(res.Findings))
	}
	// With a CNAME, the CNAME is what to replace.
	inv = ruletest.LBProject()
	presented(inv)
	cname := resolvedAt("www.example.com", "198.51.100.9")
	cname[0].CNAMEs = []string{"old-lb.example.net"}
	withDNS(inv, cname, resolvedAt("example.com", "34.1.1.1"))
	fs := ruletest.Run(t, inv, CertificateDNSMismatch)
	if len(fs) != 1 || !strings.HasPrefix(fs[0].Remediation, "replace the CNAME www.example.com. (to old-lb.example.net) with: www.example.com. 300 IN A 34.1.1.1") {
		t.Errorf("CNAME remediation: %v", fs)
	}
}

func TestCertificateDNSMismatchCounts(t *testing.T) {
	t.Parallel()
	// Certificate www (two domains, www.example.com elsewhere) fails;
	// Ingress shop/web's host at its address passes, and its host without
	// records is not judged; a certificate presented by no one (orphan)
	// is not judged.
	inv := ruletest.LBProject()
	withIngress(inv, "shop.example.com", "new.example.com")
	presented(inv)
	inv.Compute.SSLCertificates = append(inv.Compute.SSLCertificates, ruletest.ManagedCert("orphan", threeDaysAgo, map[string]string{"orphan.example.com": "PROVISIONING"}))
	withDNS(inv, resolvedAt("www.example.com", "198.51.100.7"), resolvedAt("example.com", "34.1.1.1"),
		resolvedAt("shop.example.com", "34.2.2.2"), nxdomain("new.example.com"), resolvedAt("orphan.example.com", "198.51.100.1"))
	ruletest.ExpectCounts(t, inv, CertificateDNSMismatch, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})

	// A name whose lookup failed is a place the rule could not check.
	inv = ruletest.LBProject()
	presented(inv)
	withDNS(inv, []inventory.DNSAnswer{servfail("www.example.com", inventory.DNSTypeA), addrAnswer("www.example.com", inventory.DNSTypeAAAA)},
		resolvedAt("example.com", "34.1.1.1"))
	c := ruletest.ExpectCounts(t, inv, CertificateDNSMismatch, ruletest.Counts{Judged: 1, Passed: 1, CouldNotCheck: 1})
	expectReason(t, c, "SERVFAIL")

	// No resolver at all: the project could not be checked. --no-dns (or
	// a recording without answers) is no gap.
	inv = ruletest.LBProject()
	presented(inv)
	inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.DNSLookups, Scope: projectScope, Status: inventory.StatusError,
		Error: "reading the system's DNS servers: open /etc/resolv.conf: no such file or directory"})
	c = ruletest.ExpectCounts(t, inv, CertificateDNSMismatch, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, "resolv.conf")
	inv = ruletest.LBProject()
	presented(inv)
	inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.DNSLookups, Scope: projectScope, Status: inventory.StatusSkipped, Detail: "--no-dns"})
	ruletest.ExpectCounts(t, inv, CertificateDNSMismatch, ruletest.Counts{})

	// The forwarding rules unread: the certificate's load balancer
	// address is unknown.
	inv = ruletest.LBProject()
	presented(inv)
	withDNS(inv, resolvedAt("www.example.com", "198.51.100.7"), resolvedAt("example.com", "34.1.1.1"))
	ruletest.FailSource(inv, inventory.ComputeForwardingRules, projectScope)
	c = ruletest.ExpectCounts(t, inv, CertificateDNSMismatch, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeForwardingRules))

	// Nor are an Ingress host's: its status address alone would call a
	// record of its HTTPS forwarding rule wrong. Not judged.
	inv = ruletest.LBProject()
	withIngress(inv, "shop.example.com")
	withDNS(inv, resolvedAt("shop.example.com", "34.9.9.9"))
	ruletest.FailSource(inv, inventory.ComputeForwardingRules, projectScope)
	c = ruletest.ExpectCounts(t, inv, CertificateDNSMismatch, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeForwardingRules))

	// The target proxies unread: which load balancers present the
	// certificate is unknown, so neither of its names is judged (a
	// partial set of addresses would call a right record wrong).
	inv = ruletest.LBProject()
	presented(inv)
	withDNS(inv, resolvedAt("www.example.com", "198.51.100.7"), resolvedAt("example.com", "34.1.1.1"))
	ruletest.FailSource(inv, inventory.ComputeTargetHTTPSProxies, projectScope)
	c = ruletest.ExpectCounts(t, inv, CertificateDNSMismatch, ruletest.Counts{CouldNotCheck: 2})
	expectReason(t, c, "target proxies")

	// A name whose AAAA lookup was never made (an older recording) is not
	// "without records".
	inv = ruletest.LBProject()
	presented(inv)
	withDNS(inv, []inventory.DNSAnswer{addrAnswer("www.example.com", inventory.DNSTypeA)}, resolvedAt("example.com", "34.1.1.1"))
	c = ruletest.ExpectCounts(t, inv, CertificateDNSMismatch, ruletest.Counts{Judged: 1, Passed: 1, CouldNotCheck: 1})
	expectReason(t, c, "were not both made")

	// A ManagedCertificate that made a certificate, with the project's SSL
	// certificates unread: the load balancers presenting that certificate
	// are unknown, so the addresses of its Ingress alone are a partial
	// set, not a reason to call the record wrong. (The Ingress's own host
	// is judged apart, and fails.)
	inv = ruletest.LBProject()
	cl := withIngress(inv, "shop.example.com")
	cl.Ingresses[0].Annotations[gke.AnnManagedCerts] = "shop-cert"
	var mc inventory.ManagedCertificate
	mc.Namespace, mc.Name = "shop", "shop-cert"
	mc.Spec.Domains = []string{"shop.example.com"}
	mc.Status.CertificateStatus, mc.Status.CertificateName = "Provisioning", "mcrt-1"
	cl.ManagedCertificates = []inventory.ManagedCertificate{mc}
	withDNS(inv, resolvedAt("shop.example.com", "198.51.100.7"))
	ruletest.FailSource(inv, inventory.ComputeSSLCertificates, projectScope)
	c = ruletest.ExpectCounts(t, inv, CertificateDNSMismatch, ruletest.Counts{Judged: 1, Failed: 1, CouldNotCheck: 2})
	expectReason(t, c, "presenting certificates were not all read")
}
