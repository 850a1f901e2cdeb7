package ingress

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// IngressBackendNotService reports Ingress backends that are resources, not
// Services: GKE's controller cannot translate them.
var IngressBackendNotService = &inspect.Rule{
	ID:       "ingress-backend-not-service",
	Severity: inspect.Error,
	Title:    "Every backend of a GKE Ingress is a Service",
	Doc: inspect.Doc{
		Why: `networking.k8s.io/v1 lets an Ingress backend name a resource (spec.defaultBackend.resource, or a path's backend.resource) instead of a Service, for controllers that support it. GKE's Ingress controller does not: its translator fails with "Ingress Backend is not a service" for every such backend, and the Ingress's sync fails as a whole, so no change reaches its load balancer.`,
		Fix: `Point the backend at a Service (backend.service.name and port), for example:
  kubectl patch ingress ING -n NS --type json -p '[{"op":"remove","path":"/spec/defaultBackend/resource"},{"op":"add","path":"/spec/defaultBackend/service","value":{"name":"SERVICE","port":{"number":80}}}]'`,
		Sources: []string{"kubernetes/ingress-gce pkg/utils/serviceport.go (BackendToServicePortID: \"Ingress Backend is not a service\")",
			"kubernetes/ingress-gce pkg/controller/translator/translator.go (TranslateIngress)"},
		URL: core.DocIngressConfig,
	},
	Check: func(p *inspect.Pass) {
		core.ForIngresses(p, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			res := core.KubeResource(cl, "Ingress", ing.ObjectMeta)
			p.Judge(res)
			check := func(field, pointer string, b *networkingv1.IngressBackend) {
				if b == nil || b.Service != nil || b.Resource == nil {
					return
				}
				r := b.Resource
				group := ""
				if r.APIGroup != nil {
					group = *r.APIGroup
				}
				p.Report(inspect.Finding{
					Key: field,
					Message: fmt.Sprintf("%s is a resource backend (apiGroup %q, kind %s, name %s), not a Service: GKE's controller fails with \"Ingress Backend is not a service\", so the Ingress cannot sync",
						field, group, r.Kind, r.Name),
					Resource: res,
					Evidence: map[string]any{"backend": field, "resource": map[string]any{"apiGroup": group, "kind": r.Kind, "name": r.Name}, "class": class},
					Remediation: fmt.Sprintf(`kubectl patch ingress %s -n %s --type json -p '[{"op":"remove","path":"%s/resource"},{"op":"add","path":"%s/service","value":{"name":"SERVICE","port":{"number":80}}}]'   # SERVICE: the Service to route to`,
						ing.Name, ing.Namespace, pointer, pointer),
				})
			}
			check("spec.defaultBackend", "/spec/defaultBackend", ing.Spec.DefaultBackend)
			for i, r := range ing.Spec.Rules {
				if r.HTTP == nil {
					continue
				}
				for j := range r.HTTP.Paths {
					check(fmt.Sprintf("spec.rules[%d].http.paths[%d].backend", i, j), fmt.Sprintf("/spec/rules/%d/http/paths/%d/backend", i, j), &r.HTTP.Paths[j].Backend)
				}
			}
		})
	},
}
