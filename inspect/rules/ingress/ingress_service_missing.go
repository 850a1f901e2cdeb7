package ingress

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// IngressServiceMissing reports Ingress backends naming absent Services.
var IngressServiceMissing = &inspect.Rule{
	ID:       "ingress-service-missing",
	Severity: inspect.Error,
	Title:    "Every Service an Ingress routes to exists in the Ingress's namespace",
	Doc: inspect.Doc{
		Why: `GKE's Ingress controller translates every backend of an Ingress (the default backend and each path) into a backend service of the load balancer. A backend naming a Service that does not exist in the Ingress's namespace fails translation ("could not find service") and blocks every change to that Ingress's load balancer, not only that path.`,
		Fix: `Create the Service in the Ingress's namespace, or point the backend at an existing Service:
  kubectl patch ingress ING -n NS --type json -p '[{"op":"replace","path":"/spec/rules/0/http/paths/0/backend/service/name","value":"SERVICE"}]'`,
		Sources: []string{core.SrcCheckGKEIngress + " ServiceExistenceCheck", "kubernetes/ingress-gce pkg/controller/errors/errors.go (ErrSvcNotFound)"},
		URL:     core.DocTroubleshootLB,
	},
	Check: func(p *inspect.Pass) {
		forServiceIngresses(p, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			res := core.KubeResource(cl, "Ingress", ing.ObjectMeta)
			backends := core.BackendsOf(ing)
			// Judged when it routes to a Service and whether each exists
			// is known.
			decided := len(backends) > 0
			for _, b := range backends {
				if core.FindService(cl, ing.Namespace, b.Service.Name) != nil {
					continue
				}
				if !p.KnownObject(inventory.KubeServices, cl, "services", ing.Namespace, b.Service.Name) {
					decided = false
					continue
				}
				reportServiceMissing(p, res, cl, ing, b)
			}
			if decided {
				p.Judge(res)
			}
		})
	},
}

// reportServiceMissing reports a backend naming a Service that does not
// exist in the Ingress's namespace.
func reportServiceMissing(p *inspect.Pass, res inspect.Resource, cl *inventory.Cluster, ing *networkingv1.Ingress, b core.IngressBackend) {
	near := core.Nearest(b.Service.Name, core.ServicesInNamespace(cl, ing.Namespace))
	msg := fmt.Sprintf("%s (%s) routes to Service %q, which does not exist in namespace %s", b.Field, b.Where(), b.Service.Name, ing.Namespace)
	fix := fmt.Sprintf("create Service %s/%s, or route the backend to an existing Service", ing.Namespace, b.Service.Name)
	if near != "" {
		msg += fmt.Sprintf("; %q exists there (a typo?)", near)
		fix = fmt.Sprintf(`kubectl patch ingress %s -n %s --type json -p '[{"op":"replace","path":"%s/name","value":"%s"}]'`, ing.Name, ing.Namespace, b.Pointer, near)
	}
	p.Report(inspect.Finding{
		Key:         b.Field,
		Message:     msg + ": the Ingress cannot sync until it is fixed",
		Resource:    res,
		Evidence:    map[string]any{"backend": b.Field, "service": b.Service.Name, "servicesInNamespace": core.OrEmpty(core.ServicesInNamespace(cl, ing.Namespace))},
		Remediation: fix,
	})
}
