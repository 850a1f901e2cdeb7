package ingress

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// BackendConfigAnnotationInvalid reports backend-config annotations the
// controller cannot read.
var BackendConfigAnnotationInvalid = &inspect.Rule{
	ID:       "backendconfig-annotation-invalid",
	Severity: inspect.Error,
	Title:    "Every backend-config annotation is JSON naming a default or per-port BackendConfig",
	Doc: inspect.Doc{
		Why: `The cloud.google.com/backend-config (or beta.cloud.google.com/backend-config) annotation must be a JSON object with "default" and/or "ports". A value that is not JSON fails with "BackendConfig annotation is invalid json", one with neither field with "no BackendConfig's found in annotation": every Ingress routing to the Service stops syncing.`,
		Fix: `Rewrite the annotation, for example:
  kubectl annotate service SVC -n NS cloud.google.com/backend-config='{"default":"my-backendconfig"}' --overwrite
  kubectl annotate service SVC -n NS cloud.google.com/backend-config='{"ports":{"http":"my-backendconfig"}}' --overwrite`,
		Sources: []string{core.SrcCheckGKEIngress + " BackendConfigAnnotationCheck", "kubernetes/ingress-gce pkg/annotations/service.go"},
		URL:     core.DocIngressFeatures,
	},
	Check: func(p *inspect.Pass) {
		forServices(p, func(cl *inventory.Cluster, svc *corev1.Service) {
			ref, ok, err := gke.ParseBackendConfig(svc)
			if !ok {
				return
			}
			res := core.KubeResource(cl, "Service", svc.ObjectMeta)
			p.Judge(res)
			var problem string
			switch {
			case err != nil:
				problem = "is not valid JSON (" + err.Error() + ")"
			case ref.Default == "" && len(ref.Ports) == 0:
				problem = `names no BackendConfig: it has neither "default" nor "ports"`
			default:
				return
			}
			sev, users := latent(cl, svc)
			p.Report(inspect.Finding{
				Severity:    sev,
				Message:     fmt.Sprintf("Annotation %s = %s %s; %s", ref.Key, ref.Raw, problem, users),
				Resource:    res,
				Evidence:    map[string]any{"annotation": ref.Key, "value": ref.Raw},
				Remediation: fmt.Sprintf(`kubectl annotate service %s -n %s %s='{"default":"BACKENDCONFIG"}' --overwrite   # or remove it: kubectl annotate service %s -n %s %s-`, svc.Name, svc.Namespace, ref.Key, svc.Name, svc.Namespace, ref.Key),
			})
		})
	},
}
