package gateway

import (
	"fmt"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// RouteParentMissing reports parentRefs to a Gateway, or a listener of
// one, that does not exist.
var RouteParentMissing = &inspect.Rule{
	ID:       "route-parent-missing",
	Severity: inspect.Error,
	Title:    "Every route's parentRefs name an existing Gateway, and a listener it has",
	Doc: inspect.Doc{
		Why: `A route attaches to the Gateway its parentRefs name: in the route's namespace unless parentRefs.namespace says otherwise, to every listener, or to the one its sectionName and port select (both must match when both are set). A parent that does not exist gets no status at all: the spec lets the controller skip a parent it cannot resolve, so the route silently routes nothing. A sectionName or port that no listener has gets Accepted False, NoMatchingParent.`,
		Fix: `Point parentRefs at the Gateway (name, and namespace when it is not the route's) and at a listener it has (sectionName, the listener's name).`,
		Sources: []string{"Gateway API ParentReference (apis/v1/shared_types.go): defaults, sectionName and port, RouteStatus.Parents",
			"Gateway API conformance: HTTPRouteInvalidParentRefNotMatchingSectionName (NoMatchingParent)"},
		URL: "https://gateway-api.sigs.k8s.io/reference/spec/#parentreference",
	},
	Check: func(p *inspect.Pass) {
		for _, cl := range p.Inventory.Clusters {
			for _, a := range attachments(p, cl) {
				r := a.route
				res := routeResource(cl, r)
				p.Judge(res)
				switch {
				case a.gw == nil:
					msg := fmt.Sprintf("parentRefs name Gateway %s/%s, which does not exist: the route attaches to nothing and routes no request", a.ns, a.ref.Name)
					fix := fmt.Sprintf("set the parentRef of %s %s/%s to an existing Gateway (name, and namespace if not %s)", r.Kind, r.Meta.Namespace, r.Meta.Name, r.Meta.Namespace)
					if near := core.Nearest(a.ref.Name, core.GatewaysInNamespace(cl, a.ns)); near != "" {
						msg += fmt.Sprintf("; %q exists there (a typo?)", near)
						fix = fmt.Sprintf("kubectl edit %s %s -n %s   # spec.parentRefs: name: %s (was %s)", kubectlKind(r.Kind), r.Meta.Name, r.Meta.Namespace, near, a.ref.Name)
					} else if others := gatewaysNamed(cl, a.ref.Name); len(others) > 0 {
						msg += fmt.Sprintf("; a Gateway of that name exists in namespace %s: parentRefs.namespace defaults to the route's own", others[0])
						fix = fmt.Sprintf("kubectl edit %s %s -n %s   # spec.parentRefs: add namespace: %s", kubectlKind(r.Kind), r.Meta.Name, r.Meta.Namespace, others[0])
					}
					p.Report(inspect.Finding{Message: msg, Resource: res, Key: parentText(a),
						Evidence: map[string]any{"parentRef": parentText(a)}, Remediation: fix})
				case len(a.selected) == 0:
					var names []string
					for _, l := range a.gw.Spec.Listeners {
						names = append(names, l.Name)
					}
					msg := fmt.Sprintf("parentRefs select %s, but no listener of the Gateway matches (its listeners: %s): Accepted False, NoMatchingParent, and the route routes nothing",
						parentText(a), core.DescribeListeners(a.gw.Spec.Listeners))
					fix := fmt.Sprintf("kubectl edit %s %s -n %s   # spec.parentRefs: sectionName one of %s", kubectlKind(r.Kind), r.Meta.Name, r.Meta.Namespace, joinSorted(names))
					if a.ref.SectionName != nil {
						if near := core.Nearest(*a.ref.SectionName, names); near != "" {
							msg += fmt.Sprintf("; listener %q exists (a typo?)", near)
							fix = fmt.Sprintf("kubectl edit %s %s -n %s   # spec.parentRefs: sectionName: %s (was %s)", kubectlKind(r.Kind), r.Meta.Name, r.Meta.Namespace, near, *a.ref.SectionName)
						}
					}
					p.Report(inspect.Finding{Message: msg, Resource: res, Key: parentText(a),
						Evidence: map[string]any{"parentRef": parentText(a), "listeners": names}, Remediation: fix})
				}
			}
		}
	},
}

// gatewaysNamed lists the namespaces with a Gateway of a name.
func gatewaysNamed(cl *inventory.Cluster, name string) []string {
	var out []string
	for _, gw := range cl.Gateways {
		if gw.Name == name {
			out = append(out, gw.Namespace)
		}
	}
	return out
}
