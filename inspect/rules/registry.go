// Package rules is lbdiag's rule catalogue: All lists every rule, in the
// order of the catalogue, from the packages that hold them by family:
//
//   - ingress: Kubernetes objects and their annotations (Ingress, Service,
//     BackendConfig, FrontendConfig, ManagedCertificate, clusters);
//   - network: firewalls, subnets, addresses and quotas;
//   - lb: backend services, health checks, certificates, graceful
//     scale-down, L4 load balancers, GKE's load-balancer resources;
//   - gateway: the Gateway API on GKE (Gateways, routes, GKE's policies);
//   - events: what GKE's controllers report in Kubernetes events;
//   - config: lbdiag's own configuration (the ignore file).
//
// Each rule is declared in its own file, named after its ID
// (<family>/<rule_id>.go, "-" written "_"), with its table test beside it
// (<rule_id>_test.go); helpers a family shares live in topic files that
// declare no rule. core holds what several families share (lookups, the
// classifiers of controller messages and request logs); package gke holds
// GKE's vocabulary (annotations, descriptions, names). No family imports
// another. A new rule is one file pair and one line in All. Rules never do
// I/O.
package rules

import (
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/config"
	"github.com/lbdiag/lbdiag/inspect/rules/events"
	"github.com/lbdiag/lbdiag/inspect/rules/gateway"
	"github.com/lbdiag/lbdiag/inspect/rules/ingress"
	"github.com/lbdiag/lbdiag/inspect/rules/lb"
	"github.com/lbdiag/lbdiag/inspect/rules/network"
)

// All returns every rule, in catalogue order.
func All() []*inspect.Rule {
	return []*inspect.Rule{
		// Kubernetes objects against Compute Engine.
		ingress.BackendConfigMissing,
		ingress.SecurityPolicyMissing,
		network.ProxyOnlySubnetMissing,
		// Ingress and Service configuration.
		ingress.IngressServiceMissing,
		ingress.IngressServicePortMissing,
		ingress.IngressBackendNotService,
		ingress.BackendConfigAnnotationInvalid,
		ingress.FrontendConfigMissing,
		ingress.NEGAnnotationInvalid,
		ingress.ILBNEGAnnotationMissing,
		ingress.ILBFrontendConfigUnsupported,
		ingress.HealthCheckTimeoutExceedsInterval,
		ingress.IngressRuleWithoutHTTP,
		ingress.IngressDuplicateHost,
		ingress.AppProtocolsInvalid,
		ingress.ServiceTypeInvalid,
		ingress.AllowHTTPWithoutTLS,
		ingress.AllowHTTPUnparsable,
		ingress.IngressTLSSecretNameMissing,
		network.StaticIPMissing,
		network.StaticIPInUse,
		ingress.SecurityPolicyNotApplied,
		// Graceful scale-down with NEGs.
		lb.NEGDrainTimeoutUnset,
		lb.PreStopHookMissing,
		lb.PreStopShorterThanDrain,
		lb.TerminationGraceTooShort,
		// Traffic from Google's proxies and health checkers to the Pods.
		network.ProxyOnlyFirewallMissing,
		network.HealthCheckFirewallMissing,
		ingress.IGExternalTrafficLocal,
		// Load-balancer state and health.
		lb.BackendUnhealthy,
		lb.BackendLoggingDisabled,
		lb.LBResourceMissing,
		lb.LBResourceOrphaned,
		ingress.NEGMissing,
		lb.NEGEndpointDrift,
		lb.NEGReadinessGateStuck,
		// Certificates.
		ingress.ManagedCertificateMissing,
		ingress.ManagedCertificateNotActive,
		ingress.PreSharedCertMissing,
		lb.SSLCertificateNotActive,
		lb.CertificateDNSMismatch,
		lb.CertificateCAAForbids,
		lb.SSLCertificateUnattached,
		lb.TargetProxyCertificateMapOverrides,
		lb.HTTPSForwardingRulePort,
		// Health checks.
		lb.HealthCheckPortMismatch,
		lb.HealthCheckProtocolMismatch,
		ingress.ReadinessProbeHealthCheckMismatch,
		lb.HealthCheckLoggingDisabled,
		// Backend-service settings, for every load balancer of the project.
		lb.SessionAffinityUtilization,
		lb.SessionAffinityLocalityPolicy,
		lb.ConnectionDrainingDisabled,
		lb.BackendTimeoutTooLong,
		lb.InternalForwardingRuleGlobalAccess,
		lb.InstanceGroupDuplicateNamedPort,
		// LoadBalancer Services (passthrough load balancers).
		lb.L4ServicePending,
		lb.L4ForwardingRuleMissing,
		network.L4HealthCheckFirewallMissing,
		// Quotas and hygiene.
		network.QuotaLimit,
		network.AddressUnused,
		// Gateway API: every reference, statically, then what the
		// controller says.
		gateway.GatewayClassMissing,
		gateway.RouteParentMissing,
		gateway.RouteNotAllowed,
		gateway.RouteHostnameMismatch,
		gateway.RouteBackendMissing,
		gateway.RouteBackendNotPermitted,
		gateway.GatewayAddressMissing,
		gateway.GatewayCertificateMissing,
		gateway.GatewayPolicyTargetMissing,
		gateway.GatewaySecurityPolicyNotApplied,
		gateway.GatewayClassFeatureUnsupported,
		gateway.GatewayNotProgrammed,
		gateway.GatewayPolicyNotAttached,
		// Clusters.
		ingress.HTTPLBAddonDisabled,
		ingress.ClusterNotVPCNative,
		// Controller events.
		events.LBSyncError,
		events.L4SyncError,
		events.GatewaySyncError,
		events.FirewallChangeRequired,
		// Traffic (--logs, --metrics).
		lb.LBTrafficErrors,
		lb.LB5xxRate,
		// A second opinion (--network-analyzer).
		lb.NetworkAnalyzerInsight,
		// lbdiag's own configuration.
		config.SuppressionExpired,
	}
}
