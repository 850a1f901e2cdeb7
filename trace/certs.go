package trace

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// certificate judges the certificate an HTTPS proxy presents for the
// request's host. The proxy picks, by the client's SNI, a certificate
// whose names cover the host; when none does (or the client sends no SNI,
// as for an IP address) it presents its first one.
func (t *tracer) certificate(p *compute.TargetHttpsProxy, depth int) Hop {
	x, host := t.x, t.r.Host
	if p.CertificateMap != "" {
		return Hop{Kind: "CertificateMap", Name: inventory.LastSegment(p.CertificateMap), SelfLink: p.CertificateMap, Verdict: Unknown, Findings: []HopFinding{}, Depth: depth,
			Reason: "the Certificate Manager map " + inventory.LastSegment(p.CertificateMap) + " chooses the certificate: not inspected (lbdiag reads Compute Engine certificates only)"}
	}
	var certs []*compute.SslCertificate
	var unread, managerCerts []string
	for _, ref := range p.SslCertificates {
		if strings.Contains(ref, "certificatemanager") || strings.Contains(ref, "/certificates/") {
			managerCerts = append(managerCerts, inventory.LastSegment(ref))
			continue
		}
		if c := x.certs[inventory.RelativeName(ref)]; c != nil {
			certs = append(certs, c)
		} else if !x.known(inventory.ComputeSSLCertificates, ref) {
			unread = append(unread, inventory.LastSegment(ref))
		}
	}
	var chosen *compute.SslCertificate
	_, isIP := netip.ParseAddr(host)
	for _, c := range certs {
		if isIP != nil && covers(c, host) {
			chosen = c
			break
		}
	}
	if chosen == nil {
		switch {
		case len(managerCerts) > 0 || len(unread) > 0:
			h := Hop{Kind: "SslCertificate", Name: strings.Join(append(unread, managerCerts...), ","), Verdict: Unknown, Findings: []HopFinding{}, Depth: depth}
			h.Reason = "no certificate read covers " + host + "; "
			if len(unread) > 0 {
				h.Reason += t.unknownReason(inventory.ComputeSSLCertificates, p.SslCertificates[0], "certificate "+strings.Join(unread, ", "))
			} else {
				h.Reason += "Certificate Manager certificates " + strings.Join(managerCerts, ", ") + " are not inspected"
			}
			return h
		case len(certs) == 0:
			return Hop{Kind: "SslCertificate", Name: "none", Verdict: Error, Findings: []HopFinding{}, Depth: depth,
				Reason: "proxy " + p.Name + " has no certificate it can present: every TLS handshake fails", Fix: certFix(p, host)}
		}
		first := certs[0]
		h := t.hop("SslCertificate", first.Name, first.SelfLink, core.ResourceOf("SslCertificate", first.SelfLink), depth)
		if isIP == nil {
			setVerdict(&h, Warning, fmt.Sprintf("the request names an IP address, so the client sends no SNI and the proxy presents its first certificate, %s (%s): a client that checks names fails", first.Name, strings.Join(namesOf(first), ", ")))
			return h
		}
		setVerdict(&h, Error, fmt.Sprintf("no certificate of proxy %s covers %s: clients get %s (%s) and fail TLS with a name mismatch", p.Name, host, first.Name, strings.Join(namesOf(first), ", ")))
		h.Fix = certFix(p, host)
		return h
	}
	h := t.hop("SslCertificate", chosen.Name, chosen.SelfLink, core.ResourceOf("SslCertificate", chosen.SelfLink), depth)
	h.Reason = fmt.Sprintf("covers %s (%s)", host, strings.Join(namesOf(chosen), ", "))
	if chosen.Type == "MANAGED" && chosen.Managed != nil {
		status := chosen.Managed.Status
		domain := coveringName(chosen.Managed.Domains, host)
		ds := chosen.Managed.DomainStatus[domain]
		if status != "ACTIVE" || (ds != "" && ds != "ACTIVE") {
			setVerdict(&h, Error, fmt.Sprintf("managed certificate %s is %s (domain %s: %s): the proxy cannot present it, so TLS fails for %s until it is ACTIVE", chosen.Name, firstNonEmpty(status, "not provisioned"), domain, firstNonEmpty(ds, "no status"), host))
			return h
		}
	}
	if exp, err := time.Parse(time.RFC3339, chosen.ExpireTime); err == nil && !t.x.inv.CollectedAt.IsZero() {
		switch now := t.x.inv.CollectedAt; {
		case !exp.After(now):
			setVerdict(&h, Error, fmt.Sprintf("expired on %s: clients reject it", exp.UTC().Format("2006-01-02")))
			h.Fix = certFix(p, host)
		default:
			h.Reason += ", expires " + exp.UTC().Format("2006-01-02")
		}
	}
	return h
}

// namesOf are the names a certificate covers.
func namesOf(c *compute.SslCertificate) []string {
	names := append([]string{}, c.SubjectAlternativeNames...)
	if len(names) == 0 && c.Managed != nil {
		names = append(names, c.Managed.Domains...)
	}
	if len(names) == 0 {
		names = []string{"no names read"}
	}
	return names
}

// covers reports whether a certificate's names cover a host.
func covers(c *compute.SslCertificate, host string) bool {
	names := c.SubjectAlternativeNames
	if c.Managed != nil {
		names = append(append([]string{}, names...), c.Managed.Domains...)
	}
	return coveringName(names, host) != ""
}

// coveringName is the name of a list that covers a host: the host itself,
// or a wildcard "*.example.com" covering one label.
func coveringName(names []string, host string) string {
	host = strings.ToLower(host)
	for _, n := range names {
		n = strings.ToLower(n)
		if n == host {
			return n
		}
	}
	for _, n := range names {
		n = strings.ToLower(n)
		if rest, ok := strings.CutPrefix(n, "*."); ok {
			if label, parent, ok := strings.Cut(host, "."); ok && label != "" && parent == rest {
				return n
			}
		}
	}
	return ""
}

// certFix adds a certificate for the host to a proxy.
func certFix(p *compute.TargetHttpsProxy, host string) string {
	var keep []string
	for _, c := range p.SslCertificates {
		keep = append(keep, inventory.LastSegment(c))
	}
	name := "cert-" + strings.ReplaceAll(strings.TrimPrefix(host, "*."), ".", "-")
	loc := core.GCloudLocationFlag(p.SelfLink)
	return fmt.Sprintf("gcloud compute ssl-certificates create %s --domains %s %s --project %s\ngcloud compute target-https-proxies update %s --ssl-certificates %s %s --project %s   # behind a GKE Ingress, list %s in its ManagedCertificate instead",
		name, host, loc, inventory.ProjectOf(p.SelfLink), p.Name, strings.Join(append(keep, name), ","), loc, inventory.ProjectOf(p.SelfLink), host)
}
