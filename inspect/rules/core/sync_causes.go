package core

import (
	"regexp"
	"strings"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// The controllers' messages are matched by stable fragments of their text,
// as GKE's controllers and Compute Engine write them. A fragment may quote
// an annotation key, because the controller's message does (the one place
// outside package gke where a key is spelled: it is the controller's text,
// not lbdiag's lookup).

// SyncCause is a known cause of a controller's sync failure.
type SyncCause struct {
	Label string
	// Rule explains the cause, when lbdiag has one.
	Rule string
	// Fragments are stable inner parts of the message (any matches);
	// patterns match where a fragment cannot.
	Fragments []string
	Patterns  []*regexp.Regexp
	// Subject finds the resource the explaining rule reports on, given the
	// event's object; nil means the event's object itself.
	Subject func(cl *inventory.Cluster, obj inspect.Resource, msg string) (inspect.Resource, bool)
	Fix     string
}

var quotedService = regexp.MustCompile(`service "([^"/]+)/([^"]+)"`)

// serviceInMessage is the Service the message quotes as "ns/name".
func serviceInMessage(cl *inventory.Cluster, obj inspect.Resource, msg string) (inspect.Resource, bool) {
	m := quotedService.FindStringSubmatch(msg)
	if m == nil {
		return inspect.Resource{}, false
	}
	r := obj
	r.Kind, r.Namespace, r.Name = "Service", m[1], m[2]
	return r, true
}

var quotedPolicy = regexp.MustCompile(`(?:security policy from "[^"]*" to "([^"]+)"|security policy "([^"]+)" does not exist)`)

// backendConfigWithPolicy is the BackendConfig, in the object's namespace,
// naming the policy the message quotes.
func backendConfigWithPolicy(cl *inventory.Cluster, obj inspect.Resource, msg string) (inspect.Resource, bool) {
	m := quotedPolicy.FindStringSubmatch(msg)
	if m == nil {
		return inspect.Resource{}, false
	}
	policy := m[1] + m[2]
	for _, bc := range cl.BackendConfigs {
		if bc.Namespace == obj.Namespace && bc.Spec.SecurityPolicy != nil && bc.Spec.SecurityPolicy.Name == policy {
			r := obj
			r.Kind, r.Name = "BackendConfig", bc.Name
			return r, true
		}
	}
	return inspect.Resource{}, false
}

// serviceWithoutILBNEG is the first Service of the Ingress whose NEG
// annotation lacks "ingress": true.
func serviceWithoutILBNEG(cl *inventory.Cluster, obj inspect.Resource, msg string) (inspect.Resource, bool) {
	for i := range cl.Ingresses {
		ing := &cl.Ingresses[i]
		if ing.Namespace != obj.Namespace || ing.Name != obj.Name {
			continue
		}
		for _, b := range BackendsOf(ing) {
			if svc := FindService(cl, ing.Namespace, b.Service.Name); svc != nil {
				if a, set, err := gke.ParseNEG(svc); err == nil && !(set && a.Ingress) {
					r := obj
					r.Kind, r.Name = "Service", svc.Name
					return r, true
				}
			}
		}
	}
	return inspect.Resource{}, false
}

// SyncCauses classify the Ingress, NEG and Gateway controllers' messages; the first match wins.
var SyncCauses = []SyncCause{
	{Label: "BackendConfig not found", Rule: "backendconfig-missing", Fragments: []string{"no BackendConfig for service port exists"}, Subject: serviceInMessage},
	{Label: "BackendConfig annotation malformed", Rule: "backendconfig-annotation-invalid", Fragments: []string{"BackendConfig annotation is invalid json", "no BackendConfig's found in annotation"}, Subject: serviceInMessage},
	{Label: "Cloud Armor policy on a regional load balancer", Fragments: []string{"security policies not supported for Regional"},
		Fix: "remove spec.securityPolicy from the BackendConfig: GKE attaches Cloud Armor policies only to global (gce) load balancers"},
	{Label: "Cloud Armor security policy missing", Rule: "security-policy-missing", Fragments: []string{"security policy", "securityPolicies"}, Subject: backendConfigWithPolicy},
	{Label: "proxy-only subnet missing", Rule: "proxy-only-subnet-missing", Fragments: []string{"proxy-only subnetwork is required", "A reserved and active subnetwork is required"}},
	{Label: "static IP in use", Rule: "static-ip-in-use", Fragments: []string{"Specified IP address is in-use", "IP_IN_USE_BY_ANOTHER_RESOURCE"}},
	{Label: "static IP not found", Rule: "static-ip-missing", Fragments: []string{"doesn't translate to an existing static IP"}},
	{Label: "HTTP disabled without TLS", Rule: "allow-http-without-tls", Fragments: []string{"both HTTP and HTTPS are disabled", "usage of the 'kubernetes.io/ingress.allow-http' annotation"}},
	{Label: "TLS entry without secretName", Rule: "ingress-tls-secret-name-missing", Fragments: []string{`secret "" does not exist`}},
	{Label: "TLS secret missing", Fragments: []string{"secrets \"", "Could not find TLS certificate", "does not specify cert as string data", "does not specify private key as string data"},
		Fix: "create the TLS secret (keys tls.crt and tls.key) in the Ingress's namespace, or correct spec.tls[].secretName"},
	{Label: "NEG not found", Rule: "ilb-neg-annotation-missing", Fragments: []string{"networkEndpointGroups/"}, Subject: serviceWithoutILBNEG},
	{Label: "Service not found", Rule: "ingress-service-missing", Fragments: []string{"could not find service"}},
	{Label: "Service port not found", Rule: "ingress-service-port-missing", Fragments: []string{"could not find port"}},
	{Label: "Service type invalid", Rule: "service-type-invalid", Fragments: []string{`expected "NodePort" or "LoadBalancer"`}, Subject: serviceInMessage},
	{Label: "app-protocols annotation invalid", Rule: "app-protocols-invalid", Fragments: []string{"invalid port application protocol"}, Subject: serviceInMessage},
	{Label: "FrontendConfig not found", Rule: "frontendconfig-missing", Fragments: []string{"no FrontendConfig for Ingress exists"}},
	{Label: "NEG annotation invalid", Rule: "neg-annotation-invalid", Fragments: []string{`specified in "cloud.google.com/neg" doesn't exist`, "NEG annotation is invalid"}},
	{Label: "invalid path", Fragments: []string{"failed to validate prefix path", "failed to validate exact path", "invalid wildcard", "unsupported path type", "Ingress Backend is not a service"},
		Fix: "correct the path: Prefix and Exact paths may not contain *, and every backend must be a Service"},
}

// L4SyncCauses classify the messages of failed LoadBalancer Service syncs,
// from GKE's L4 controllers and the cloud provider's service controller;
// the first match wins. The texts inside are Compute Engine's errors,
// which the controllers quote.
var L4SyncCauses = []SyncCause{
	{Label: "internal forwarding-rule limit", Patterns: []*regexp.Regexp{regexp.MustCompile(`(?i)INTERNAL_FORWARDING_RULES|internal .*forwarding rules? .*(limit|peering)|forwarding rules? per (VPC )?(network|peering group)`)},
		Fix: "delete unused internal LoadBalancer Services and internal forwarding rules in this VPC and in the VPCs peered with it (the limit counts the whole peering group), or ask for a higher limit: cloud.google.com/vpc/docs/quota#vpc-peering"},
	{Label: "quota exhausted", Rule: "quota-limit", Patterns: []*regexp.Regexp{regexp.MustCompile(`Quota '[A-Z_]+' exceeded`)}},
	{Label: "organization policy forbids this load balancer type", Fragments: []string{"constraints/compute.restrictLoadBalancerCreationForTypes"},
		Fix: "ask the organization's administrators to allow this load balancer type for the project (constraints/compute.restrictLoadBalancerCreationForTypes), or use the type the policy allows (internal instead of external)"},
	{Label: "dual-stack Service without an IPv6 range", Patterns: []*regexp.Regexp{regexp.MustCompile(`(?i)ipv6[^.]*(not enabled|no ipv6|does not have|doesn't have|range|stack ?type)|(does not have|doesn't have|no) (an )?ipv6`)},
		Fix: "give the subnet an IPv6 range (gcloud compute networks subnets update SUBNET --stack-type=IPV4_IPV6 --ipv6-access-type=EXTERNAL|INTERNAL --region REGION), or make the Service single-stack (spec.ipFamilyPolicy: SingleStack)"},
	{Label: "subnet of the wrong purpose", Patterns: []*regexp.Regexp{regexp.MustCompile(`(?i)purpose[^.]*(REGIONAL_MANAGED_PROXY|INTERNAL_HTTPS_LOAD_BALANCER|GLOBAL_MANAGED_PROXY|PRIVATE_SERVICE_CONNECT|not (allowed|supported))|subnetwork[^.]*purpose`)},
		Fix: "point networking.gke.io/internal-load-balancer-subnet at a regular (purpose PRIVATE) subnet of the cluster's VPC and region: proxy-only and Private Service Connect subnets cannot hold a passthrough load balancer's address"},
	{Label: "subnet not found", Patterns: []*regexp.Regexp{regexp.MustCompile(`(?i)subnetworks/[^'"\s]+['"]? was not found|subnet(work)? [^.]* (was )?not found`)},
		Fix: "correct networking.gke.io/internal-load-balancer-subnet to a subnet that exists in the cluster's VPC and region (gcloud compute networks subnets list --network VPC --regions REGION), or remove it"},
	{Label: "loadBalancerIP not reserved or in use", Fragments: []string{"neither static nor assigned to the LB", "IP_IN_USE_BY_ANOTHER_RESOURCE", "is already being used by another resource", "Requested IP is not within the range", "Address with IP"},
		Fix: "reserve the address first (gcloud compute addresses create NAME --addresses=IP --region REGION, with --subnet for internal ones), free it from what uses it, or remove spec.loadBalancerIP to get an ephemeral one"},
}

// Classify returns the cause of a controller message, or nil.
func Classify(msg string) *SyncCause {
	return classifyAmong(SyncCauses, msg)
}

func classifyAmong(causes []SyncCause, msg string) *SyncCause {
	for i := range causes {
		for _, f := range causes[i].Fragments {
			if strings.Contains(msg, f) {
				return &causes[i]
			}
		}
		for _, re := range causes[i].Patterns {
			if re.MatchString(msg) {
				return &causes[i]
			}
		}
	}
	return nil
}

// ClassifyL4 returns the cause of a LoadBalancer Service sync failure, or
// nil.
func ClassifyL4(msg string) *SyncCause {
	return classifyAmong(L4SyncCauses, msg)
}

var quotedRoute = regexp.MustCompile(`(HTTPRoute|GRPCRoute) \\?"([^"/\\]+)/([^"\\]+)\\?"`)

// routeInMessage is the route the GKE Gateway controller's message quotes
// as `HTTPRoute "ns/name"`.
func routeInMessage(cl *inventory.Cluster, obj inspect.Resource, msg string) (inspect.Resource, bool) {
	m := quotedRoute.FindStringSubmatch(msg)
	if m == nil {
		return inspect.Resource{}, false
	}
	r := obj
	r.Kind, r.Namespace, r.Name = m[1], m[2], m[3]
	return r, true
}

// GatewaySyncCauses classify the GKE Gateway controller's errors (GWCER
// codes, and Compute Engine errors quoted after "gceSync:"); the first
// match wins, then SyncCauses.
var GatewaySyncCauses = []SyncCause{
	{Label: "backend Service not found", Rule: "route-backend-missing", Patterns: []*regexp.Regexp{regexp.MustCompile(`GWCER102: services? \S+ not found`)}, Subject: routeInMessage},
	{Label: "TLS Secret not found", Fragments: []string{"GWCER102: Secret"},
		Fix: "create the TLS Secret (type kubernetes.io/tls) the listener's tls.certificateRefs names, in its namespace (with a ReferenceGrant from the Gateway's namespace when it is another), or correct certificateRefs"},
	{Label: "no NEG for the Service port", Rule: "route-backend-missing", Fragments: []string{"GWCER103"}, Subject: routeInMessage},
	{Label: "route feature the class does not support", Rule: "gateway-class-feature-unsupported",
		Patterns: []*regexp.Regexp{regexp.MustCompile(`GWCER104.*(not supported|does not support|Paths must start with)`)}, Subject: routeInMessage},
	{Label: "certificate reference with a group", Fragments: []string{"in the certificate reference"},
		Fix: "omit tls.certificateRefs[].group (or set it to \"\"): GKE refuses group core"},
	{Label: "pre-shared certificate not found", Rule: "gateway-certificate-missing", Patterns: []*regexp.Regexp{regexp.MustCompile(`SslCertificate "[^"]*" does not exist`)}},
	{Label: "no certificate for HTTPS", Rule: "gateway-certificate-missing", Fragments: []string{"no certificates specified for protocol HTTPS"}},
	{Label: "certificate map not found", Rule: "gateway-certificate-missing", Fragments: []string{"of type 'CertificateMap' was not found"}},
	{Label: "address not found", Rule: "gateway-address-missing", Patterns: []*regexp.Regexp{regexp.MustCompile(`address "[^"]*" does not exist`)}},
	{Label: "address type unsupported", Rule: "gateway-address-missing", Fragments: []string{"unsupported address type"}},
	{Label: "GatewayClass not implemented", Rule: "gateway-class-missing", Patterns: []*regexp.Regexp{regexp.MustCompile(`gateway class \S+ is not implemented`)}},
	{Label: "Gateway annotation misconfigured", Fragments: []string{"GWCER101"},
		Fix: "correct the networking.gke.io annotation of the Gateway that the message names (its key or its value)"},
	{Label: "route misconfigured", Fragments: []string{"GWCER104"},
		Fix: "kubectl describe httproute ROUTE -n NS   # fix what the GWCER104 message names: one rejected route stops the Gateway's other routes from updating"},
}

// ClassifyGateway returns the cause of a GKE Gateway controller message,
// or nil.
func ClassifyGateway(msg string) *SyncCause {
	if c := classifyAmong(GatewaySyncCauses, msg); c != nil {
		return c
	}
	return Classify(msg)
}

// RouteConditionRules map the reasons of a route's Accepted and
// ResolvedRefs conditions to the rule that decides them statically.
var RouteConditionRules = map[string]string{
	"NoMatchingParent":           "route-parent-missing",
	"NotAllowedByListeners":      "route-not-allowed",
	"NoMatchingListenerHostname": "route-hostname-mismatch",
	"BackendNotFound":            "route-backend-missing",
	"RefNotPermitted":            "route-backend-not-permitted",
}

// Explain adds to a finding on obj what the cause of the controller
// message msg tells: the cause in its evidence and message, and either the
// cause's fix or, when a rule decides that cause, an attachment to that
// rule's finding (on the object the message names, else obj).
func Explain(f *inspect.Finding, cl *inventory.Cluster, obj inspect.Resource, msg string, cause *SyncCause) {
	if cause == nil {
		return
	}
	f.Evidence["cause"] = cause.Label
	f.Message += " — cause: " + cause.Label
	if cause.Rule == "" {
		if cause.Fix != "" {
			f.Remediation = cause.Fix
		}
		return
	}
	f.Message += " (rule " + cause.Rule + ")"
	f.Evidence["explainedBy"] = cause.Rule
	f.Remediation = "fix the " + cause.Label + ": lbdiag explain " + cause.Rule
	target := obj
	if cause.Subject != nil {
		if t, ok := cause.Subject(cl, obj, msg); ok {
			target = t
		}
	}
	f.AttachTo = &inspect.Attachment{Rule: cause.Rule, Resource: target}
}
