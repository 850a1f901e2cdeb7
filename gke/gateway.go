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
		return []string{PurposeRegionalProxy, PurposeLegacyILB}
	case GatewayClassRegionalExternal:
		return []string{PurposeRegionalProxy}
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
		return []string{PurposeRegionalProxy, PurposeLegacyILB}
	case ClassRegionalExternal:
		return []string{PurposeRegionalProxy}
	}
	return nil
}
