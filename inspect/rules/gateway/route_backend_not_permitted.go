package gateway

import (
	"fmt"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// RouteBackendNotPermitted reports backendRefs into another namespace
// that no ReferenceGrant allows.
var RouteBackendNotPermitted = &inspect.Rule{
	ID:       "route-backend-not-permitted",
	Severity: inspect.Error,
	Title:    "Every backendRef into another namespace is allowed by a ReferenceGrant there",
	Doc: inspect.Doc{
		Why:     `A route may send traffic to a Service of another namespace only if a ReferenceGrant in the Service's namespace allows it: spec.from names the route's group (gateway.networking.k8s.io), kind (HTTPRoute, GRPCRoute) and namespace, and spec.to the core Service kind (all of them, or the one by name). Without one the reference is refused: ResolvedRefs False, RefNotPermitted, and the backend's share of requests gets 500.`,
		Fix:     `Create a ReferenceGrant in the Service's namespace that allows the route's kind from the route's namespace, or move the Service or the route.`,
		Sources: []string{"Gateway API ReferenceGrant (apis/v1/referencegrant_types.go)", "Gateway API conformance: HTTPRouteInvalidCrossNamespaceBackendRef, HTTPRouteInvalidReferenceGrant (RefNotPermitted)"},
		URL:     "https://gateway-api.sigs.k8s.io/api-types/referencegrant/",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			for _, r := range core.RoutesIn(p, cl) {
				res := routeResource(cl, r)
				// A route with backendRefs into other namespaces is judged
				// when the ReferenceGrants were read.
				refs, decided := 0, true
				for _, b := range r.Backends {
					ns, isService := core.BackendTarget(r.Meta.Namespace, b.Ref)
					if !isService || ns == r.Meta.Namespace {
						continue
					}
					refs++
					if !inv.Known(inventory.KubeReferenceGrants, cl.Scope()) {
						decided = false
						p.CouldNotCheck(cl.Scope(), fmt.Sprintf("%s %s/%s references Service %s/%s across namespaces, and the ReferenceGrants could not be read", r.Kind, r.Meta.Namespace, r.Meta.Name, ns, b.Ref.Name),
							"grant RBAC list on referencegrants.gateway.networking.k8s.io (the ClusterRole lbdiag-reader in deploy/rbac.yaml)")
						continue
					}
					if core.ReferenceGranted(cl, r.Kind, r.Meta.Namespace, ns, b.Ref.Name) {
						continue
					}
					p.Report(inspect.Finding{
						Message: fmt.Sprintf("rule %d backendRef names Service %s/%s in another namespace, and no ReferenceGrant in %s allows %s from namespace %s: ResolvedRefs False (RefNotPermitted), and its share of requests gets 500",
							b.Rule, ns, b.Ref.Name, ns, r.Kind, r.Meta.Namespace),
						Resource: res, Key: fmt.Sprintf("rule %d %s/%s", b.Rule, ns, b.Ref.Name),
						Evidence: map[string]any{"backendRef": ns + "/" + b.Ref.Name, "routeNamespace": r.Meta.Namespace, "referenceGrantsInTargetNamespace": grantsIn(cl, ns)},
						Remediation: fmt.Sprintf("kubectl apply -f - <<'EOF'\napiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata:\n  name: allow-%s-from-%s\n  namespace: %s\nspec:\n  from:\n  - group: gateway.networking.k8s.io\n    kind: %s\n    namespace: %s\n  to:\n  - group: \"\"\n    kind: Service\n    name: %s\nEOF",
							b.Ref.Name, r.Meta.Namespace, ns, r.Kind, r.Meta.Namespace, b.Ref.Name),
					})
				}
				if refs > 0 && decided {
					p.Judge(res)
				}
			}
		}
	},
}

func grantsIn(cl *inventory.Cluster, ns string) []string {
	var out []string
	for _, g := range cl.ReferenceGrants {
		if g.Namespace == ns {
			out = append(out, g.Name)
		}
	}
	return out
}
