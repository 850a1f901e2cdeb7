package gateway

import (
	"fmt"
	"sort"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// GatewayClassFeatureUnsupported reports routes that use a feature their
// Gateway's class does not support on GKE.
var GatewayClassFeatureUnsupported = &inspect.Rule{
	ID:       "gateway-class-feature-unsupported",
	Severity: inspect.Warning,
	Title:    "Every route uses only features its Gateway's GKE class supports",
	Doc: inspect.Doc{
		Why: `GKE's GatewayClasses implement different parts of the Gateway API. A route that uses a feature its Gateway's class lacks is rejected by the controller (Accepted False, GWCER104 "HTTPRoute is misconfigured"), and since one bad route fails the translation of the whole Gateway, every other route of that Gateway stops being updated too. Examples: any rule filter (header modifiers, redirects, rewrites, mirrors) on the classic gke-l7-gxlb; on every GKE class, method matches, RegularExpression paths, route timeouts and retries, redirects with a port or a 303/307/308 code, ReplaceFullPath rewrites, backendRef filters, parentRef ports, and GRPCRoute. lbdiag follows GKE's published conformance reports and the controller's GWCER104 messages.`,
		Fix: `Use the class that supports the feature (gke-l7-global-external-managed for rule filters), or what GKE offers instead: a GCPBackendPolicy timeoutSec for timeouts, PathPrefix or Exact for regular expressions, 301 or 302 redirects, ReplacePrefixMatch rewrites.`,
		Sources: []string{"GKE GatewayClass capabilities (cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities)",
			"kubernetes-sigs/gateway-api conformance/reports/v1.1.0-v1.6/gke-gateway (supportedFeatures, unsupportedFeatures)",
			"GKE Gateway troubleshooting: GWCER104 (\"classic GXLB ... does not support rule filters\", \"Timeouts are not supported.\")",
			"GoogleCloudPlatform/gke-gateway-api#31 (GRPCRoute not supported)"},
		URL: "https://cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			if !p.Known(inventory.KubeGateways, cl.Scope()) {
				continue
			}
			for _, r := range core.RoutesIn(p, cl) {
				res := routeResource(cl, r)
				uses := routeFeatures(cl, r)
				seen := map[string]bool{}
				for _, ref := range r.ParentRefs {
					ns, isGateway := inventory.ParentGateway(r.Meta.Namespace, ref)
					if !isGateway {
						continue
					}
					gw := core.FindGateway(cl, ns, ref.Name)
					if gw == nil || !gke.IsGKEGatewayClass(gw.Spec.GatewayClassName) {
						continue
					}
					class := gw.Spec.GatewayClassName
					p.Judge(res) // a route of a GKE Gateway
					parentUses := uses
					if ref.Port != nil {
						parentUses = append(append([]featureUse{}, uses...), featureUse{gke.FeatureParentRefPort, fmt.Sprintf("parentRef port %d", *ref.Port)})
					}
					for _, u := range parentUses {
						if gke.GatewayFeatureSupported(u.feature, class) || seen[u.feature+"/"+class] {
							continue
						}
						seen[u.feature+"/"+class] = true
						s := gke.GatewayFeatures[u.feature]
						msg := fmt.Sprintf("%s uses %s (%s), which class %s of Gateway %s/%s does not support: the controller rejects the route (GWCER104) and stops updating the Gateway's other routes",
							r, u.where, u.feature, class, gw.Namespace, gw.Name)
						fix := s.Instead
						if len(s.SupportedOn) > 0 {
							msg += fmt.Sprintf("; %s supports it", s.SupportedOn[0])
						} else {
							msg += "; no GKE class supports it: " + s.Instead
						}
						p.Report(inspect.Finding{Message: msg, Resource: res, Key: u.feature + "/" + class,
							Evidence:    map[string]any{"feature": u.feature, "where": u.where, "class": class, "gateway": gw.Namespace + "/" + gw.Name},
							Remediation: fmt.Sprintf("kubectl edit %s %s -n %s   # %s", kubectlKind(r.Kind), r.Meta.Name, r.Meta.Namespace, fix)})
					}
				}
			}
		}
	},
}

// featureUse is a feature a route uses, and where.
type featureUse struct{ feature, where string }

// routeFeatures lists the features of the capability table a route uses.
func routeFeatures(cl *inventory.Cluster, r core.Route) []featureUse {
	if r.Kind == core.KindGRPC {
		return []featureUse{{gke.FeatureGRPCRoute, "a GRPCRoute"}}
	}
	var route *inventory.HTTPRoute
	for i := range cl.HTTPRoutes {
		if cl.HTTPRoutes[i].Namespace == r.Meta.Namespace && cl.HTTPRoutes[i].Name == r.Meta.Name {
			route = &cl.HTTPRoutes[i]
		}
	}
	if route == nil {
		return nil
	}
	var out []featureUse
	add := func(f, where string) { out = append(out, featureUse{f, where}) }
	for i, rule := range route.Spec.Rules {
		at := func(what string) string { return fmt.Sprintf("%s in rule %d", what, i) }
		for _, m := range rule.Matches {
			if m.Method != nil {
				add(gke.FeatureMethodMatch, at("a method match ("+*m.Method+")"))
			}
			if m.Path != nil && m.Path.Type != nil && *m.Path.Type == "RegularExpression" {
				add(gke.FeatureRegexPath, at("a RegularExpression path match"))
			}
		}
		mirrors := 0
		for _, f := range rule.Filters {
			add(gke.FeatureRuleFilters, at("a "+f.Type+" filter"))
			switch {
			case f.RequestMirror != nil:
				mirrors++
			case f.RequestRedirect != nil && f.RequestRedirect.Port != nil:
				add(gke.FeaturePortRedirect, at(fmt.Sprintf("a redirect to port %d", *f.RequestRedirect.Port)))
			case f.URLRewrite != nil && f.URLRewrite.Path != nil && f.URLRewrite.Path.Type == "ReplaceFullPath":
				add(gke.FeatureFullPathRewrite, at("a ReplaceFullPath rewrite"))
			case f.Type == "CORS" || len(f.CORS) > 0:
				add(gke.FeatureCORS, at("a CORS filter"))
			}
			if f.RequestRedirect != nil && f.RequestRedirect.StatusCode != nil && *f.RequestRedirect.StatusCode != 301 && *f.RequestRedirect.StatusCode != 302 {
				add(gke.Feature30xRedirect, at(fmt.Sprintf("a %d redirect", *f.RequestRedirect.StatusCode)))
			}
		}
		if mirrors > 1 {
			add(gke.FeatureMultipleMirrors, at(fmt.Sprintf("%d RequestMirror filters", mirrors)))
		}
		if len(rule.Timeouts) > 0 && string(rule.Timeouts) != "null" {
			add(gke.FeatureTimeouts, at("timeouts"))
		}
		if len(rule.Retry) > 0 && string(rule.Retry) != "null" {
			add(gke.FeatureRetry, at("a retry policy"))
		}
		for _, b := range rule.BackendRefs {
			if len(b.Filters) > 0 {
				add(gke.FeatureBackendFilters, at("filters on backendRef "+b.Name))
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].feature < out[j].feature })
	return out
}
