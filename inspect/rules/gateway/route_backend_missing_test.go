package gateway

import (
	"testing"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestRouteBackendMissing(t *testing.T) {
	t.Parallel()
	ref := func(cl *inventory.Cluster) *inventory.BackendRef { return &route(cl).Spec.Rules[0].BackendRefs[0] }
	// Counts: the routes with Service backendRefs (shop/web) are judged
	// when each Service could be looked up.
	runCases(t, RouteBackendMissing, []gwCase{
		{name: "an existing Service and port", counts: counts(1, 1, 0, 0)},
		{name: "a misspelt Service", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) { ref(cl).Name = "wbe" },
			want: []string{`rule 0 backendRef names Service shop/wbe, which does not exist | BackendNotFound | "web" exists there (a typo?)`}, counts: counts(1, 0, 1, 0)},
		{name: "a port the Service does not have (its targetPort)", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			ref(cl).Port = ruletest.Ptr[int32](8080)
		},
			want: []string{"names port 8080 of Service shop/web, which has ports 80 (http) | GWCER103 | not the targetPort"}},
		{name: "no port", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) { ref(cl).Port = nil },
			want: []string{`without a port: the API server refuses it ("Must have port for Service reference")`}},
		{name: "a Service in another namespace that exists", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			ref(cl).Namespace, ref(cl).Name = sp("web-team"), "frontend"
		}},
		{name: "a mirror's backend that does not exist", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			r := route(cl)
			r.Spec.Rules[0].Filters = []inventory.RouteFilter{{Type: "RequestMirror"}}
			r.Spec.Rules[0].Filters[0].RequestMirror = &inventory.RequestMirror{BackendRef: inventory.BackendRef{Name: "shadow", Port: ruletest.Ptr[int32](80)}}
		}, want: []string{"rule 0 RequestMirror backendRef names Service shop/shadow, which does not exist"}},
		{name: "not a Service", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			ref(cl).Group, ref(cl).Kind, ref(cl).Name = sp("net.gke.io"), sp("ServiceImport"), "store-mc"
		}, counts: counts(0, 0, 0, 0)},
		{name: "Services not read", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			ref(cl).Name = "gone"
			ruletest.FailSource(inv, inventory.KubeServices, cl.Scope())
		}, counts: counts(0, 0, 0, 1), reason: string(inventory.KubeServices)},
		{name: "one namespace's Services not read", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			ref(cl).Namespace, ref(cl).Name = sp("web-team"), "gone"
			inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.KubeServices, Scope: inventory.ObjectScope(cl.Scope(), "services", "web-team", "gone"),
				Status: inventory.StatusError, Error: "forbidden"})
		}, counts: counts(0, 0, 0, 1), reason: "forbidden"},
	})
}
