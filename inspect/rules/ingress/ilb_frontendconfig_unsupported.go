package ingress

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// ILBFrontendConfigUnsupported reports internal Ingresses with a
// FrontendConfig.
var ILBFrontendConfigUnsupported = &inspect.Rule{
	ID:       "ilb-frontendconfig-unsupported",
	Severity: inspect.Error,
	Title:    "No internal (gce-internal) Ingress references a FrontendConfig",
	Doc: inspect.Doc{
		Why: `FrontendConfig features (HTTPS redirect, SSL policy) are not supported by internal Application Load Balancers built for gce-internal Ingresses; a redirect fails with "cannot enable HTTPS Redirects with L7 ILB" and the configuration is not applied.`,
		Fix: `Remove the annotation from the internal Ingress:
  kubectl annotate ingress ING -n NS networking.gke.io/v1beta1.FrontendConfig-`,
		Sources: []string{core.SrcCheckGKEIngress + " L7ILBFrontendConfigCheck", "kubernetes/ingress-gce pkg/loadbalancers/url_maps.go"},
		URL:     core.DocInternalIngress,
	},
	Check: func(p *inspect.Pass) {
		core.ForIngresses(p, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			if class != gke.ClassInternal {
				return
			}
			res := core.KubeResource(cl, "Ingress", ing.ObjectMeta)
			p.Judge(res)
			name, ok := ing.Annotations[gke.AnnFrontendConfig]
			if !ok {
				return
			}
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("Ingress of class gce-internal references FrontendConfig %q (annotation %s): FrontendConfig can only be used with external Ingresses", name, gke.AnnFrontendConfig),
				Resource:    res,
				Evidence:    map[string]any{"class": class, "frontendConfig": name},
				Remediation: fmt.Sprintf("kubectl annotate ingress %s -n %s %s-", ing.Name, ing.Namespace, gke.AnnFrontendConfig),
			})
		})
	},
}
