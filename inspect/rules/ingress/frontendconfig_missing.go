package ingress

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// FrontendConfigMissing reports Ingresses naming an absent FrontendConfig.
var FrontendConfigMissing = &inspect.Rule{
	ID:       "frontendconfig-missing",
	Severity: inspect.Error,
	Title:    "Every FrontendConfig an Ingress names exists in the Ingress's namespace",
	Doc: inspect.Doc{
		Why: `The networking.gke.io/v1beta1.FrontendConfig annotation names a FrontendConfig in the Ingress's namespace. When it is absent the controller warns "no FrontendConfig for Ingress exists" and builds the load balancer without it: no HTTP-to-HTTPS redirect and no SSL policy, which the manifest promised.`,
		Fix: `Create the FrontendConfig in the Ingress's namespace, or correct the annotation:
  kubectl annotate ingress ING -n NS networking.gke.io/v1beta1.FrontendConfig=EXISTING --overwrite`,
		Sources: []string{core.SrcCheckGKEIngress + " FrontendConfigExistenceCheck", "kubernetes/ingress-gce pkg/frontendconfig/frontendconfig.go (FrontendConfigForIngress: an empty name is no FrontendConfig)"},
		URL:     core.DocIngressFeatures + "#configuring_ingress_features_through_frontendconfig_parameters",
	},
	Check: func(p *inspect.Pass) {
		core.ForIngresses(p, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			// An empty value is no annotation at all
			// (pkg/frontendconfig FrontendConfigForIngress: "we do not
			// want to return an error").
			name, ok := ing.Annotations[gke.AnnFrontendConfig]
			if !ok || name == "" || !p.KnownObject(inventory.KubeFrontendConfigs, cl, "frontendconfigs", ing.Namespace, name) {
				return
			}
			res := core.KubeResource(cl, "Ingress", ing.ObjectMeta)
			p.Judge(res)
			var names []string
			for _, fc := range cl.FrontendConfigs {
				if fc.Namespace == ing.Namespace {
					names = append(names, fc.Name)
				}
				if fc.Namespace == ing.Namespace && fc.Name == name {
					return
				}
			}
			msg := fmt.Sprintf("Annotation %s names FrontendConfig %q, which does not exist in namespace %s: the load balancer is built without its redirect and SSL policy", gke.AnnFrontendConfig, name, ing.Namespace)
			fix := fmt.Sprintf("create FrontendConfig %s/%s (apiVersion networking.gke.io/v1beta1), or correct the annotation", ing.Namespace, name)
			if near := core.Nearest(name, names); near != "" {
				msg += fmt.Sprintf("; %q exists there (a typo?)", near)
				fix = fmt.Sprintf("kubectl annotate ingress %s -n %s %s=%s --overwrite", ing.Name, ing.Namespace, gke.AnnFrontendConfig, near)
			}
			p.Report(inspect.Finding{Message: msg, Resource: res,
				Evidence:    map[string]any{"annotation": gke.AnnFrontendConfig, "frontendConfig": name, "frontendConfigsInNamespace": core.OrEmpty(names)},
				Remediation: fix})
		})
	},
}
