package gateway

import (
	"testing"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// grant is a ReferenceGrant in web-team letting kind in namespace from
// reference Services (name, or all when "").
func grant(t *testing.T, ns, fromGroup, fromKind, fromNS, toKind, name string) inventory.ReferenceGrant {
	to := `{"group":"","kind":"` + toKind + `"}`
	if name != "" {
		to = `{"group":"","kind":"` + toKind + `","name":"` + name + `"}`
	}
	return decode[inventory.ReferenceGrant](t, `{"apiVersion":"gateway.networking.k8s.io/v1beta1","kind":"ReferenceGrant",
	  "metadata":{"name":"allow-shop","namespace":"`+ns+`"},
	  "spec":{"from":[{"group":"`+fromGroup+`","kind":"`+fromKind+`","namespace":"`+fromNS+`"}],"to":[`+to+`]}}`)
}

func TestRouteBackendNotPermitted(t *testing.T) {
	t.Parallel()
	crossRef := func(grants ...inventory.ReferenceGrant) func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
		return func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			b := &route(cl).Spec.Rules[0].BackendRefs[0]
			b.Namespace, b.Name = sp("web-team"), "frontend"
			cl.ReferenceGrants = grants
		}
	}
	const gw = "gateway.networking.k8s.io"
	// Counts: the routes with backendRefs into other namespaces are judged
	// when the ReferenceGrants were read.
	runCases(t, RouteBackendNotPermitted, []gwCase{
		{name: "same namespace needs no grant", counts: counts(0, 0, 0, 0)},
		{name: "no grant", edit: crossRef(), want: []string{"rule 0 backendRef names Service web-team/frontend in another namespace, and no ReferenceGrant in web-team allows HTTPRoute from namespace shop | RefNotPermitted"},
			counts: counts(1, 0, 1, 0)},
		{name: "a grant for all Services", edit: crossRef(grant(t, "web-team", gw, "HTTPRoute", "shop", "Service", "")), counts: counts(1, 1, 0, 0)},
		{name: "ReferenceGrants not read", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			crossRef()(t, inv, cl)
			ruletest.FailSource(inv, inventory.KubeReferenceGrants, cl.Scope())
		}, gaps: 1, counts: counts(0, 0, 0, 1), reason: "the ReferenceGrants could not be read"},
		{name: "a grant for the Service by name", edit: crossRef(grant(t, "web-team", gw, "HTTPRoute", "shop", "Service", "frontend"))},
		{name: "a grant for another Service", edit: crossRef(grant(t, "web-team", gw, "HTTPRoute", "shop", "Service", "backend")), want: []string{"no ReferenceGrant in web-team"}},
		{name: "a grant in the route's namespace (the wrong one)", edit: crossRef(grant(t, "shop", gw, "HTTPRoute", "shop", "Service", "")), want: []string{"no ReferenceGrant in web-team"}},
		{name: "a grant from another namespace", edit: crossRef(grant(t, "web-team", gw, "HTTPRoute", "other", "Service", "")), want: []string{"no ReferenceGrant"}},
		{name: "a grant for another kind", edit: crossRef(grant(t, "web-team", gw, "GRPCRoute", "shop", "Service", "")), want: []string{"no ReferenceGrant"}},
		{name: "a grant from another group", edit: crossRef(grant(t, "web-team", "", "HTTPRoute", "shop", "Service", "")), want: []string{"no ReferenceGrant"}},
		{name: "a grant to Secrets", edit: crossRef(grant(t, "web-team", gw, "HTTPRoute", "shop", "Secret", "")), want: []string{"no ReferenceGrant"}},
	})
	// ReferenceGrants not installed: none exists, the reference is refused.
	inv, cl := storeWorld(t)
	crossRef()(t, inv, cl)
	for i := range inv.Coverage {
		if inv.Coverage[i].Source == inventory.KubeReferenceGrants {
			inv.Coverage[i].Status = inventory.StatusNotInstalled
		}
	}
	ruletest.Expect(t, ruletest.Run(t, inv, RouteBackendNotPermitted), "no ReferenceGrant in web-team")
	// Not readable: could not check, no finding.
	inv, cl = storeWorld(t)
	crossRef()(t, inv, cl)
	ruletest.FailSource(inv, inventory.KubeReferenceGrants, cl.Scope())
	if res := ruletest.RunAll(inv, RouteBackendNotPermitted); len(res.Findings) != 0 || len(res.Failures) != 1 {
		t.Errorf("findings %v failures %+v", ruletest.Messages(res.Findings), res.Failures)
	}
}
