package ingress

import (
	"fmt"
	"sort"
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

const docManagedCertsGKE = "https://cloud.google.com/kubernetes-engine/docs/how-to/managed-certs"

// certNames splits a comma-separated annotation of names, trimming spaces
// and dropping empties, as the controllers do.
func certNames(v string) []string {
	var out []string
	for _, n := range strings.Split(v, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// ingressHosts are the hosts an Ingress's rules name.
func ingressHosts(ing *networkingv1.Ingress) []string {
	var out []string
	for _, r := range ing.Spec.Rules {
		if r.Host != "" && !strings.HasPrefix(r.Host, "*") {
			out = append(out, r.Host)
		}
	}
	return core.SortedUnique(out)
}

// ManagedCertificateMissing reports Ingresses naming ManagedCertificates
// that do not exist.
var ManagedCertificateMissing = &inspect.Rule{
	ID:       "managed-certificate-missing",
	Severity: inspect.Error,
	Title:    "Every ManagedCertificate an Ingress names exists in its namespace",
	Doc: inspect.Doc{
		Why:     `The networking.gke.io/managed-certificates annotation lists ManagedCertificate objects of the Ingress's namespace. For each, GKE's ManagedCertificate controller creates a Google-managed SslCertificate (mcrt-...) and adds it to the Ingress's pre-shared-cert annotation. A name with no ManagedCertificate behind it gets no certificate: the controller records a MissingCertificate event ("ManagedCertificate NS:NAME missing") and the load balancer serves no certificate for those domains. ManagedCertificates are global: an internal (gce-internal) Ingress cannot use them at all.`,
		Fix:     `Create the ManagedCertificate in the Ingress's namespace with the domains the Ingress serves (kubectl apply -f with kind ManagedCertificate, spec.domains), or correct the name in the annotation.`,
		Sources: []string{"Use Google-managed SSL certificates with GKE Ingress (" + docManagedCertsGKE + ")", "GoogleCloudPlatform/gke-managed-certs pkg/controller/sync (MissingCertificate events)"},
		URL:     docManagedCertsGKE,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			if !inv.Known(inventory.KubeIngresses, cl.Scope()) || !inv.Known(inventory.KubeManagedCertificates, cl.Scope()) {
				continue
			}
			have := map[string]bool{}
			var names []string
			for _, mc := range cl.ManagedCertificates {
				have[mc.Namespace+"/"+mc.Name] = true
				names = append(names, mc.Namespace+"/"+mc.Name)
			}
			core.GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) {
				for _, name := range certNames(ing.Annotations[core.AnnManagedCerts]) {
					res := core.KubeResource(cl, "Ingress", ing.ObjectMeta)
					if class != inventory.ClassGCE {
						p.Report(inspect.Finding{
							Key:         name,
							Message:     fmt.Sprintf("networking.gke.io/managed-certificates names ManagedCertificate %q, but the Ingress's class is %s: Google-managed certificates from ManagedCertificates are global and serve only external (gce) Ingresses", name, class),
							Resource:    res,
							Evidence:    map[string]any{"annotation": core.AnnManagedCerts, "name": name, "class": class},
							Remediation: fmt.Sprintf("kubectl annotate ingress %s -n %s %s-   # and use a regional certificate (ingress.gcp.kubernetes.io/pre-shared-cert) or a TLS Secret", ing.Name, ing.Namespace, core.AnnManagedCerts),
						})
						continue
					}
					if have[ing.Namespace+"/"+name] {
						continue
					}
					var inNS []string
					for _, n := range names {
						if ns, mc, _ := strings.Cut(n, "/"); ns == ing.Namespace {
							inNS = append(inNS, mc)
						}
					}
					msg := fmt.Sprintf("networking.gke.io/managed-certificates names ManagedCertificate %q, which does not exist in namespace %s: the load balancer gets no certificate for it", name, ing.Namespace)
					if near := core.Nearest(name, inNS); near != "" {
						msg += fmt.Sprintf("; %q exists there (a typo?)", near)
					}
					hosts := ingressHosts(ing)
					domains := "  - DOMAIN"
					if len(hosts) > 0 {
						domains = "  - " + strings.Join(hosts, "\n  - ")
					}
					p.Report(inspect.Finding{
						Key:      name,
						Message:  msg,
						Resource: res,
						Evidence: map[string]any{"annotation": core.AnnManagedCerts, "name": name, "managedCertificatesInNamespace": inNS, "hosts": hosts},
						Remediation: fmt.Sprintf("kubectl apply -f - <<'EOF'\napiVersion: networking.gke.io/v1\nkind: ManagedCertificate\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  domains:\n%s\nEOF",
							name, ing.Namespace, domains),
					})
				}
			})
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
			if !inv.Known(inventory.KubeManagedCertificates, cl.Scope()) {
				continue
			}
			users := map[string][]string{} // ns/name -> Ingresses
			ips := map[string][]string{}
			ingressesKnown := inv.Known(inventory.KubeIngresses, cl.Scope())
			if ingressesKnown {
				core.GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) {
					for _, name := range certNames(ing.Annotations[core.AnnManagedCerts]) {
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
					msg += " after " + humanAge(age)
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
					fix = fmt.Sprintf("kubectl annotate ingress INGRESS -n %s %s=%s --overwrite   # an external Ingress serving its domains; keep the names already there", mc.Namespace, core.AnnManagedCerts, mc.Name)
				}
				p.Report(inspect.Finding{
					Severity: sev,
					Message:  msg,
					Resource: core.KubeResource(cl, "ManagedCertificate", mc.ObjectMeta),
					Evidence: map[string]any{"status.certificateStatus": mc.Status.CertificateStatus, "status.domainStatus": doms, "status.certificateName": mc.Status.CertificateName,
						"usedBy": users[k], "ingressIPs": core.SortedUnique(ips[k])},
					Remediation: fix,
				})
			}
		}
	},
}

// humanAge says an age in days or hours.
func humanAge(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	return fmt.Sprintf("%d hours", int(d/time.Hour))
}

// PreSharedCertMissing reports pre-shared-cert annotations naming
// certificates the project lacks.
var PreSharedCertMissing = &inspect.Rule{
	ID:       "pre-shared-cert-missing",
	Severity: inspect.Error,
	Title:    "Every certificate an Ingress's pre-shared-cert annotation names exists in its scope",
	Doc: inspect.Doc{
		Why:     `ingress.gcp.kubernetes.io/pre-shared-cert lists SslCertificates the controller attaches to the Ingress's target HTTPS proxy: global ones for an external (gce) Ingress, regional ones in the cluster's region for gce-internal and gce-regional-external. One that does not exist in that scope fails the whole load-balancer sync, and the HTTPS proxy keeps its old certificates or is never built. GKE's ManagedCertificate controller writes mcrt-... names here too; if such a certificate was deleted by hand, the annotation keeps pointing at it.`,
		Fix:     `Create the certificate in the right scope (gcloud compute ssl-certificates create NAME --certificate=... --private-key=... --global, or --region REGION), or remove the name from the annotation (for mcrt-... names, delete and re-create the ManagedCertificate instead).`,
		Sources: []string{"Using pre-shared certificates with GKE Ingress (cloud.google.com/kubernetes-engine/docs/how-to/ingress-multi-ssl#pre-shared-certs)", "kubernetes/ingress-gce pkg/translator/translator.go (pre-shared certificates by scope)"},
		URL:     "https://cloud.google.com/kubernetes-engine/docs/how-to/ingress-multi-ssl",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !inv.Known(inventory.ComputeSSLCertificates, inventory.ProjectScope(inv.Project)) {
			return
		}
		byScope := map[string][]string{} // "global" or region -> names
		for _, c := range inv.Compute.SSLCertificates {
			if inventory.ProjectOf(c.SelfLink) == inv.Project {
				loc := core.LocationOf(c.SelfLink)
				byScope[loc] = append(byScope[loc], c.Name)
			}
		}
		for _, cl := range inv.Clusters {
			if !inv.Known(inventory.KubeIngresses, cl.Scope()) || cl.Project != inv.Project {
				continue
			}
			core.GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) {
				scope, flag := "global", "--global"
				if class != inventory.ClassGCE {
					scope, flag = cl.Region(), "--region "+cl.Region()
				}
				for _, name := range certNames(ing.Annotations[core.AnnPreSharedCert]) {
					if core.Contains(byScope[scope], name) {
						continue
					}
					msg := fmt.Sprintf("ingress.gcp.kubernetes.io/pre-shared-cert names SslCertificate %q, which project %s does not have in scope %s (class %s): the load-balancer sync fails", name, inv.Project, scope, class)
					var elsewhere []string
					for _, s := range core.SortedKeys(byScope) {
						if s != scope && core.Contains(byScope[s], name) {
							elsewhere = append(elsewhere, s)
						}
					}
					if len(elsewhere) > 0 {
						msg += fmt.Sprintf("; a certificate of that name exists in %s, the wrong scope for this class", strings.Join(elsewhere, ", "))
					} else if near := core.Nearest(name, byScope[scope]); near != "" {
						msg += fmt.Sprintf("; %q exists there (a typo?)", near)
					}
					fix := fmt.Sprintf("gcloud compute ssl-certificates create %s --certificate=CERT.pem --private-key=KEY.pem %s --project %s   # or remove %s from the annotation", name, flag, inv.Project, name)
					if strings.HasPrefix(name, "mcrt-") {
						fix = fmt.Sprintf("kubectl get managedcertificate -n %s   # %s was made by a ManagedCertificate: delete and re-create that ManagedCertificate, and remove %s from the annotation", ing.Namespace, name, name)
					}
					p.Report(inspect.Finding{
						Key:         name,
						Message:     msg,
						Resource:    core.KubeResource(cl, "Ingress", ing.ObjectMeta),
						Evidence:    map[string]any{"annotation": core.AnnPreSharedCert, "name": name, "scope": scope, "class": class, "elsewhere": elsewhere},
						Remediation: fix,
					})
				}
			})
		}
	},
}
