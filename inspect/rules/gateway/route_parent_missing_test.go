package gateway

import (
	"testing"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestRouteParentMissing(t *testing.T) {
	t.Parallel()
	var port443 int32 = 443
	var port8443 int32 = 8443
	// Counts: the routes with a Gateway parent (shop/web) are judged,
	// where the Gateways were read.
	runCases(t, RouteParentMissing, []gwCase{
		{name: "an existing Gateway", counts: counts(1, 1, 0, 0)},
		{name: "a misspelt Gateway", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			route(cl).Spec.ParentRefs[0].Name = "stroe"
		}, want: []string{`parentRefs name Gateway shop/stroe, which does not exist | "store" exists there (a typo?)`}, counts: counts(1, 0, 1, 0)},
		{name: "the Gateway is in another namespace", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			route(cl).Namespace = "web-team"
		}, want: []string{`Gateway web-team/store, which does not exist | a Gateway of that name exists in namespace shop: parentRefs.namespace defaults to the route's own`}},
		{name: "with the namespace set", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			route(cl).Namespace = "web-team"
			route(cl).Spec.ParentRefs[0].Namespace = sp("shop")
		}},
		{name: "a sectionName no listener has", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			route(cl).Spec.ParentRefs[0].SectionName = sp("htps")
		}, want: []string{`parentRefs select Gateway shop/store sectionName htps, but no listener of the Gateway matches | listener "https" exists (a typo?)`}},
		{name: "sectionName and port must both match", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			route(cl).Spec.ParentRefs[0].SectionName = sp("http")
			route(cl).Spec.ParentRefs[0].Port = &port443
		}, want: []string{"sectionName http port 443, but no listener of the Gateway matches"}},
		{name: "a port that matches", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			route(cl).Spec.ParentRefs[0].Port = &port443
		}},
		{name: "a port no listener has", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			route(cl).Spec.ParentRefs[0].Port = &port8443
		}, want: []string{"port 8443, but no listener"}},
		{name: "a parent that is not a Gateway", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			route(cl).Spec.ParentRefs[0].Kind, route(cl).Spec.ParentRefs[0].Group = sp("Service"), sp("")
			route(cl).Spec.ParentRefs[0].Name = "mesh"
		}, counts: counts(0, 0, 0, 0)},
		{name: "Gateways not read", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			route(cl).Spec.ParentRefs[0].Name = "nope"
			ruletest.FailSource(inv, inventory.KubeGateways, cl.Scope())
		}, counts: counts(0, 0, 0, 1), reason: string(inventory.KubeGateways)},
	})
}
