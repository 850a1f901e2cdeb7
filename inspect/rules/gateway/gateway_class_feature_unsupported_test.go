package gateway

import (
	"encoding/json"
	"testing"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestGatewayClassFeatureUnsupported(t *testing.T) {
	t.Parallel()
	rule := func(js string, class string) func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
		return func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			route(cl).Spec.Rules = []inventory.HTTPRouteRule{decode[inventory.HTTPRouteRule](t, js)}
			if class != "" {
				store(cl).Spec.GatewayClassName = class
			}
		}
	}
	const backend = `"backendRefs":[{"name":"web","port":80}]`
	// Counts: the routes of GKE Gateways are judged (shop/web, and
	// shop/orders where added).
	runCases(t, GatewayClassFeatureUnsupported, []gwCase{
		{name: "a header modifier on the global external class", edit: rule(`{"filters":[{"type":"RequestHeaderModifier","requestHeaderModifier":{"add":[{"name":"x-shop","value":"1"}]}}],`+backend+`}`, ""),
			counts: counts(1, 1, 0, 0)},
		{name: "any filter on the classic class", edit: rule(`{"filters":[{"type":"URLRewrite","urlRewrite":{"path":{"type":"ReplacePrefixMatch","replacePrefixMatch":"/v2"}}}],`+backend+`}`, "gke-l7-gxlb"),
			want:   []string{"HTTPRoute shop/web uses a URLRewrite filter in rule 0 (rule filters (header modifiers, redirects, rewrites, mirrors)), which class gke-l7-gxlb of Gateway shop/store does not support | GWCER104 | gke-l7-global-external-managed supports it"},
			counts: counts(1, 0, 1, 0)},
		{name: "a mirror on the classic class", edit: rule(`{"filters":[{"type":"RequestMirror","requestMirror":{"backendRef":{"name":"api","port":8080}}}],`+backend+`}`, "gke-l7-gxlb"),
			want: []string{"uses a RequestMirror filter in rule 0"}},
		{name: "a method match on any class", edit: rule(`{"matches":[{"method":"POST","path":{"type":"PathPrefix","value":"/cart"}}],`+backend+`}`, ""),
			want: []string{"uses a method match (POST) in rule 0 (HTTPRouteMethodMatching), which class gke-l7-global-external-managed"}},
		{name: "a regular expression path", edit: rule(`{"matches":[{"path":{"type":"RegularExpression","value":"/item/[0-9]+"}}],`+backend+`}`, "gke-l7-rilb"),
			want: []string{"uses a RegularExpression path match in rule 0"}},
		{name: "route timeouts", edit: rule(`{"timeouts":{"request":"30s"},`+backend+`}`, ""),
			want: []string{"uses timeouts in rule 0 | set spec.default.timeoutSec in a GCPBackendPolicy"}},
		{name: "a 307 redirect and a port", edit: rule(`{"filters":[{"type":"RequestRedirect","requestRedirect":{"scheme":"https","port":8443,"statusCode":307}}]}`, ""),
			want: []string{"uses a 307 redirect", "uses a redirect to port 8443"}},
		{name: "a 301 redirect", edit: rule(`{"filters":[{"type":"RequestRedirect","requestRedirect":{"scheme":"https","statusCode":301}}]}`, "")},
		{name: "ReplaceFullPath", edit: rule(`{"filters":[{"type":"URLRewrite","urlRewrite":{"path":{"type":"ReplaceFullPath","replaceFullPath":"/"}}}],`+backend+`}`, ""),
			want: []string{"uses a ReplaceFullPath rewrite"}},
		{name: "filters on a backendRef", edit: rule(`{"backendRefs":[{"name":"web","port":80,"filters":[{"type":"RequestHeaderModifier"}]}]}`, ""),
			want: []string{"uses filters on backendRef web"}},
		{name: "a parentRef port", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			route(cl).Spec.ParentRefs[0].Port = ruletest.Ptr[int32](443)
		}, want: []string{"uses parentRef port 443 (HTTPRouteParentRefPort)"}},
		{name: "a GRPCRoute", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			var g inventory.GRPCRoute
			if err := json.Unmarshal([]byte(`{"metadata":{"name":"orders","namespace":"shop"},"spec":{"parentRefs":[{"name":"store"}],"rules":[{"backendRefs":[{"name":"api","port":8080}]}]}}`), &g); err != nil {
				t.Fatal(err)
			}
			cl.GRPCRoutes = []inventory.GRPCRoute{g}
		}, want: []string{"GRPCRoute shop/orders uses a GRPCRoute (GRPCRoute) | route gRPC with an HTTPRoute"}, counts: counts(2, 1, 1, 0)},
		{name: "a class that is not GKE's", edit: rule(`{"matches":[{"method":"POST"}],`+backend+`}`, "istio"), counts: counts(0, 0, 0, 0)},
		{name: "Gateways not read", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			rule(`{"matches":[{"method":"POST"}],`+backend+`}`, "")(t, inv, cl)
			ruletest.FailSource(inv, inventory.KubeGateways, cl.Scope())
		}, counts: counts(0, 0, 0, 1), reason: string(inventory.KubeGateways)},
		{name: "HTTPRoutes not read", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			rule(`{"matches":[{"method":"POST"}],`+backend+`}`, "")(t, inv, cl)
			ruletest.FailSource(inv, inventory.KubeHTTPRoutes, cl.Scope())
		}, counts: counts(0, 0, 0, 1), reason: string(inventory.KubeHTTPRoutes)},
	})
}
