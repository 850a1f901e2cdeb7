package lb

import (
	"fmt"
	"net/netip"

	compute "google.golang.org/api/compute/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// What the DNS rules (certificate-dns-mismatch, certificate-caa-forbids)
// judge: the names lbdiag resolved (inventory.DNSLookups), each with the
// resource it belongs to and the addresses of the load balancer that
// serves it.

// dnsTarget is one name to judge.
type dnsTarget struct {
	// Res is the resource a finding is about: the SslCertificate, the
	// ManagedCertificate, the Ingress or the Gateway.
	Res inspect.Resource
	// What names it in messages ("Google-managed certificate www").
	What string
	// Name is the domain or host.
	Name string
	// Cert is set for a domain of a Google-managed certificate that is
	// not ACTIVE; Status is then the certificate's status.
	Cert   bool
	Status string
	// Expected are the addresses of the load balancer that serves the
	// name, sorted (empty when it has none yet: the name is then not
	// judged).
	Expected []string
	// Unread, when set, says what was not read that Expected comes from:
	// a partial set would call a right record wrong, so the name is a
	// place the rule could not check.
	Unread string
	// Attach is the not-ACTIVE finding a certificate's DNS finding
	// belongs to.
	Attach *inspect.Attachment
}

// dnsRead reports whether the run made DNS lookups. When it did not, the
// DNS rules judge nothing; a project-wide failure (no resolver) is a
// place they could not check, --no-dns or a recording without answers is
// not.
func dnsRead(p *inspect.Pass) bool {
	inv := p.Inventory
	if inv.DNS != nil {
		return true
	}
	for _, c := range inv.Coverage {
		if c.Source == inventory.DNSLookups && c.Status != inventory.StatusSkipped {
			p.Known(inventory.DNSLookups, c.Scope)
		}
	}
	return false
}

// certTargets are the domains of the Google-managed certificates that are
// not ACTIVE: Compute Engine's that a target proxy presents, and GKE's
// ManagedCertificates (which also stand for the certificates they made).
// withAddresses asks for the load balancers' addresses, which need the
// forwarding rules.
func certTargets(p *inspect.Pass, withAddresses bool) []dnsTarget {
	inv := p.Inventory
	ps := inventory.ProjectScope(inv.Project)
	var out []dnsTarget
	g := core.GraphOf(p)
	certsOK := p.Known(inventory.ComputeSSLCertificates, ps)
	frsOK := !withAddresses || p.Known(inventory.ComputeForwardingRules, ps)
	known := certsRead(inv)
	unread := ""
	if withAddresses && !known {
		unread = "the target proxies presenting certificates were not all read"
	}
	if certsOK && frsOK {
		for _, cert := range inv.Compute.SSLCertificates {
			if !inventory.PendingManagedCert(cert) {
				continue
			}
			users := presenters(g, cert.SelfLink)
			if known && len(users) == 0 {
				continue // presented by no one: ssl-certificate-unattached's
			}
			if mc, _, _ := managedCertificateOf(inv, cert.Name); mc != "" {
				continue // judged as its ManagedCertificate
			}
			res := core.ResourceOf("SslCertificate", cert.SelfLink)
			for _, d := range inventory.CertDomains(cert) {
				out = append(out, dnsTarget{Res: res, What: "Google-managed certificate " + cert.Name, Name: d, Cert: true, Status: cert.Managed.Status,
					Expected: frAddresses(usersFRs(users)), Unread: unread, Attach: &inspect.Attachment{Rule: SSLCertificateNotActive.ID, Resource: res}})
			}
		}
	}
	// The addresses a ManagedCertificate's domains should hold come from
	// the forwarding rules too: a partial set would call a right record
	// wrong.
	for _, cl := range inv.Clusters {
		if !frsOK || !p.Known(inventory.KubeManagedCertificates, cl.Scope()) {
			continue
		}
		// The addresses of the external Ingresses naming each one, and of
		// the forwarding rules presenting the certificate it made.
		mcUnread := unread
		if withAddresses && !p.Inventory.Known(inventory.KubeIngresses, cl.Scope()) {
			mcUnread = "the cluster's Ingresses, whose load balancers present it, were not read"
		}
		addrs := map[string][]string{}
		core.GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) {
			if class == gke.ClassInternal {
				return
			}
			for _, name := range gke.ManagedCertificateNames(ing) {
				k := ing.Namespace + "/" + name
				addrs[k] = append(addrs[k], ingressAddresses(frsByName.Of(p), ing)...)
			}
		})
		for i := range cl.ManagedCertificates {
			mc := &cl.ManagedCertificates[i]
			if !inventory.PendingManagedCertificate(mc) {
				continue
			}
			exp := addrs[mc.Namespace+"/"+mc.Name]
			if cn := mc.Status.CertificateName; cn != "" {
				for _, cert := range inv.Compute.SSLCertificates {
					if cert.Name == cn && inventory.ProjectOf(cert.SelfLink) == inv.Project {
						exp = append(exp, frAddresses(usersFRs(presenters(g, cert.SelfLink)))...)
					}
				}
			}
			res := core.KubeResource(cl, "ManagedCertificate", mc.ObjectMeta)
			for _, d := range inventory.ManagedCertificateDomains(mc) {
				out = append(out, dnsTarget{Res: res, What: fmt.Sprintf("ManagedCertificate %s/%s of cluster %s/%s", mc.Namespace, mc.Name, cl.Location(), cl.Name()),
					Name: d, Cert: true, Status: core.OrDash(mc.Status.CertificateStatus), Expected: sortedAddresses(exp), Unread: mcUnread,
					Attach: &inspect.Attachment{Rule: "managed-certificate-not-active", Resource: res}})
			}
		}
	}
	return out
}

// hostTargets are the hosts of external Ingresses and Gateways with the
// addresses of their load balancers.
func hostTargets(p *inspect.Pass) []dnsTarget {
	inv := p.Inventory
	// The addresses hosts should hold include the forwarding rules'.
	if !p.Known(inventory.ComputeForwardingRules, inventory.ProjectScope(inv.Project)) {
		return nil
	}
	var out []dnsTarget
	core.ForIngresses(p, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
		hosts := inventory.IngressHosts(ing)
		if len(hosts) == 0 {
			return
		}
		res := core.KubeResource(cl, "Ingress", ing.ObjectMeta)
		exp := sortedAddresses(ingressAddresses(frsByName.Of(p), ing))
		for _, h := range hosts {
			out = append(out, dnsTarget{Res: res, What: "Ingress " + ing.Namespace + "/" + ing.Name, Name: h, Expected: exp})
		}
	})
	for _, cl := range inv.Clusters {
		if !p.Known(inventory.KubeGateways, cl.Scope()) {
			continue
		}
		for i := range cl.Gateways {
			gw := &cl.Gateways[i]
			hosts := inventory.GatewayHosts(cl, gw)
			if len(hosts) == 0 {
				continue
			}
			res := core.KubeResource(cl, "Gateway", gw.ObjectMeta)
			exp := sortedAddresses(gatewayAddresses(frsByName.Of(p), gw))
			for _, h := range hosts {
				out = append(out, dnsTarget{Res: res, What: "Gateway " + gw.Namespace + "/" + gw.Name, Name: h, Expected: exp})
			}
		}
	}
	return out
}

// presenters are the target proxies presenting a certificate, less those
// whose certificate map wins.
func presenters(g *core.LBGraph, selfLink string) []core.CertUser {
	var out []core.CertUser
	for _, u := range g.ProxiesByCert[inventory.RelativeName(selfLink)] {
		if !u.MapOverrides {
			out = append(out, u)
		}
	}
	return out
}

func usersFRs(users []core.CertUser) []*compute.ForwardingRule {
	var out []*compute.ForwardingRule
	for _, u := range users {
		out = append(out, u.FRs...)
	}
	return out
}

// frAddresses are the forwarding rules' addresses.
func frAddresses(frs []*compute.ForwardingRule) []string {
	var out []string
	for _, fr := range frs {
		out = append(out, fr.IPAddress)
	}
	return sortedAddresses(out)
}

// ingressAddresses are an Ingress's addresses: its status's, and those of
// the forwarding rules its annotations name (byName: frsByName).
func ingressAddresses(byName map[string][]string, ing *networkingv1.Ingress) []string {
	var out []string
	for _, in := range ing.Status.LoadBalancer.Ingress {
		out = append(out, in.IP)
	}
	for _, k := range []string{gke.AnnIngressForwardingRule, gke.AnnIngressHTTPSForwardingRule} {
		if name := ing.Annotations[k]; name != "" {
			out = append(out, byName[name]...)
		}
	}
	return out
}

// gatewayAddresses are a Gateway's addresses: its status's, and those of
// the forwarding rules its networking.gke.io/forwarding-rules annotation
// names.
func gatewayAddresses(byName map[string][]string, gw *inventory.Gateway) []string {
	var out []string
	for _, a := range gw.Status.Addresses {
		if a.Type == nil || *a.Type == "IPAddress" {
			out = append(out, a.Value)
		}
	}
	for _, fr := range gke.GatewayAnnotationPaths(gw.Annotations[gke.AnnGatewayForwardingRules]) {
		out = append(out, byName[inventory.LastSegment(fr)]...)
	}
	return out
}

// frsByName maps a name to the addresses of the project's forwarding
// rules of that name: built once, not scanned for each Ingress.
var frsByName = inspect.NewDerived("lb.frAddressesByName", func(p *inspect.Pass) map[string][]string {
	inv := p.Inventory
	out := map[string][]string{}
	for _, fr := range inv.Compute.ForwardingRules {
		if inventory.ProjectOf(fr.SelfLink) == inv.Project {
			out[fr.Name] = append(out[fr.Name], fr.IPAddress)
		}
	}
	return out
})

// sortedAddresses parses, deduplicates and sorts addresses, IPv4 first.
func sortedAddresses(addrs []string) []string {
	var v4, v6 []string
	for _, a := range addrs {
		ip, err := netip.ParseAddr(a)
		if err != nil {
			continue
		}
		if ip = ip.Unmap(); ip.Is4() {
			v4 = append(v4, ip.String())
		} else {
			v6 = append(v6, ip.String())
		}
	}
	return append(core.SortedUnique(v4), core.SortedUnique(v6)...)
}

// splitFamilies splits addresses into IPv4 and IPv6 ones.
func splitFamilies(addrs []string) (v4, v6 []string) {
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && ip.Is4() {
			v4 = append(v4, a)
		} else {
			v6 = append(v6, a)
		}
	}
	return v4, v6
}

// dnsRecord renders a record as a zone file line: "NAME. 300 IN A IP".
func dnsRecord(name, qtype, data string) string {
	return name + ". 300 IN " + qtype + " " + data
}

// aliasOf says through which aliases an answer went ("" for none).
func aliasOf(answers ...inventory.DNSAnswer) []string {
	for _, a := range answers {
		if len(a.CNAMEs) > 0 {
			return a.CNAMEs
		}
	}
	return nil
}

// resolverNote says which resolver answered, for evidence.
func resolverNote(inv *inventory.Inventory) string {
	if inv.DNS == nil || inv.DNS.Resolver == "" {
		return "the system's resolver"
	}
	return inv.DNS.Resolver
}
