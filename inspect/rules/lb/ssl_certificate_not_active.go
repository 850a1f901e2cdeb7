package lb

import (
	"fmt"
	"slices"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// SSLCertificateNotActive reports Google-managed certificates a load
// balancer presents that are not ACTIVE.
var SSLCertificateNotActive = &inspect.Rule{
	ID:       "ssl-certificate-not-active",
	Severity: inspect.Error,
	Title:    "Every Google-managed certificate a load balancer presents is ACTIVE",
	Doc: inspect.Doc{
		Why: `A Google-managed SSL certificate serves HTTPS only once its status is ACTIVE. Until then a load balancer that presents it fails the TLS handshake (or presents another certificate), and browsers show certificate errors. The reason is in managed.domainStatus, per domain: FAILED_NOT_VISIBLE (the domain's DNS does not point at the load balancer, the most common case), FAILED_CAA_CHECKING and FAILED_CAA_FORBIDDEN (the domain's CAA records), FAILED_RATE_LIMITED (the certificate authority's limits). PROVISIONING is normal for up to an hour once DNS is right; lbdiag reports it after a day. Certificates GKE's ManagedCertificate controller made (mcrt-...) are fixed through the ManagedCertificate and DNS, never by editing the certificate.`,
		Fix: `Fix each domain as its status says (DNS A/AAAA records to the forwarding rule's IP; CAA records allowing pki.goog and letsencrypt.org), then watch: gcloud compute ssl-certificates describe NAME --global --format='value(managed.status,managed.domainStatus)'`,
		Sources: []string{"Use Google-managed SSL certificates: domain status, troubleshooting (" + docManagedCerts + ")",
			"Compute Engine API sslCertificates: managed.status and managed.domainStatus values", "gcpdiag runbook lb/ssl-certificates"},
		URL: docManagedCerts,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !p.Known(inventory.ComputeSSLCertificates, inventory.ProjectScope(inv.Project)) {
			return
		}
		g := core.GraphOf(p)
		// Unread proxies and forwarding rules only change the words: a
		// certificate is then judged as if presented.
		known := certsRead(inv)
		frsKnown := inv.Known(inventory.ComputeForwardingRules, inventory.ProjectScope(inv.Project))
		for _, cert := range inv.Compute.SSLCertificates {
			if cert.Type != "MANAGED" || cert.Managed == nil {
				continue
			}
			// A proxy whose certificate map wins presents it to no one.
			var users []core.CertUser
			for _, u := range g.ProxiesByCert[inventory.RelativeName(cert.SelfLink)] {
				if !u.MapOverrides {
					users = append(users, u)
				}
			}
			if known && len(users) == 0 {
				continue // ssl-certificate-unattached's case
			}
			res := core.ResourceOf("SslCertificate", cert.SelfLink)
			p.Judge(res)
			if cert.Managed.Status == "ACTIVE" {
				continue
			}
			var frs []*compute.ForwardingRule
			var proxies []string
			for _, u := range users {
				frs = append(frs, u.FRs...)
				proxies = append(proxies, u.Kind+" "+u.Name)
			}
			ips := frIPs(frs)
			age, aged, attached := certAge(inv, cert)
			var whys, fixes []string
			failed := false
			for _, d := range core.SortedKeys(cert.Managed.DomainStatus) {
				st := cert.Managed.DomainStatus[d]
				if st == "ACTIVE" {
					continue
				}
				failed = failed || strings.HasPrefix(st, "FAILED")
				why, fix := domainProblem(d, st, ips)
				if why != "" {
					whys = append(whys, why)
					fixes = append(fixes, fix)
				}
			}
			if cert.Managed.Status == "PROVISIONING" && !failed && (!aged || age < provisioningGrace) {
				continue // still within the normal provisioning time
			}
			sev := inspect.Error
			serving := "which " + strings.Join(proxies, ", ") + " present"
			switch {
			case !known:
				sev, serving = inspect.Warning, "(lbdiag could not read every target proxy, so whether a load balancer presents it is unknown)"
			case !frsKnown:
				serving = "which " + strings.Join(proxies, ", ") + " present"
			case len(frs) == 0:
				sev, serving = inspect.Warning, "which "+strings.Join(proxies, ", ")+" present, though no forwarding rule sends to them yet"
			}
			msg := fmt.Sprintf("Google-managed certificate %s, %s, is %s", cert.Name, serving, cert.Managed.Status)
			switch {
			case aged && attached != nil:
				msg += fmt.Sprintf(" %s after it was given to %s %s (%s at %s)", core.HumanDuration(age), attachedKind(attached.Resource),
					inventory.LastSegment(attached.Resource), attached.Method, attached.At.UTC().Format(time.RFC3339))
			case aged:
				msg += fmt.Sprintf(" %s after its creation", core.HumanDuration(age))
			}
			if len(whys) > 0 {
				msg += ": " + strings.Join(whys, "; ")
			}
			msg += ". HTTPS clients of its domains get certificate errors until it is ACTIVE"
			ev := map[string]any{"managed.status": cert.Managed.Status, "managed.domainStatus": cert.Managed.DomainStatus, "proxies": proxies,
				"forwardingRuleIPs": ips, "creationTimestamp": cert.CreationTimestamp}
			if attached != nil {
				ev["attachedAt"], ev["attachedBy"] = attached.At.UTC().Format(time.RFC3339), attached.Method+" on "+attached.Resource
			}
			fix := strings.Join(core.SortedUnique(fixes), "; ")
			if fix == "" {
				fix = fmt.Sprintf("gcloud compute ssl-certificates describe %s %s --project %s   # read managed.domainStatus", cert.Name, core.GCloudLocationFlag(cert.SelfLink), inventory.ProjectOf(cert.SelfLink))
			}
			f := inspect.Finding{Severity: sev, Resource: res, Evidence: ev, Remediation: fix}
			if mc, cl, obj := managedCertificateOf(inv, cert.Name); mc != "" {
				ev["managedCertificate"] = mc
				msg += "; GKE's " + mc + " made it"
				// The ManagedCertificate's own finding says the same
				// from Kubernetes' side: this one becomes its evidence.
				f.AttachTo = &inspect.Attachment{Rule: "managed-certificate-not-active", Resource: core.KubeResource(cl, "ManagedCertificate", obj.ObjectMeta)}
			}
			f.Message = msg
			p.Report(f)
		}
	},
}

// provisioningGrace is how long a Google-managed certificate may stay
// PROVISIONING before lbdiag calls it stuck: Google documents that
// provisioning can take up to an hour once DNS points at the load
// balancer; a day leaves room for DNS propagation.
const provisioningGrace = 24 * time.Hour

// frIPs lists the address:port of forwarding rules.
func frIPs(frs []*compute.ForwardingRule) []string {
	var out []string
	for _, fr := range frs {
		out = append(out, fr.IPAddress)
	}
	return core.SortedUnique(out)
}

// domainProblem explains one domain's status of a Google-managed
// certificate, and how to fix it; "" for a domain that is fine.
func domainProblem(domain, status string, ips []string) (why, fix string) {
	target := "the load balancer's IP address"
	if len(ips) > 0 {
		target = strings.Join(ips, ", ")
	}
	switch status {
	case "FAILED_NOT_VISIBLE":
		return fmt.Sprintf("%s: FAILED_NOT_VISIBLE, its DNS records do not point at %s", domain, target),
			fmt.Sprintf("point the A (and AAAA) records of %s at %s, then check: dig +short %s", domain, target, domain)
	case "FAILED_CAA_CHECKING":
		return fmt.Sprintf("%s: FAILED_CAA_CHECKING, the CAA lookup of its DNS zone failed (the DNS servers did not answer it)", domain),
			fmt.Sprintf("make the DNS servers of %s answer CAA queries (dig CAA %s)", domain, domain)
	case "FAILED_CAA_FORBIDDEN":
		return fmt.Sprintf("%s: FAILED_CAA_FORBIDDEN, its CAA records do not allow Google's certificate authorities", domain),
			fmt.Sprintf(`add CAA records to %s allowing them: 0 issue "pki.goog" and 0 issue "letsencrypt.org"`, domain)
	case "FAILED_RATE_LIMITED":
		return fmt.Sprintf("%s: FAILED_RATE_LIMITED, the certificate authority refused more certificates for it for now", domain),
			"wait for the rate limit to pass (hours to days) and do not recreate the certificate meanwhile"
	case "PROVISIONING":
		return fmt.Sprintf("%s: PROVISIONING", domain), fmt.Sprintf("check that %s resolves to %s and that a forwarding rule serves HTTPS on port 443 there", domain, target)
	}
	return "", ""
}

// certAge is how long before the collection the certificate started
// provisioning: since it was given to a target proxy, when the audit logs
// (--changes) say so, else since its creation. Provisioning starts when a
// load balancer presents the certificate, so a certificate made long ago
// and attached an hour ago is young (gcpdiag counts from the proxy change
// too). attached is that change, nil when the window holds none.
func certAge(inv *inventory.Inventory, cert *compute.SslCertificate) (age time.Duration, ok bool, attached *inventory.Change) {
	t, err := time.Parse(time.RFC3339, cert.CreationTimestamp)
	if err != nil || inv.CollectedAt.IsZero() {
		return 0, false, nil
	}
	if inv.Changes != nil {
		rel := inventory.RelativeName(cert.SelfLink)
		for _, list := range inv.Changes.ByResource {
			for i := range list {
				c := &list[i]
				if !c.Failed && slices.Contains(c.Certificates, rel) && c.At.After(t) && (attached == nil || c.At.After(attached.At)) {
					attached = c
				}
			}
		}
	}
	if attached != nil {
		t = attached.At
	}
	return inv.CollectedAt.Sub(t), true, attached
}

// attachedKind names the kind of a target proxy's relative name.
func attachedKind(rel string) string {
	parts := strings.Split(rel, "/")
	if len(parts) < 2 {
		return "target proxy"
	}
	switch parts[len(parts)-2] {
	case "targetHttpsProxies":
		return "target HTTPS proxy"
	case "targetSslProxies":
		return "target SSL proxy"
	}
	return "target proxy"
}
