package lb

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// SSLCertificateUnattached reports certificates no load balancer presents.
var SSLCertificateUnattached = &inspect.Rule{
	ID:           "ssl-certificate-unattached",
	Severity:     inspect.Info,
	WholeProject: true,
	Title:        "Every SSL certificate is presented by a target proxy that a forwarding rule uses",
	Doc: inspect.Doc{
		Why:     `A certificate that no target HTTPS or SSL proxy presents, or only proxies no forwarding rule sends to, serves no one: it counts against the SSL_CERTIFICATES quota, and a Google-managed one never provisions, because Google's certificate authority validates a domain through the load balancer that serves it. Such certificates are usually left over from a deleted load balancer or Ingress, or were created before the load balancer that should present them.`,
		Fix:     `Attach it (gcloud compute target-https-proxies update PROXY --ssl-certificates=CERT,...) or delete it: gcloud compute ssl-certificates delete CERT --global --project PROJECT. For GKE, reference it from the Ingress (ingress.gcp.kubernetes.io/pre-shared-cert or networking.gke.io/managed-certificates) instead.`,
		Sources: []string{"SSL certificates overview (cloud.google.com/load-balancing/docs/ssl-certificates)", "Use Google-managed SSL certificates (" + docManagedCerts + ")"},
		URL:     "https://cloud.google.com/load-balancing/docs/ssl-certificates",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !certsKnown(p) {
			return
		}
		ps := inventory.ProjectScope(inv.Project)
		frsKnown := inv.Known(inventory.ComputeForwardingRules, ps)
		g := core.GraphOf(p)
		for _, cert := range inv.Compute.SSLCertificates {
			if inventory.ProjectOf(cert.SelfLink) != inv.Project {
				continue
			}
			users := g.ProxiesByCert[inventory.RelativeName(cert.SelfLink)]
			res := core.ResourceOf("SslCertificate", cert.SelfLink)
			var msg string
			ev := map[string]any{"type": cert.Type}
			switch {
			case len(users) == 0:
				msg = fmt.Sprintf("SSL certificate %s is presented by no target HTTPS or SSL proxy", cert.Name)
			case frsKnown:
				var idle []string
				serving := false
				for _, u := range users {
					if len(u.FRs) > 0 && !u.MapOverrides {
						serving = true
					}
					idle = append(idle, u.Kind+" "+u.Name)
				}
				if serving {
					p.Judge(res)
					continue
				}
				sort.Strings(idle)
				ev["proxies"] = idle
				msg = fmt.Sprintf("SSL certificate %s is presented only by %s, which no forwarding rule sends to (or whose certificate map replaces it)", cert.Name, strings.Join(idle, ", "))
			default:
				// Presented by proxies, and whether a forwarding rule
				// sends to them is unknown.
				p.Known(inventory.ComputeForwardingRules, ps)
				continue
			}
			if cert.Type == "MANAGED" && cert.Managed != nil && cert.Managed.Status != "ACTIVE" {
				msg += fmt.Sprintf("; it is Google-managed and %s, and it cannot provision until a load balancer serves its domains", cert.Managed.Status)
				ev["managed.status"] = cert.Managed.Status
				ev["managed.domainStatus"] = cert.Managed.DomainStatus
			}
			fix := fmt.Sprintf("gcloud compute ssl-certificates delete %s %s --project %s   # or attach it to the load balancer that should present it", cert.Name, core.GCloudLocationFlag(cert.SelfLink), inventory.ProjectOf(cert.SelfLink))
			if mc, _, _ := managedCertificateOf(inv, cert.Name); mc != "" {
				ev["managedCertificate"] = mc
				msg += "; GKE's " + mc + " made it"
				fix = "reference the ManagedCertificate from an Ingress (annotation networking.gke.io/managed-certificates), or delete the ManagedCertificate: GKE then deletes the certificate"
			}
			p.Report(inspect.Finding{Message: msg, Resource: res, Evidence: ev, Remediation: fix})
		}
	},
}
