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

// PreSharedCertMissing reports pre-shared-cert annotations naming
// certificates the project lacks.
var PreSharedCertMissing = &inspect.Rule{
	ID:           "pre-shared-cert-missing",
	Severity:     inspect.Error,
	WholeProject: true,
	Title:        "Every certificate an Ingress's pre-shared-cert annotation names exists in its scope",
	Doc: inspect.Doc{
		Why:     `ingress.gcp.kubernetes.io/pre-shared-cert lists SslCertificates the controller attaches to the Ingress's target HTTPS proxy: global ones for an external (gce) Ingress, regional ones in the cluster's region for gce-internal and gce-regional-external. One that does not exist in that scope fails the whole load-balancer sync, and the HTTPS proxy keeps its old certificates or is never built. GKE's ManagedCertificate controller writes mcrt-... names here too; if such a certificate was deleted by hand, the annotation keeps pointing at it.`,
		Fix:     `Create the certificate in the right scope (gcloud compute ssl-certificates create NAME --certificate=... --private-key=... --global, or --region REGION), or remove the name from the annotation (for mcrt-... names, delete and re-create the ManagedCertificate instead).`,
		Sources: []string{"Using pre-shared certificates with GKE Ingress (cloud.google.com/kubernetes-engine/docs/how-to/ingress-multi-ssl#pre-shared-certs)", "kubernetes/ingress-gce pkg/translator/translator.go (pre-shared certificates by scope)"},
		URL:     "https://cloud.google.com/kubernetes-engine/docs/how-to/ingress-multi-ssl",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !p.Known(inventory.ComputeSSLCertificates, inventory.ProjectScope(inv.Project)) {
			return
		}
		byScope := map[string][]string{} // "global" or region -> names
		for _, c := range inv.Compute.SSLCertificates {
			if inventory.ProjectOf(c.SelfLink) == inv.Project {
				loc := core.ScopeName(c.SelfLink)
				byScope[loc] = append(byScope[loc], c.Name)
			}
		}
		for _, cl := range inv.Clusters {
			if cl.Project != inv.Project || !p.Known(inventory.KubeIngresses, cl.Scope()) {
				continue
			}
			core.GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) {
				scope, flag := "global", "--global"
				if class != gke.ClassGCE {
					scope, flag = cl.Region(), "--region "+cl.Region()
				}
				names := gke.PreSharedCertNames(ing)
				if len(names) == 0 {
					return
				}
				res := core.KubeResource(cl, "Ingress", ing.ObjectMeta)
				p.Judge(res)
				for _, name := range names {
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
					safe := core.NameOr(name, "NAME")
					fix := fmt.Sprintf("gcloud compute ssl-certificates create %s --certificate=CERT.pem --private-key=KEY.pem %s --project %s   # or remove %s from the annotation", safe, flag, inv.Project, safe)
					if strings.HasPrefix(name, "mcrt-") {
						fix = fmt.Sprintf("kubectl get managedcertificate -n %s   # %s was made by a ManagedCertificate: delete and re-create that ManagedCertificate, and remove %s from the annotation", ing.Namespace, safe, safe)
					}
					p.Report(inspect.Finding{
						Key:         name,
						Message:     msg,
						Resource:    res,
						Evidence:    map[string]any{"annotation": gke.AnnPreSharedCert, "name": name, "scope": scope, "class": class, "elsewhere": elsewhere},
						Remediation: fix,
					})
				}
			})
		}
	},
}
