package gateway

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestRouteNotAllowed(t *testing.T) {
	t.Parallel()
	selector := func(cl *inventory.Cluster, sel *metav1.LabelSelector) {
		l := &store(cl).Spec.Listeners[0]
		l.AllowedRoutes.Namespaces.From, l.AllowedRoutes.Namespaces.Selector = sp("Selector"), sel
	}
	cross := func(cl *inventory.Cluster) {
		route(cl).Namespace = "web-team"
		route(cl).Spec.ParentRefs[0].Namespace = sp("shop")
	}
	// Counts: the routes naming listeners of an existing Gateway (the
	// route, here) are judged, when the listeners' selectors could be
	// evaluated.
	runCases(t, RouteNotAllowed, []gwCase{
		{name: "from All admits another namespace", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) { cross(cl) }, counts: counts(1, 1, 0, 0)},
		{name: "from Same (the default) refuses another namespace", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cross(cl)
			route(cl).Spec.ParentRefs[0].SectionName = sp("https")
		}, want: []string{`Gateway shop/store sectionName https admits no listener for it: listener https allows routes from its own namespace shop only | NotAllowedByListeners`},
			counts: counts(1, 0, 1, 0)},
		{name: "a Selector without the Namespaces", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			cross(cl)
			selector(cl, &metav1.LabelSelector{MatchLabels: map[string]string{"team": "web"}})
			route(cl).Spec.ParentRefs[0].SectionName = sp("http")
			ruletest.FailSource(inv, inventory.KubeNamespaceList, cl.Scope())
		}, gaps: 1, counts: counts(0, 0, 0, 1), reason: "the Namespaces could not be read"},
		{name: "a default allowedRoutes is Same", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cross(cl)
			for i := range store(cl).Spec.Listeners {
				store(cl).Spec.Listeners[i].AllowedRoutes = nil
			}
		}, want: []string{"listener http allows routes from its own namespace shop only (allowedRoutes.namespaces.from Same, the default); listener https allows"}},
		{name: "a Selector the namespace matches", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cross(cl)
			selector(cl, &metav1.LabelSelector{MatchLabels: map[string]string{"team": "web"}})
			route(cl).Spec.ParentRefs[0].SectionName = sp("http")
		}},
		{name: "a Selector by the automatic name label", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cross(cl)
			selector(cl, &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpIn, Values: []string{"web-team", "shop"}}}})
			route(cl).Spec.ParentRefs[0].SectionName = sp("http")
		}},
		{name: "a Selector the namespace does not match", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cross(cl)
			selector(cl, &metav1.LabelSelector{MatchLabels: map[string]string{"team": "checkout"}})
			route(cl).Spec.ParentRefs[0].SectionName = sp("http")
		}, want: []string{"listener http allows routes from namespaces matching team=checkout; namespace web-team has labels kubernetes.io/metadata.name=web-team,team=web"}},
		{name: "a Selector without selector selects nothing", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cross(cl)
			selector(cl, nil)
			route(cl).Spec.ParentRefs[0].SectionName = sp("http")
		}, want: []string{"has allowedRoutes.namespaces.from Selector but no selector"}},
		{name: "a kind the listener does not allow", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			for i := range store(cl).Spec.Listeners {
				store(cl).Spec.Listeners[i].AllowedRoutes.Kinds = []inventory.RouteGroupKind{{Kind: "TLSRoute"}}
			}
		}, want: []string{"listener http allows route kinds TLSRoute, not HTTPRoute"}},
		{name: "one listener of two admits: attached", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cross(cl) // http admits All, https Same
		}},
	})
	// A Selector needs the Namespaces: without them, could not check.
	inv, cl := storeWorld(t)
	cross(cl)
	selector(cl, &metav1.LabelSelector{MatchLabels: map[string]string{"team": "web"}})
	route(cl).Spec.ParentRefs[0].SectionName = sp("http")
	ruletest.FailSource(inv, inventory.KubeNamespaceList, cl.Scope())
	res := ruletest.RunAll(inv, RouteNotAllowed)
	if len(res.Findings) != 0 || len(res.Failures) != 1 || res.Failures[0].Status != inventory.StatusUnknown {
		t.Errorf("findings %v failures %+v", ruletest.Messages(res.Findings), res.Failures)
	}
}
