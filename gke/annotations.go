package gke

import "strings"

// Annotations GKE's Ingress controller reads on an Ingress
// (kubernetes/ingress-gce pkg/annotations/ingress.go).
const (
	AnnIngressClass   = "kubernetes.io/ingress.class"
	AnnAllowHTTP      = "kubernetes.io/ingress.allow-http"
	AnnGlobalStaticIP = "kubernetes.io/ingress.global-static-ip-name"
	AnnRegionalIP     = "kubernetes.io/ingress.regional-static-ip-name"
	AnnPreSharedCert  = "ingress.gcp.kubernetes.io/pre-shared-cert"
	AnnManagedCerts   = "networking.gke.io/managed-certificates"
	AnnFrontendConfig = "networking.gke.io/v1beta1.FrontendConfig"
)

// Annotations GKE's controllers read on a Service
// (kubernetes/ingress-gce pkg/annotations/service.go).
const (
	AnnBackendConfig     = "cloud.google.com/backend-config"
	AnnBackendConfigBeta = "beta.cloud.google.com/backend-config"
	AnnNEG               = "cloud.google.com/neg"
	AnnAppProtocols      = "cloud.google.com/app-protocols"
	AnnAppProtocolsAlpha = "service.alpha.kubernetes.io/app-protocols"
	// AnnL4Type and its deprecated twin ask for an internal passthrough
	// load balancer ("Internal").
	AnnL4Type           = "networking.gke.io/load-balancer-type"
	AnnL4TypeDeprecated = "cloud.google.com/load-balancer-type"
	// AnnL4IPAddresses names the reserved addresses of a LoadBalancer
	// Service.
	AnnL4IPAddresses = "networking.gke.io/load-balancer-ip-addresses"
)

// Annotations the controllers write on a Service: the NEG controller's
// status (which NEG serves which port, in which zones).
const AnnNEGStatus = "cloud.google.com/neg-status"

// Annotations the Ingress controller writes on an Ingress after each
// successful sync, naming the Compute Engine resources it built
// (kubernetes/ingress-gce pkg/controller/controller.go, pkg/loadbalancers).
const (
	AnnIngressPrefix              = "ingress.kubernetes.io/"
	AnnIngressBackends            = "ingress.kubernetes.io/backends"
	AnnIngressURLMap              = "ingress.kubernetes.io/url-map"
	AnnIngressForwardingRule      = "ingress.kubernetes.io/forwarding-rule"
	AnnIngressHTTPSForwardingRule = "ingress.kubernetes.io/https-forwarding-rule"
	AnnIngressTargetProxy         = "ingress.kubernetes.io/target-proxy"
	AnnIngressHTTPSTargetProxy    = "ingress.kubernetes.io/https-target-proxy"
	AnnIngressRedirectURLMap      = "ingress.kubernetes.io/redirect-url-map"
	AnnIngressSSLCert             = "ingress.kubernetes.io/ssl-cert"
	AnnIngressStaticIP            = "ingress.kubernetes.io/static-ip"
)

// IngressResourceAnnotation is an annotation of an Ingress that names one
// Compute Engine resource, and that resource's collection.
type IngressResourceAnnotation struct {
	Key, Collection string
}

// IngressResourceAnnotations are the controller's annotations that name
// one frontend resource each.
var IngressResourceAnnotations = []IngressResourceAnnotation{
	{AnnIngressURLMap, "urlMaps"},
	{AnnIngressForwardingRule, "forwardingRules"},
	{AnnIngressHTTPSForwardingRule, "forwardingRules"},
	{AnnIngressTargetProxy, "targetHttpProxies"},
	{AnnIngressHTTPSTargetProxy, "targetHttpsProxies"},
}

// IngressForwardingRuleAnnotations name an Ingress's forwarding rules.
var IngressForwardingRuleAnnotations = []string{AnnIngressForwardingRule, AnnIngressHTTPSForwardingRule}

// IsIngressResourceAnnotation reports whether an Ingress annotation is one
// the controller writes about what it built.
func IsIngressResourceAnnotation(key string) bool {
	return strings.HasPrefix(key, AnnIngressPrefix)
}

// Annotations the GKE Gateway controller writes on a Gateway: the
// Compute Engine resources it built, as comma-separated paths carrying the
// project number (bare names on 2021-era Gateways).
const (
	AnnGatewayAddresses          = "networking.gke.io/addresses"
	AnnGatewayBackendServices    = "networking.gke.io/backend-services"
	AnnGatewayFirewalls          = "networking.gke.io/firewalls"
	AnnGatewayForwardingRules    = "networking.gke.io/forwarding-rules"
	AnnGatewayHealthChecks       = "networking.gke.io/health-checks"
	AnnGatewaySSLCertificates    = "networking.gke.io/ssl-certificates"
	AnnGatewayTargetHTTPProxies  = "networking.gke.io/target-http-proxies"
	AnnGatewayTargetHTTPSProxies = "networking.gke.io/target-https-proxies"
	AnnGatewayURLMaps            = "networking.gke.io/url-maps"
	AnnGatewayLastReconcile      = "networking.gke.io/last-reconcile-time"
)

// GatewayResourceAnnotations are the Gateway annotations that name
// Compute Engine resources.
var GatewayResourceAnnotations = []string{
	AnnGatewayURLMaps, AnnGatewayForwardingRules, AnnGatewayTargetHTTPProxies,
	AnnGatewayTargetHTTPSProxies, AnnGatewayBackendServices, AnnGatewayHealthChecks,
	AnnGatewayAddresses, AnnGatewaySSLCertificates, AnnGatewayFirewalls,
}

// Annotations the GKE Gateway controller reads.
const (
	// AnnGatewayCertMap on a Gateway names a Certificate Manager map.
	AnnGatewayCertMap = "networking.gke.io/certmap"
	// OptPreSharedCerts is the listener TLS option naming SslCertificates.
	OptPreSharedCerts = "networking.gke.io/pre-shared-certs"
)

// SplitList splits a comma-separated annotation of names or paths,
// trimming spaces and dropping empties, as the controllers do.
func SplitList(v string) []string {
	var out []string
	for _, n := range strings.Split(v, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// GatewayAnnotationPaths splits a networking.gke.io/* resource annotation
// of a Gateway: comma-separated paths carrying the project number, or bare
// names on 2021-era Gateways.
func GatewayAnnotationPaths(v string) []string { return SplitList(v) }
