package gateway

import (
	"testing"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestRouteHostnameMismatch(t *testing.T) {
	t.Parallel()
	hosts := func(names []string, listener *string) func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
		return func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			route(cl).Spec.Hostnames = names
			route(cl).Spec.ParentRefs[0].SectionName = sp("http")
			store(cl).Spec.Listeners[0].Hostname = listener
		}
	}
	// Counts: the routes a listener admits (shop/web) are judged.
	runCases(t, RouteHostnameMismatch, []gwCase{
		{name: "a host under the listener's wildcard", edit: hosts([]string{"shop.example.com"}, sp("*.example.com")), counts: counts(1, 1, 0, 0)},
		{name: "a deeper host under the wildcard", edit: hosts([]string{"foo.bar.example.com"}, sp("*.example.com"))},
		{name: "the wildcard's own domain does not match", edit: hosts([]string{"example.com"}, sp("*.example.com")),
			want: []string{"spec.hostnames example.com intersect no hostname of the listeners of Gateway shop/store sectionName http | NoMatchingListenerHostname"}, counts: counts(1, 0, 1, 0)},
		{name: "another domain", edit: hosts([]string{"shop.example.net"}, sp("*.example.com")), want: []string{"shop.example.net intersect no hostname"}},
		{name: "a route wildcard over the listener's host", edit: hosts([]string{"*.specific.com"}, sp("very.specific.com"))},
		{name: "two wildcards, one narrower", edit: hosts([]string{"*.example.com"}, sp("*.com"))},
		{name: "a suffix that is not a label", edit: hosts([]string{"fooexample.com"}, sp("*.example.com")), want: []string{"fooexample.com intersect no hostname"}},
		{name: "a route without hostnames takes every host", edit: hosts(nil, sp("shop.example.com"))},
		{name: "a listener without hostname takes every host", edit: hosts([]string{"anything.test"}, nil)},
		{name: "one of several hostnames is enough", edit: hosts([]string{"shop.example.net", "shop.example.com"}, sp("shop.example.com"))},
		{name: "case does not matter", edit: hosts([]string{"Shop.Example.com"}, sp("shop.example.com"))},
		{name: "Gateways not read", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			hosts([]string{"example.com"}, sp("*.example.com"))(t, inv, cl)
			ruletest.FailSource(inv, inventory.KubeGateways, cl.Scope())
		}, counts: counts(0, 0, 0, 1), reason: string(inventory.KubeGateways)},
		{name: "HTTPRoutes not read", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			hosts([]string{"example.com"}, sp("*.example.com"))(t, inv, cl)
			ruletest.FailSource(inv, inventory.KubeHTTPRoutes, cl.Scope())
		}, counts: counts(0, 0, 0, 1), reason: string(inventory.KubeHTTPRoutes)},
	})
}
