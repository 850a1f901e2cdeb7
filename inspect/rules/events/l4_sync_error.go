package events

import (
	"regexp"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// l4Causes classify the messages of failed LoadBalancer Service syncs,
// from GKE's L4 controllers and the cloud provider's service controller;
// the first match wins. The texts inside are Compute Engine's errors,
// which the controllers quote.
var l4Causes = []syncCause{
	{Label: "internal forwarding-rule limit", patterns: []*regexp.Regexp{regexp.MustCompile(`(?i)INTERNAL_FORWARDING_RULES|internal .*forwarding rules? .*(limit|peering)|forwarding rules? per (VPC )?(network|peering group)`)},
		fix: "delete unused internal LoadBalancer Services and internal forwarding rules in this VPC and in the VPCs peered with it (the limit counts the whole peering group), or ask for a higher limit: cloud.google.com/vpc/docs/quota#vpc-peering"},
	{Label: "quota exhausted", Rule: "quota-limit", patterns: []*regexp.Regexp{regexp.MustCompile(`Quota '[A-Z_]+' exceeded`)}},
	{Label: "organization policy forbids this load balancer type", fragments: []string{"constraints/compute.restrictLoadBalancerCreationForTypes"},
		fix: "ask the organization's administrators to allow this load balancer type for the project (constraints/compute.restrictLoadBalancerCreationForTypes), or use the type the policy allows (internal instead of external)"},
	{Label: "dual-stack Service without an IPv6 range", patterns: []*regexp.Regexp{regexp.MustCompile(`(?i)ipv6[^.]*(not enabled|no ipv6|does not have|doesn't have|range|stack ?type)|(does not have|doesn't have|no) (an )?ipv6`)},
		fix: "give the subnet an IPv6 range (gcloud compute networks subnets update SUBNET --stack-type=IPV4_IPV6 --ipv6-access-type=EXTERNAL|INTERNAL --region REGION), or make the Service single-stack (spec.ipFamilyPolicy: SingleStack)"},
	{Label: "subnet of the wrong purpose", patterns: []*regexp.Regexp{regexp.MustCompile(`(?i)purpose[^.]*(REGIONAL_MANAGED_PROXY|INTERNAL_HTTPS_LOAD_BALANCER|GLOBAL_MANAGED_PROXY|PRIVATE_SERVICE_CONNECT|not (allowed|supported))|subnetwork[^.]*purpose`)},
		fix: "point networking.gke.io/internal-load-balancer-subnet at a regular (purpose PRIVATE) subnet of the cluster's VPC and region: proxy-only and Private Service Connect subnets cannot hold a passthrough load balancer's address"},
	{Label: "subnet not found", patterns: []*regexp.Regexp{regexp.MustCompile(`(?i)subnetworks/[^'"\s]+['"]? was not found|subnet(work)? [^.]* (was )?not found`)},
		fix: "correct networking.gke.io/internal-load-balancer-subnet to a subnet that exists in the cluster's VPC and region (gcloud compute networks subnets list --network VPC --regions REGION), or remove it"},
	{Label: "loadBalancerIP not reserved or in use", fragments: []string{"neither static nor assigned to the LB", "IP_IN_USE_BY_ANOTHER_RESOURCE", "is already being used by another resource", "Requested IP is not within the range", "Address with IP"},
		fix: "reserve the address first (gcloud compute addresses create NAME --addresses=IP --region REGION, with --subnet for internal ones), free it from what uses it, or remove spec.loadBalancerIP to get an ephemeral one"},
}

// isL4SyncFailure selects the Warning events of failed LoadBalancer
// Service syncs.
func isL4SyncFailure(e *corev1.Event) bool {
	if e.Type != corev1.EventTypeWarning || e.InvolvedObject.Kind != "Service" || e.Reason != "SyncLoadBalancerFailed" {
		return false
	}
	r := inventory.EventReporter(e)
	return r == inventory.ReporterService || r == inventory.ReporterLoadBalancer
}

// L4SyncError reports recent sync failures of LoadBalancer Services.
var L4SyncError = &inspect.Rule{
	ID:       "l4-sync-error",
	Severity: inspect.Error,
	Title:    "No LoadBalancer Service has a recent sync failure",
	Doc: inspect.Doc{
		Why:     `GKE builds a LoadBalancer Service's passthrough load balancer with the cloud provider's service-controller (external target-pool load balancers and older internal ones) or its own L4 controllers (GKE subsetting, backend-service-based external ones), which report failures as Warning SyncLoadBalancerFailed events on the Service ("Error syncing load balancer: failed to ensure load balancer: ..."). While they repeat the Service has no address, or an outdated load balancer. lbdiag classifies the known causes: the internal forwarding-rule limit of a VPC and its peering group, an exhausted quota, an organization policy, a dual-stack Service in a subnet without IPv6, a networking.gke.io/internal-load-balancer-subnet that does not exist or has the wrong purpose, a loadBalancerIP that is not reserved or is in use.`,
		Fix:     `Fix the cause the message names, then watch the events clear and the address appear: kubectl describe service NAME -n NS`,
		Sources: []string{"kubernetes/ingress-gce pkg/l4/controllers (SyncLoadBalancerFailed)", "kubernetes/cloud-provider-gcp providers/gce (service-controller texts)", "About LoadBalancer Services (cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer)", core.SrcTroubleshoot},
		URL:     "https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			classify := func(msg string) *syncCause { return classifyAmong(l4Causes, msg) }
			for _, g := range groupFailures(inv, cl, isL4SyncFailure, classify) {
				f := syncFinding(cl, g.obj, g.cause, g.events)
				if f.AttachTo == nil {
					// A Service still without an address: the events are
					// the evidence of l4-service-pending's finding.
					f.AttachTo = &inspect.Attachment{Rule: "l4-service-pending", Resource: g.obj}
				}
				if g.cause != nil && g.cause.Rule == "quota-limit" {
					f.AttachTo = nil // the quota finding is the project's, not the Service's
				}
				p.Report(f)
			}
		}
	},
}
