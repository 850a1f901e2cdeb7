package gateway

import (
	"fmt"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// RouteBackendMissing reports backendRefs to a Service, or a port of one,
// that does not exist.
var RouteBackendMissing = &inspect.Rule{
	ID:       "route-backend-missing",
	Severity: inspect.Error,
	Title:    "Every route backendRef names an existing Service and one of its ports",
	Doc: inspect.Doc{
		Why: `A backendRef names a Service (in the route's namespace unless it says otherwise) and one of its ports (the Service port, not the targetPort). When the Service does not exist, the route's ResolvedRefs is False (BackendNotFound) and its share of requests gets 500; GKE's controller also fails the Gateway's translation (GWCER104 ... GWCER102 services not found), which can hold every other route of the Gateway at its last good state. A port the Service does not have leaves GKE without a NEG for it (GWCER103).`,
		Fix: `Point the backendRef at the Service and one of its ports, or create the Service.`,
		Sources: []string{"Gateway API BackendObjectReference and HTTPBackendRef (apis/v1/object_reference_types.go, httproute_types.go): BackendNotFound",
			"Gateway API conformance: HTTPRouteInvalidNonExistentBackendRef", "GKE Gateway troubleshooting: GWCER102, GWCER103"},
		URL: "https://cloud.google.com/kubernetes-engine/docs/troubleshooting/troubleshooting-gateway",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			if !p.Known(inventory.KubeServices, cl.Scope()) {
				continue
			}
			for _, r := range core.RoutesIn(p, cl) {
				res := routeResource(cl, r)
				// A route with Service backendRefs is judged when each
				// could be looked up.
				refs, decided := 0, true
				for _, b := range r.Backends {
					ns, isService := core.BackendTarget(r.Meta.Namespace, b.Ref)
					if !isService {
						continue
					}
					what := fmt.Sprintf("rule %d backendRef", b.Rule)
					if b.Mirror {
						what = fmt.Sprintf("rule %d RequestMirror backendRef", b.Rule)
					}
					key := fmt.Sprintf("%s %s/%s", what, ns, b.Ref.Name)
					svc := core.FindService(cl, ns, b.Ref.Name)
					refs++
					switch {
					case svc == nil && p.KnownObject(inventory.KubeServices, cl, "services", ns, b.Ref.Name):
						msg := fmt.Sprintf("%s names Service %s/%s, which does not exist: ResolvedRefs False (BackendNotFound), its share of requests gets 500, and GKE fails the Gateway's translation (GWCER102)", what, ns, b.Ref.Name)
						fix := fmt.Sprintf("create Service %s/%s, or point %s %s/%s's backendRef at an existing one", ns, b.Ref.Name, r.Kind, r.Meta.Namespace, r.Meta.Name)
						if near := core.Nearest(b.Ref.Name, core.ServicesInNamespace(cl, ns)); near != "" {
							msg += fmt.Sprintf("; %q exists there (a typo?)", near)
							fix = fmt.Sprintf("kubectl edit %s %s -n %s   # rule %d backendRefs: name: %s (was %s)", kubectlKind(r.Kind), r.Meta.Name, r.Meta.Namespace, b.Rule, near, b.Ref.Name)
						}
						p.Report(inspect.Finding{Message: msg, Resource: res, Key: key, Evidence: map[string]any{"backendRef": ns + "/" + b.Ref.Name, "rule": b.Rule}, Remediation: fix})
					case svc == nil:
						decided = false
					case b.Ref.Port == nil:
						p.Report(inspect.Finding{Message: fmt.Sprintf("%s names Service %s/%s without a port: the API server refuses it (\"Must have port for Service reference\")", what, ns, b.Ref.Name),
							Resource: res, Key: key, Evidence: map[string]any{"backendRef": ns + "/" + b.Ref.Name},
							Remediation: fmt.Sprintf("add port: one of %s to the backendRef", core.PortList(svc))})
					case !servicePort(svc.Spec.Ports, *b.Ref.Port):
						p.Report(inspect.Finding{
							Message: fmt.Sprintf("%s names port %d of Service %s/%s, which has ports %s: GKE builds no NEG for it (GWCER103) and the backend gets no endpoint; a backendRef port is the Service's port, not the targetPort",
								what, *b.Ref.Port, ns, b.Ref.Name, core.PortList(svc)),
							Resource: res, Key: key, Evidence: map[string]any{"backendRef": ns + "/" + b.Ref.Name, "port": *b.Ref.Port, "servicePorts": core.PortList(svc)},
							Remediation: fmt.Sprintf("kubectl edit %s %s -n %s   # rule %d backendRefs %s: port: one of %s", kubectlKind(r.Kind), r.Meta.Name, r.Meta.Namespace, b.Rule, b.Ref.Name, core.PortList(svc)),
						})
					}
				}
				if refs > 0 && decided {
					p.Judge(res)
				}
			}
		}
	},
}
