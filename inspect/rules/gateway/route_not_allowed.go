package gateway

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
)

// RouteNotAllowed reports routes their Gateway's listeners do not admit.
var RouteNotAllowed = &inspect.Rule{
	ID:       "route-not-allowed",
	Severity: inspect.Error,
	Title:    "Every route is admitted by the allowedRoutes of a listener it names",
	Doc: inspect.Doc{
		Why: `A listener admits a route only if its allowedRoutes allow the route's namespace (namespaces.from: Same, the default, admits routes of the Gateway's own namespace; All admits every namespace; Selector those whose Namespace labels match) and its kind (by default, those of the listener's protocol). A route in another namespace of a Gateway left at the default is refused: Accepted False, NotAllowedByListeners, and its paths answer 404. Attaching across namespaces needs no ReferenceGrant: allowedRoutes decide.`,
		Fix: `Let the listener admit the route's namespace (allowedRoutes.namespaces.from: All, or Selector with a label the route's Namespace carries), or move the route to the Gateway's namespace; list the route's kind in allowedRoutes.kinds when kinds are set.`,
		Sources: []string{"Gateway API AllowedRoutes and RouteNamespaces (apis/v1/gateway_types.go)",
			"Gateway API conformance: HTTPRouteInvalidCrossNamespaceParentRef, HTTPRouteDisallowedKind (NotAllowedByListeners)",
			"Gateway API: cross-namespace routing (gateway-api.sigs.k8s.io/guides/multiple-ns)"},
		URL: "https://gateway-api.sigs.k8s.io/guides/multiple-ns/",
	},
	Check: func(p *inspect.Pass) {
		for _, cl := range p.Inventory.Clusters {
			for _, a := range attachments(p, cl) {
				if a.gw == nil || len(a.selected) == 0 {
					continue
				}
				r := a.route
				res := routeResource(cl, r)
				if len(a.allowed) > 0 {
					p.Judge(res)
					continue
				}
				if a.unknown {
					p.CouldNotCheck(cl.Scope(), fmt.Sprintf("%s %s/%s: a listener of Gateway %s/%s selects namespaces by label, and the Namespaces could not be read", r.Kind, r.Meta.Namespace, r.Meta.Name, a.gw.Namespace, a.gw.Name),
						"grant RBAC list on namespaces (the ClusterRole lbdiag-reader in deploy/rbac.yaml)")
					continue
				}
				fix := fmt.Sprintf(`kubectl patch gateway %s -n %s --type json -p '[{"op":"add","path":"/spec/listeners/%d/allowedRoutes","value":{"namespaces":{"from":"All"}}}]'   # or a Selector matching namespace %s, or move the route to %s`,
					a.gw.Name, a.gw.Namespace, listenerIndex(a), r.Meta.Namespace, a.gw.Namespace)
				if strings.Contains(strings.Join(a.why, " "), "allows route kinds") {
					fix = fmt.Sprintf("kubectl edit gateway %s -n %s   # add {kind: %s} to the listener's allowedRoutes.kinds", a.gw.Name, a.gw.Namespace, r.Kind)
				}
				p.Report(inspect.Finding{
					Message:  fmt.Sprintf("%s admits no listener for it: %s. Accepted is False (NotAllowedByListeners) and its requests get 404", parentText(a), strings.Join(a.why, "; ")),
					Resource: res, Key: parentText(a),
					Evidence: map[string]any{"parentRef": parentText(a), "reasons": a.why}, Remediation: fix,
				})
			}
		}
	},
}

// listenerIndex is the index of the first selected listener.
func listenerIndex(a attachment) int { return listenerPos(a.gw, a.selected[0].Name) }
