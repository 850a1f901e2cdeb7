package ingress

import (
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// IngressServicePortMissing reports Ingress backends naming a port their
// Service does not have.
var IngressServicePortMissing = &inspect.Rule{
	ID:       "ingress-service-port-missing",
	Severity: inspect.Error,
	Title:    "Every Ingress backend port is a port of its Service",
	Doc: inspect.Doc{
		Why:     `The controller matches an Ingress backend's port against the Service's ports: by name when the backend names a port, else by port number (never the targetPort). A backend port the Service does not have fails translation ("could not find port ... in service") and blocks every change to the Ingress's load balancer.`,
		Fix:     `Point the backend at a port the Service has (port.name for a named port, port.number for the Service port, not the container port), or add that port to the Service.`,
		Sources: []string{"kubernetes/ingress-gce pkg/controller/translator/utils.go (ServicePort), pkg/controller/errors/errors.go (ErrSvcPortNotFound)"},
		URL:     core.DocIngressConfig,
	},
	Check: func(p *inspect.Pass) {
		forIngressBackends(p, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string, b core.IngressBackend) {
			svc := core.FindService(cl, ing.Namespace, b.Service.Name)
			if svc == nil {
				return // ingress-service-missing's
			}
			// Judged once a backend's Service is there to match against.
			res := core.KubeResource(cl, "Ingress", ing.ObjectMeta)
			p.Judge(res)
			if core.ServicePort(svc, b.Service.Port) != nil {
				return
			}
			var ports []string
			var suggestion string
			for _, sp := range svc.Spec.Ports {
				ports = append(ports, fmt.Sprintf("%s:%d→%s", core.OrDash(sp.Name), sp.Port, sp.TargetPort.String()))
				// A backend that named the container port by mistake.
				if b.Service.Port.Name == "" && sp.TargetPort.IntValue() == int(b.Service.Port.Number) {
					suggestion = fmt.Sprintf(`{"op":"replace","path":"%s/port","value":{"number":%d}}`, b.Pointer, sp.Port)
				}
			}
			if suggestion == "" && len(svc.Spec.Ports) == 1 {
				sp := svc.Spec.Ports[0]
				if sp.Name != "" {
					suggestion = fmt.Sprintf(`{"op":"replace","path":"%s/port","value":{"name":"%s"}}`, b.Pointer, sp.Name)
				} else {
					suggestion = fmt.Sprintf(`{"op":"replace","path":"%s/port","value":{"number":%d}}`, b.Pointer, sp.Port)
				}
			}
			by := "number"
			if b.Service.Port.Name != "" {
				by = "name"
			}
			msg := fmt.Sprintf("%s (%s) uses port %s of Service %s, which has no port of that %s (ports: %s): the Ingress cannot sync until it is fixed",
				b.Field, b.Where(), core.PortLabel(b.Service.Port), svc.Name, by, strings.Join(ports, ", "))
			fix := fmt.Sprintf("change %s.service.port to one of Service %s/%s's ports, or add the port to the Service", b.Field, svc.Namespace, svc.Name)
			if suggestion != "" {
				fix = fmt.Sprintf("kubectl patch ingress %s -n %s --type json -p '[%s]'", ing.Name, ing.Namespace, suggestion)
			}
			p.Report(inspect.Finding{
				Key:         b.Field,
				Message:     msg,
				Resource:    res,
				Evidence:    map[string]any{"backend": b.Field, "service": svc.Name, "port": core.PortLabel(b.Service.Port), "servicePorts": ports},
				Remediation: fix,
			})
		})
	},
}
