package gke

import "strings"

// Proxy-only subnet purposes (compute v1 Subnetwork.purpose) of the
// subnets Envoy-based load balancers take their proxies' addresses from.
const (
	PurposeRegionalProxy = "REGIONAL_MANAGED_PROXY"
	// PurposeLegacyILB is the older purpose, accepted for internal load
	// balancers only.
	PurposeLegacyILB   = "INTERNAL_HTTPS_LOAD_BALANCER"
	PurposeGlobalProxy = "GLOBAL_MANAGED_PROXY"
)

// IsProxyOnlyPurpose reports whether a subnet purpose is a proxy-only
// subnet's.
func IsProxyOnlyPurpose(purpose string) bool {
	return purpose == PurposeRegionalProxy || purpose == PurposeLegacyILB || purpose == PurposeGlobalProxy
}

// GKE's single-cluster GatewayClasses; each has a multi-cluster twin with
// the suffix "-mc".
const (
	GatewayClassGlobalExternal        = "gke-l7-global-external-managed"
	GatewayClassRegionalExternal      = "gke-l7-regional-external-managed"
	GatewayClassRegionalInternal      = "gke-l7-rilb"
	GatewayClassClassic               = "gke-l7-gxlb"
	GatewayClassCrossRegionalInternal = "gke-l7-cross-regional-internal-managed"
)

// gatewayClassBase strips the multi-cluster suffix.
func gatewayClassBase(class string) string { return strings.TrimSuffix(class, "-mc") }

// IsGKEGatewayClass reports whether a GatewayClass name is one of GKE's
// load-balancer classes (gke-l7-*), which the GKE Gateway controller
// serves.
func IsGKEGatewayClass(class string) bool { return strings.HasPrefix(class, "gke-l7-") }

// GatewayRegionalProxy reports whether a Gateway class's load balancer
// runs Envoy proxies in a proxy-only subnet, so that its data traffic to
// the Pods comes from that subnet.
func GatewayRegionalProxy(class string) bool {
	switch gatewayClassBase(class) {
	case GatewayClassRegionalInternal, GatewayClassRegionalExternal, GatewayClassCrossRegionalInternal:
		return true
	}
	return false
}

// GatewayProxyPurposes returns the proxy-only subnet purposes that serve a
// Gateway class's load balancer (any of them, ACTIVE), or none when the
// class needs no proxy-only subnet.
func GatewayProxyPurposes(class string) []string {
	switch gatewayClassBase(class) {
	case GatewayClassRegionalInternal:
		return regionalProxyPurposes(true)
	case GatewayClassRegionalExternal:
		return regionalProxyPurposes(false)
	case GatewayClassCrossRegionalInternal:
		return []string{PurposeGlobalProxy}
	}
	return nil
}

// IngressProxyPurposes returns the proxy-only subnet purposes that serve
// an Ingress class's load balancer, or none for gce.
func IngressProxyPurposes(class string) []string {
	switch class {
	case ClassInternal:
		return regionalProxyPurposes(true)
	case ClassRegionalExternal:
		return regionalProxyPurposes(false)
	}
	return nil
}

// regionalProxyPurposes are the purposes of the proxy-only subnets a
// regional Application Load Balancer's proxies run in: an internal one's
// may still be a legacy INTERNAL_HTTPS_LOAD_BALANCER subnet, an external
// one's never.
func regionalProxyPurposes(internal bool) []string {
	if internal {
		return []string{PurposeRegionalProxy, PurposeLegacyILB}
	}
	return []string{PurposeRegionalProxy}
}

// GatewayClasses are GKE's GatewayClass names, single- and multi-cluster.
var GatewayClasses = []string{
	GatewayClassGlobalExternal, GatewayClassGlobalExternal + "-mc",
	GatewayClassRegionalExternal, GatewayClassRegionalExternal + "-mc",
	GatewayClassRegionalInternal, GatewayClassRegionalInternal + "-mc",
	GatewayClassCrossRegionalInternal + "-mc",
	GatewayClassClassic, GatewayClassClassic + "-mc",
}

// GatewayControllerName is the controllerName of GKE's single-cluster
// GatewayClasses.
const GatewayControllerName = "networking.gke.io/gateway"

// GatewayClassRegional reports whether a class builds a regional load
// balancer: its addresses, certificates and Cloud Armor policies are the
// region's, not global.
func GatewayClassRegional(class string) bool {
	switch gatewayClassBase(class) {
	case GatewayClassRegionalExternal, GatewayClassRegionalInternal:
		return true
	}
	return false
}

// GatewayClassInternal reports whether a class builds an internal load
// balancer (its address is an internal one).
func GatewayClassInternal(class string) bool {
	switch gatewayClassBase(class) {
	case GatewayClassRegionalInternal, GatewayClassCrossRegionalInternal:
		return true
	}
	return false
}

// GatewayClassMultiCluster reports whether a class is a multi-cluster
// (fleet) one, whose backends are ServiceImports.
func GatewayClassMultiCluster(class string) bool { return strings.HasSuffix(class, "-mc") }

// Options and annotations of a Gateway that name certificates.
const (
	// OptCertManagerCerts is the listener TLS option naming Certificate
	// Manager certificates (regional classes).
	OptCertManagerCerts = "networking.gke.io/cert-manager-certs"
)

// Features of the Gateway API that GKE's classes do not all support.
// lbdiag flags a route that uses one on a class without it, from GKE's
// published conformance reports (gateway-api conformance/reports/*/
// gke-gateway: unsupportedFeatures) and the controller's GWCER104 errors.
const (
	FeatureMethodMatch     = "HTTPRouteMethodMatching"
	FeatureRegexPath       = "RegularExpression path match"
	FeaturePortRedirect    = "HTTPRoutePortRedirect"
	Feature30xRedirect     = "HTTPRoute30xRedirectStatusCode"
	FeatureFullPathRewrite = "HTTPRoutePathRewrite (ReplaceFullPath)"
	FeatureTimeouts        = "HTTPRouteRequestTimeout/HTTPRouteBackendTimeout"
	FeatureRetry           = "HTTPRouteRetry"
	FeatureCORS            = "HTTPRouteCORS"
	FeatureBackendFilters  = "HTTPRouteBackendRequestHeaderModification (filters on a backendRef)"
	FeatureMultipleMirrors = "HTTPRouteRequestMultipleMirrors"
	FeatureParentRefPort   = "HTTPRouteParentRefPort"
	FeatureRuleFilters     = "rule filters (header modifiers, redirects, rewrites, mirrors)"
	FeatureGRPCRoute       = "GRPCRoute"
)

// GatewayFeatureSupport says where GKE supports a feature: the base
// classes that do (nil: none), and what to use instead.
type GatewayFeatureSupport struct {
	// SupportedOn are the base classes that support it; nil means no GKE
	// class does.
	SupportedOn []string
	// Instead is what a user does instead when no class supports it.
	Instead string
}

// GatewayFeatures is GKE's support of the features above.
var GatewayFeatures = map[string]GatewayFeatureSupport{
	FeatureMethodMatch:     {Instead: "match on path and headers instead; GKE's load balancers do not route on the method"},
	FeatureRegexPath:       {Instead: "use PathPrefix or Exact matches (GKE rejects RegularExpression paths: \"Paths must start with a '/' character\")"},
	FeaturePortRedirect:    {Instead: "redirect without a port (scheme, hostname, path and 301/302 are supported)"},
	Feature30xRedirect:     {Instead: "use statusCode 301 or 302"},
	FeatureFullPathRewrite: {Instead: "use URLRewrite with ReplacePrefixMatch"},
	FeatureTimeouts:        {Instead: "set spec.default.timeoutSec in a GCPBackendPolicy targeting the backend Service"},
	FeatureRetry:           {Instead: "retry in the client; GKE's Gateway has no route-level retry policy"},
	FeatureCORS:            {Instead: "answer CORS preflights in the backend, or add the headers with a ResponseHeaderModifier filter"},
	FeatureBackendFilters:  {Instead: "move the filters from the backendRef to the rule"},
	FeatureMultipleMirrors: {Instead: "mirror to one backend per rule"},
	FeatureParentRefPort:   {Instead: "select the listener with sectionName"},
	FeatureGRPCRoute:       {Instead: "route gRPC with an HTTPRoute to a Service port with appProtocol HTTP2"},
	FeatureRuleFilters: {SupportedOn: []string{GatewayClassGlobalExternal, GatewayClassRegionalExternal, GatewayClassRegionalInternal, GatewayClassCrossRegionalInternal},
		Instead: "use gke-l7-global-external-managed, the global external Application Load Balancer, which supports rule filters"},
}

// GatewayFeatureSupported reports whether a class supports a feature.
func GatewayFeatureSupported(feature, class string) bool {
	s, ok := GatewayFeatures[feature]
	if !ok {
		return true
	}
	for _, c := range s.SupportedOn {
		if c == gatewayClassBase(class) {
			return true
		}
	}
	return false
}

// BackendServiceProxyPurposes are the proxy-only subnet purposes whose
// proxies connect to a regional backend service's backends, by its
// load-balancing scheme: an internal Application Load Balancer's may
// still use a legacy INTERNAL_HTTPS_LOAD_BALANCER subnet, an external
// one's never; nil for schemes without regional managed proxies.
func BackendServiceProxyPurposes(scheme string) []string {
	switch scheme {
	case "INTERNAL_MANAGED":
		return regionalProxyPurposes(true)
	case "EXTERNAL_MANAGED":
		return regionalProxyPurposes(false)
	}
	return nil
}
