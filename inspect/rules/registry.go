// Package rules holds lbdiag's rules and the registry that lists them. Each
// rule is a declared inspect.Rule value; helpers shared by several rules
// live in their own files (ingress.go, service.go, workload.go, ...).
package rules

import "github.com/lbdiag/lbdiag/inspect"

// All returns every rule, in catalogue order.
func All() []*inspect.Rule {
	return []*inspect.Rule{
		// Kubernetes objects against Compute Engine.
		BackendConfigMissing,
		SecurityPolicyMissing,
		ProxyOnlySubnetMissing,
		// Ingress and Service configuration.
		IngressServiceMissing,
		IngressServicePortMissing,
		IngressBackendNotService,
		BackendConfigAnnotationInvalid,
		FrontendConfigMissing,
		NEGAnnotationInvalid,
		ILBNEGAnnotationMissing,
		ILBFrontendConfigUnsupported,
		HealthCheckTimeoutExceedsInterval,
		IngressRuleWithoutHTTP,
		IngressDuplicateHost,
		AppProtocolsInvalid,
		ServiceTypeInvalid,
		AllowHTTPWithoutTLS,
		AllowHTTPUnparsable,
		IngressTLSSecretNameMissing,
		StaticIPMissing,
		StaticIPInUse,
		SecurityPolicyNotApplied,
		// Graceful scale-down with NEGs.
		NEGDrainTimeoutUnset,
		PreStopHookMissing,
		PreStopShorterThanDrain,
		TerminationGraceTooShort,
		// Traffic from Google's proxies and health checkers to the Pods.
		ProxyOnlyFirewallMissing,
		HealthCheckFirewallMissing,
		IGExternalTrafficLocal,
		// Load-balancer state and health.
		BackendUnhealthy,
		BackendLoggingDisabled,
		LBResourceMissing,
		LBResourceOrphaned,
		NEGMissing,
		// Gateway API.
		GatewayNotProgrammed,
		GatewayPolicyNotAttached,
		// Clusters.
		HTTPLBAddonDisabled,
		ClusterNotVPCNative,
		// Controller events.
		LBSyncError,
	}
}
