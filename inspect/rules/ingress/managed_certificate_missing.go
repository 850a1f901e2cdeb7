package ingress

import (
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

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
			if !p.Known(inventory.KubeIngresses, cl.Scope()) || !p.Known(inventory.KubeManagedCertificates, cl.Scope()) {
				continue
			}
			have := map[string]bool{}
			var names []string
			for _, mc := range cl.ManagedCertificates {
				have[mc.Namespace+"/"+mc.Name] = true
				names = append(names, mc.Namespace+"/"+mc.Name)
			}
			core.GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) {
				certs := gke.ManagedCertificateNames(ing)
				if len(certs) == 0 {
					return
				}
				res := core.KubeResource(cl, "Ingress", ing.ObjectMeta)
				p.Judge(res)
				for _, name := range certs {
					if class != gke.ClassGCE {
						p.Report(inspect.Finding{
							Key:         name,
							Message:     fmt.Sprintf("networking.gke.io/managed-certificates names ManagedCertificate %q, but the Ingress's class is %s: Google-managed certificates from ManagedCertificates are global and serve only external (gce) Ingresses", name, class),
							Resource:    res,
							Evidence:    map[string]any{"annotation": gke.AnnManagedCerts, "name": name, "class": class},
							Remediation: fmt.Sprintf("kubectl annotate ingress %s -n %s %s-   # and use a regional certificate (ingress.gcp.kubernetes.io/pre-shared-cert) or a TLS Secret", ing.Name, ing.Namespace, gke.AnnManagedCerts),
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
						Evidence: map[string]any{"annotation": gke.AnnManagedCerts, "name": name, "managedCertificatesInNamespace": inNS, "hosts": hosts},
						Remediation: fmt.Sprintf("kubectl apply -f - <<'EOF'\napiVersion: networking.gke.io/v1\nkind: ManagedCertificate\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  domains:\n%s\nEOF",
							core.NameOr(name, "NAME"), ing.Namespace, domains),
					})
				}
			})
		}
	},
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
