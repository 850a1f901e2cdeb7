package gateway

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
)

// RouteHostnameMismatch reports routes whose hostnames no admitting
// listener shares.
var RouteHostnameMismatch = &inspect.Rule{
	ID:       "route-hostname-mismatch",
	Severity: inspect.Error,
	Title:    "Every route's hostnames intersect the hostname of a listener that admits it",
	Doc: inspect.Doc{
		Why: `When both a listener and a route set hostnames, the route attaches only if one of its hostnames intersects the listener's: equal, or matched by a wildcard ("*.example.com" matches one or more labels left of example.com, never example.com itself). With no intersection the route is not accepted (NoMatchingListenerHostname) and requests for its hosts get 404.`,
		Fix: `Add to the route's spec.hostnames a host the listener serves, or widen the listener's hostname (a wildcard, or none).`,
		Sources: []string{"Gateway API HTTPRouteSpec.Hostnames and Listener.Hostname (apis/v1/httproute_types.go, gateway_types.go)",
			"Gateway API: hostnames concept (gateway-api.sigs.k8s.io/docs/concepts/hostnames)", "Gateway API conformance: HTTPRouteHostnameIntersection"},
		URL: "https://gateway-api.sigs.k8s.io/reference/spec/#httproutespec",
	},
	Check: func(p *inspect.Pass) {
		for _, cl := range p.Inventory.Clusters {
			for _, a := range attachments(p, cl) {
				if a.gw == nil || len(a.allowed) == 0 {
					continue
				}
				r := a.route
				res := routeResource(cl, r)
				p.Judge(res)
				matched := false
				var hosts []string
				for _, l := range a.allowed {
					if core.HostnamesIntersect(l.Hostname, r.Hostnames) {
						matched = true
					}
					if l.Hostname != nil {
						hosts = append(hosts, *l.Hostname)
					}
				}
				if matched {
					continue
				}
				p.Report(inspect.Finding{
					Message: fmt.Sprintf("spec.hostnames %s intersect no hostname of the listeners of %s that admit it (%s): Accepted False, NoMatchingListenerHostname, and requests for those hosts get 404",
						strings.Join(r.Hostnames, ", "), parentText(a), core.DescribeListeners(a.allowed)),
					Resource: res, Key: parentText(a),
					Evidence: map[string]any{"hostnames": r.Hostnames, "listenerHostnames": hosts},
					Remediation: fmt.Sprintf("kubectl edit %s %s -n %s   # spec.hostnames: a host the listener serves (%s)",
						kubectlKind(r.Kind), r.Meta.Name, r.Meta.Namespace, strings.Join(hosts, ", ")),
				})
			}
		}
	},
}
