package events

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

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
	Needs:    []inventory.Source{inventory.KubeEvents},
	Title:    "No LoadBalancer Service has a recent sync failure",
	Doc: inspect.Doc{
		Why:     `GKE builds a LoadBalancer Service's passthrough load balancer with the cloud provider's service-controller (external target-pool load balancers and older internal ones) or its own L4 controllers (GKE subsetting, backend-service-based external ones), which report failures as Warning SyncLoadBalancerFailed events on the Service ("Error syncing load balancer: failed to ensure load balancer: ..."). While they repeat the Service has no address, or an outdated load balancer. lbdiag classifies the known causes: the internal forwarding-rule limit of a VPC and its peering group, an exhausted quota, an organization policy, a dual-stack Service in a subnet without IPv6, a networking.gke.io/internal-load-balancer-subnet that does not exist or has the wrong purpose, a loadBalancerIP that is not reserved or is in use.`,
		Fix:     `Fix the cause the message names, then watch the events clear and the address appear: kubectl describe service NAME -n NS`,
		Sources: []string{"kubernetes/ingress-gce pkg/l4/controllers (SyncLoadBalancerFailed)", "kubernetes/cloud-provider-gcp providers/gce (service-controller texts)", "About LoadBalancer Services (cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer)", core.SrcTroubleshoot},
		URL:     "https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer",
	},
	Check: func(p *inspect.Pass) {
		for _, cl := range p.Inventory.Clusters {
			groups, read := groupFailures(p, cl, isL4SyncFailure, core.ClassifyL4)
			if read {
				judgeL4Services(p, cl)
			}
			for _, g := range groups {
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
