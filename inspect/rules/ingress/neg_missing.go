package ingress

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// NEGMissing reports NEGs the NEG controller lists that do not exist.
var NEGMissing = &inspect.Rule{
	ID:           "neg-missing",
	Severity:     inspect.Error,
	WholeProject: true,
	Title:        "Every NEG a Service's neg-status lists exists in each of its zones",
	Doc: inspect.Doc{
		Why:     `The NEG controller writes the Service's NEGs and their zones in cloud.google.com/neg-status. When one is absent from Compute Engine (deleted by hand, the controller lagging or failing), the Ingress controller's sync fails with "networkEndpointGroups/... was not found" (404) and Pods in that zone get no traffic.`,
		Fix:     `Look at the Service's events (kubectl describe service SVC -n NS) for the NEG controller's error; removing and re-adding the cloud.google.com/neg annotation makes the controller recreate the NEGs.`,
		Sources: []string{"kubernetes/ingress-gce pkg/neg/controller.go (syncNegStatusAnnotation), pkg/backends/neg_linker.go", "kubernetes/kubernetes issue #93740 (NEG 404)"},
		URL:     core.DocNEG,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !p.Known(inventory.ComputeNEGs, inventory.ProjectScope(inv.Project)) {
			return
		}
		exists := map[string]bool{}
		for _, n := range inv.Compute.NEGs {
			exists[inventory.LocationOf(n.SelfLink)+"/"+n.Name] = true
		}
		forServices(p, func(cl *inventory.Cluster, svc *corev1.Service) {
			st, ok := gke.ParseNEGStatus(svc)
			if !ok {
				return
			}
			res := core.KubeResource(cl, "Service", svc.ObjectMeta)
			p.Judge(res)
			var missing []string
			for _, port := range core.SortedKeys(st.NEGs) {
				for _, z := range st.Zones {
					if !exists[z+"/"+st.NEGs[port]] {
						missing = append(missing, fmt.Sprintf("%s in %s (port %s)", st.NEGs[port], z, port))
					}
				}
			}
			if len(missing) == 0 {
				return
			}
			p.Report(inspect.Finding{
				Message:  fmt.Sprintf("cloud.google.com/neg-status lists NEGs that Compute Engine does not have: %s: the Ingress sync fails with a NEG 404 and Pods there get no traffic", strings.Join(missing, ", ")),
				Resource: res,
				Evidence: map[string]any{"missing": missing, "negStatus": svc.Annotations[gke.AnnNEGStatus]},
				Remediation: fmt.Sprintf("kubectl describe service %s -n %s   # the NEG controller's error; to have the NEGs recreated: kubectl annotate service %s -n %s %s- && kubectl annotate service %s -n %s %s=%s",
					svc.Name, svc.Namespace, svc.Name, svc.Namespace, gke.AnnNEG, svc.Name, svc.Namespace, gke.AnnNEG, core.ShellQuote(svc.Annotations[gke.AnnNEG])),
			})
		})
	},
}
