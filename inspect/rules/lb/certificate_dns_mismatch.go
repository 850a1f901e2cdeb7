package lb

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// CertificateDNSMismatch reports names whose A or AAAA records do not point
// at the load balancer that serves them: the domains of Google-managed
// certificates that are not ACTIVE, and the hosts of external Ingresses
// and Gateways.
var CertificateDNSMismatch = &inspect.Rule{
	ID:       "certificate-dns-mismatch",
	Severity: inspect.Error,
	Title:    "The A and AAAA records of every Google-managed certificate's domain, and of every Ingress and Gateway host, point at the load balancer that serves it",
	Doc: inspect.Doc{
		Why: `Google's certificate authorities validate each domain of a Google-managed certificate through the load balancer its DNS records point at: while any A or AAAA record of the domain points elsewhere (an old load balancer, a CDN, a parked domain) or the domain has none, the certificate stays PROVISIONING, then FAILED_NOT_VISIBLE, and HTTPS clients get certificate errors; renewals fail the same way. lbdiag resolves the domains of the certificates that are not ACTIVE (Compute Engine's, and GKE's ManagedCertificates) with the system's resolver (or --resolver), and compares the answers with the addresses of the forwarding rules that present the certificate. It also resolves the hosts of external Ingresses and Gateways: a host whose records point elsewhere sends its clients to another server (a warning: a proxy or CDN in front of the load balancer may be intended). An answer the resolver could not give (timeout, SERVFAIL) is a coverage gap, never a mismatch; NXDOMAIN is an answer. With --no-dns, and in the replay of a recording made without DNS lookups, the rule judges nothing.`,
		Fix: `Set the name's records to the load balancer's addresses (the finding gives the exact records, e.g. www.example.com. 300 IN A 203.0.113.10), remove records that point elsewhere (an AAAA record when the load balancer has no IPv6 address), replace a CNAME that leads elsewhere; then check: dig +short NAME A; dig +short NAME AAAA.`,
		Sources: []string{"Use Google-managed SSL certificates: update the DNS A and AAAA records to point to the load balancer's IP address; renewal fails when a domain does not point at it (" + docManagedCerts + ")",
			"Certificate Manager domain authorization: load balancer authorization needs the certificate on port 443 at every IP address serving the domain (cloud.google.com/certificate-manager/docs/domain-authorization)",
			"Compute Engine API sslCertificates: managed.domainStatus FAILED_NOT_VISIBLE"},
		URL: docManagedCerts,
	},
	Needs: []inventory.Source{inventory.DNSLookups},
	Check: func(p *inspect.Pass) {
		if !dnsRead(p) {
			return
		}
		reported := map[string]bool{}
		for _, t := range certTargets(p, true) {
			judgeAddresses(p, t, reported)
		}
		for _, t := range hostTargets(p) {
			if !reported[t.Name] {
				judgeAddresses(p, t, reported)
			}
		}
	},
}

// judgeAddresses compares the A and AAAA records of a name with the
// addresses of its load balancer.
func judgeAddresses(p *inspect.Pass, t dnsTarget, reported map[string]bool) {
	inv := p.Inventory
	scope := inventory.DNSScope(inv.Project, t.Name)
	if t.Unread != "" {
		p.CouldNotCheck(scope, t.Unread, "")
		return
	}
	if len(t.Expected) == 0 {
		return // no address to compare with (no forwarding rule yet)
	}
	if !p.Known(inventory.DNSLookups, scope) {
		return
	}
	a4, ok4 := inv.DNS.Answer(t.Name, inventory.DNSTypeA)
	a6, ok6 := inv.DNS.Answer(t.Name, inventory.DNSTypeAAAA)
	if !ok4 || !ok6 {
		// Not "no record": the lookup was not made (an older recording).
		p.CouldNotCheck(scope, "the A and AAAA lookups of "+t.Name+" were not both made", "")
		return
	}
	none := len(a4.Addresses)+len(a6.Addresses) == 0
	if none && !t.Cert {
		return // a host without records is not published: nothing to compare
	}
	p.Judge(t.Res)
	want4, want6 := splitFamilies(t.Expected)
	var wrong, drop []string
	for _, f := range []struct {
		qtype string
		got   []string
		want  []string
	}{{inventory.DNSTypeA, a4.Addresses, want4}, {inventory.DNSTypeAAAA, a6.Addresses, want6}} {
		for _, ip := range f.got {
			if slices.Contains(f.want, ip) {
				continue
			}
			wrong = append(wrong, f.qtype+" "+ip)
			if len(f.want) == 0 {
				drop = append(drop, dnsRecord(t.Name, f.qtype, ip))
			}
		}
	}
	if !none && len(wrong) == 0 {
		return
	}
	reported[t.Name] = true

	aliases := aliasOf(a4, a6)
	found := "DNS record " + t.Name + " " + strings.Join(wrong, ", ")
	switch {
	case none:
		found = fmt.Sprintf("%s has no A or AAAA record (%s)", t.Name, noRecordText(a4.RCode))
	case len(aliases) > 0:
		found = fmt.Sprintf("DNS record %s (an alias of %s) %s", t.Name, aliases[len(aliases)-1], strings.Join(wrong, ", "))
	}
	want := strings.Join(t.Expected, ", ")
	var set []string
	for _, ip := range want4 {
		set = append(set, dnsRecord(t.Name, inventory.DNSTypeA, ip))
	}
	// AAAA records where the load balancer has an IPv6 address and the
	// name has one, or has none at all.
	if len(a6.Addresses) > 0 || len(want4) == 0 {
		for _, ip := range want6 {
			set = append(set, dnsRecord(t.Name, inventory.DNSTypeAAAA, ip))
		}
	}

	var msg string
	sev := inspect.Error
	if t.Cert {
		msg = fmt.Sprintf("%s: it should hold %s, the address of the load balancer presenting %s (%s). Until every A and AAAA record of %s points there, Google's certificate authority cannot validate the domain and the certificate does not become ACTIVE",
			found, want, t.What, t.Status, t.Name)
	} else {
		sev = inspect.Warning
		msg = fmt.Sprintf("%s, but the load balancer of %s is at %s: clients of %s reach another server, unless a proxy or CDN in front of it forwards to the load balancer",
			found, t.What, want, t.Name)
	}
	fix := []string{"set: " + strings.Join(set, "; ")}
	if len(aliases) > 0 {
		fix[0] = fmt.Sprintf("replace the CNAME %s. (to %s) with: %s", t.Name, aliases[0], strings.Join(set, "; "))
	}
	if len(drop) > 0 {
		fix = append(fix, "delete "+strings.Join(drop, "; ")+" (the load balancer has no address of that family)")
	}
	fix = append(fix, fmt.Sprintf("then check: dig +short %s A; dig +short %s AAAA", t.Name, t.Name))
	ev := map[string]any{"name": t.Name, "A": core.OrEmpty(a4.Addresses), "AAAA": core.OrEmpty(a6.Addresses), "rcode": a4.RCode,
		"expected": t.Expected, "resolver": resolverNote(inv)}
	if len(aliases) > 0 {
		ev["cnames"] = aliases
	}
	if len(wrong) > 0 {
		ev["wrongRecords"] = wrong
	}
	f := inspect.Finding{Severity: sev, Message: msg, Resource: t.Res, Key: t.Name, Evidence: ev, Remediation: strings.Join(fix, "; ")}
	if t.Attach != nil {
		f.AttachTo = t.Attach
		f.AttachNote = fmt.Sprintf("%s; it should hold %s (certificate-dns-mismatch)", found, want)
		if !strings.HasPrefix(found, "DNS") {
			f.AttachNote = "DNS: " + f.AttachNote
		}
	}
	p.Report(f)
}

// noRecordText says how a name has no record: NXDOMAIN (no such name),
// or no record of the type.
func noRecordText(rcode string) string {
	if rcode == inventory.RCodeNXDomain {
		return "NXDOMAIN"
	}
	return "no record"
}
