package ingress

import (
	"fmt"
	"sort"
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// ManagedCertificateNotActive reports ManagedCertificates that are not
// Active.
var ManagedCertificateNotActive = &inspect.Rule{
	ID:       "managed-certificate-not-active",
	Severity: inspect.Error,
	Title:    "Every ManagedCertificate is Active",
	Doc: inspect.Doc{
		Why:     `A ManagedCertificate's status.certificateStatus is Active once Google's certificate authority has issued its certificate. Provisioning for more than a day, ProvisioningFailed, ProvisioningFailedPermanently or RenewalFailed mean the Ingress serves no valid certificate for its domains (or soon will not, for a renewal). status.domainStatus says why, per domain: FailedNotVisible (DNS does not point at the Ingress's IP, by far the most common), FailedCaaChecking and FailedCaaForbidden (CAA records), FailedRateLimited. A ManagedCertificate no Ingress uses never provisions.`,
		Fix:     `Point each domain's A/AAAA records at the Ingress's address (kubectl get ingress NAME -n NS), allow pki.goog and letsencrypt.org in CAA records, and reference the ManagedCertificate from an external Ingress; then kubectl describe managedcertificate NAME -n NS until it is Active.`,
		Sources: []string{"Use Google-managed SSL certificates with GKE Ingress: troubleshooting (" + docManagedCertsGKE + ")", "GoogleCloudPlatform/gke-managed-certs pkg/apis/networking.gke.io/v1 (statuses)"},
		URL:     docManagedCertsGKE,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			if !p.Known(inventory.KubeManagedCertificates, cl.Scope()) {
				continue
			}
			users := map[string][]string{} // ns/name -> Ingresses
			ips := map[string][]string{}
			ingressesKnown := inv.Known(inventory.KubeIngresses, cl.Scope())
			if ingressesKnown {
				core.GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) {
					for _, name := range gke.ManagedCertificateNames(ing) {
						k := ing.Namespace + "/" + name
						users[k] = append(users[k], ing.Namespace+"/"+ing.Name)
						for _, in := range ing.Status.LoadBalancer.Ingress {
							if in.IP != "" {
								ips[k] = append(ips[k], in.IP)
							}
						}
					}
				})
			}
			for i := range cl.ManagedCertificates {
				mc := &cl.ManagedCertificates[i]
				res := core.KubeResource(cl, "ManagedCertificate", mc.ObjectMeta)
				p.Judge(res)
				st := mc.Status.CertificateStatus
				if st == "Active" {
					continue
				}
				k := mc.Namespace + "/" + mc.Name
				var age time.Duration
				aged := !mc.CreationTimestamp.IsZero() && !inv.CollectedAt.IsZero()
				if aged {
					age = inv.CollectedAt.Sub(mc.CreationTimestamp.Time)
				}
				var whys []string
				failed := false
				doms := map[string]string{}
				for _, d := range mc.Status.DomainStatus {
					doms[d.Domain] = d.Status
					if d.Status == "Active" {
						continue
					}
					failed = failed || strings.HasPrefix(d.Status, "Failed")
					why := mcDomainWhy[d.Status]
					if why == "" {
						why = d.Status
					}
					whys = append(whys, fmt.Sprintf("%s: %s, %s", d.Domain, d.Status, why))
				}
				if (st == "Provisioning" || st == "") && !failed && (!aged || age < 24*time.Hour) {
					continue
				}
				if st == "" {
					st = "without a status (the ManagedCertificate controller has not processed it)"
				}
				sort.Strings(whys)
				sev := inspect.Error
				usedBy := "used by Ingress " + strings.Join(users[k], ", ")
				switch {
				case !ingressesKnown:
					usedBy = "its Ingresses could not be read"
				case len(users[k]) == 0:
					sev, usedBy = inspect.Warning, "used by no Ingress (it cannot provision until an external Ingress names it)"
				}
				msg := fmt.Sprintf("ManagedCertificate %s (%s) is %s", k, usedBy, st)
				if aged {
					msg += " after " + core.HumanDuration(age)
				}
				if len(whys) > 0 {
					msg += ": " + strings.Join(whys, "; ")
				}
				target := "the Ingress's address"
				if v := core.SortedUnique(ips[k]); len(v) > 0 {
					target = strings.Join(v, ", ")
				}
				fix := fmt.Sprintf("kubectl describe managedcertificate %s -n %s   # then fix each domain's DNS (A/AAAA records to %s) and CAA records", mc.Name, mc.Namespace, target)
				if ingressesKnown && len(users[k]) == 0 {
					fix = fmt.Sprintf("kubectl annotate ingress INGRESS -n %s %s=%s --overwrite   # an external Ingress serving its domains; keep the names already there", mc.Namespace, gke.AnnManagedCerts, mc.Name)
				}
				p.Report(inspect.Finding{
					Severity: sev,
					Message:  msg,
					Resource: res,
					Evidence: map[string]any{"status.certificateStatus": mc.Status.CertificateStatus, "status.domainStatus": doms, "status.certificateName": mc.Status.CertificateName,
						"usedBy": users[k], "ingressIPs": core.SortedUnique(ips[k])},
					Remediation: fix,
				})
			}
		}
	},
}

// mcDomainWhy explains a ManagedCertificate domain status.
var mcDomainWhy = map[string]string{
	"FailedNotVisible":   "its DNS records do not point at the Ingress's address",
	"FailedCaaChecking":  "the CAA lookup of its DNS zone failed",
	"FailedCaaForbidden": "its CAA records do not allow Google's certificate authorities (pki.goog, letsencrypt.org)",
	"FailedRateLimited":  "the certificate authority refused more certificates for it for now",
	"Provisioning":       "still provisioning",
}
