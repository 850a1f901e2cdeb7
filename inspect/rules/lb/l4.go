package lb

import (
	"fmt"
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

const docL4 = "https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer"

// l4Pending is how long a LoadBalancer Service may wait for its address
// before lbdiag calls it stuck: GKE builds a passthrough load balancer in
// a minute or two.
const l4Pending = 10 * time.Minute

// l4ServiceRef is a LoadBalancer Service and its cluster.
type l4ServiceRef struct {
	cl  *inventory.Cluster
	svc *corev1.Service
}

// l4ServicesByIP maps the IPv4 addresses of GKE LoadBalancer Services to
// them.
func l4ServicesByIP(inv *inventory.Inventory) map[string]l4ServiceRef {
	out := map[string]l4ServiceRef{}
	for _, s := range core.L4Services(inv) {
		for _, ip := range core.LBIngressIPs(s.Svc) {
			out[ip] = l4ServiceRef{cl: s.Cl, svc: s.Svc}
		}
	}
	return out
}

func l4Kind(s core.L4Service) string {
	if s.Internal {
		return "internal"
	}
	return "external"
}

// lastL4Failure is the newest SyncLoadBalancerFailed message about a
// Service, if the cluster's events were read.
func lastL4Failure(inv *inventory.Inventory, cl *inventory.Cluster, svc *corev1.Service) string {
	if !inv.Known(inventory.KubeEvents, cl.Scope()) {
		return ""
	}
	msg := ""
	for i := range cl.Events { // oldest first
		e := &cl.Events[i]
		if e.Reason == "SyncLoadBalancerFailed" && e.InvolvedObject.Kind == "Service" && e.InvolvedObject.Namespace == svc.Namespace && e.InvolvedObject.Name == svc.Name {
			msg = e.Message
		}
	}
	return msg
}

// L4ServicePending reports LoadBalancer Services without an address.
var L4ServicePending = &inspect.Rule{
	ID:       "l4-service-pending",
	Severity: inspect.Error,
	Title:    "Every LoadBalancer Service has its load balancer's address",
	Doc: inspect.Doc{
		Why:     `For a Service of type LoadBalancer, GKE builds a passthrough Network Load Balancer (forwarding rule, backend service or target pool, health check, firewall rules) and writes its address into status.loadBalancer.ingress, usually within a minute or two. A Service still without an address after that ("EXTERNAL-IP <pending>") has no load balancer: the controller failed, and says why in the Service's events (see l4-sync-error), most often a quota or the internal forwarding-rule limit, a loadBalancerIP that is not reserved or is in use, a subnet that does not exist or has the wrong purpose, or a dual-stack Service in a subnet without IPv6.`,
		Fix:     `kubectl describe service NAME -n NS, fix what the SyncLoadBalancerFailed events name, and watch the address appear: kubectl get service NAME -n NS -w`,
		Sources: []string{"About LoadBalancer Services (" + docL4 + ")", "kubernetes/ingress-gce pkg/l4/controllers (SyncLoadBalancerFailed events)"},
		URL:     docL4,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if inv.CollectedAt.IsZero() {
			return
		}
		for _, s := range core.L4Services(inv) {
			if len(s.Svc.Status.LoadBalancer.Ingress) > 0 || s.Svc.CreationTimestamp.IsZero() {
				continue
			}
			age := inv.CollectedAt.Sub(s.Svc.CreationTimestamp.Time)
			if age < l4Pending {
				continue
			}
			ev := map[string]any{"type": l4Kind(s), "creationTimestamp": s.Svc.CreationTimestamp.UTC().Format(time.RFC3339), "status.loadBalancer.ingress": []string{}}
			msg := fmt.Sprintf("LoadBalancer Service %s/%s (%s) has had no address for %s: GKE has not built its load balancer", s.Svc.Namespace, s.Svc.Name, l4Kind(s), humanDuration(age))
			if last := lastL4Failure(inv, s.Cl, s.Svc); last != "" {
				ev["lastFailure"] = last
				msg += "; the controller's last message: " + last
			}
			p.Report(inspect.Finding{
				Message:     msg,
				Resource:    core.KubeResource(s.Cl, "Service", s.Svc.ObjectMeta),
				Evidence:    ev,
				Remediation: fmt.Sprintf("kubectl describe service %s -n %s   # fix what the SyncLoadBalancerFailed events name (lbdiag explain l4-sync-error)", s.Svc.Name, s.Svc.Namespace),
			})
		}
	},
}

// L4ForwardingRuleMissing reports LoadBalancer Services whose address no
// forwarding rule holds.
var L4ForwardingRuleMissing = &inspect.Rule{
	ID:       "l4-forwarding-rule-missing",
	Severity: inspect.Error,
	Title:    "Every LoadBalancer Service's address belongs to a forwarding rule",
	Doc: inspect.Doc{
		Why:     `A LoadBalancer Service's status.loadBalancer.ingress is the address of the forwarding rule GKE made for it. When no forwarding rule of the cluster's project has that address, the load balancer was deleted behind GKE's back (by hand, by a script cleaning up "unused" resources, by Terraform) or is being rebuilt: traffic to the address goes nowhere, while Kubernetes still shows the address.`,
		Fix:     `Make GKE rebuild it: kubectl annotate service NAME -n NS lbdiag.dev/resync="$(date +%s)" --overwrite (any change to the Service triggers a sync), then check: gcloud compute forwarding-rules list --filter="IPAddress=IP"`,
		Sources: []string{"About LoadBalancer Services (" + docL4 + ")", "GKE's naming and descriptions of L4 resources (facts reference: {\"networking.gke.io/service-name\":...})"},
		URL:     docL4,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !inv.Known(inventory.ComputeForwardingRules, inventory.ProjectScope(inv.Project)) {
			return
		}
		ips := map[string]bool{}
		for _, fr := range inv.Compute.ForwardingRules {
			ips[fr.IPAddress] = true
		}
		for _, s := range core.L4Services(inv) {
			if s.Cl.Project != inv.Project {
				continue
			}
			for _, ip := range core.LBIngressIPs(s.Svc) {
				if a, err := netip.ParseAddr(ip); err != nil || !a.Is4() || ips[ip] {
					continue
				}
				p.Report(inspect.Finding{
					Key: ip,
					Message: fmt.Sprintf("LoadBalancer Service %s/%s (%s) has address %s, but no forwarding rule of project %s has it: traffic to %s goes nowhere",
						s.Svc.Namespace, s.Svc.Name, l4Kind(s), ip, inv.Project, ip),
					Resource:    core.KubeResource(s.Cl, "Service", s.Svc.ObjectMeta),
					Evidence:    map[string]any{"status.loadBalancer.ingress": core.LBIngressIPs(s.Svc), "forwardingRules": len(inv.Compute.ForwardingRules)},
					Remediation: fmt.Sprintf(`kubectl annotate service %s -n %s lbdiag.dev/resync="$(date +%%s)" --overwrite   # any change makes GKE sync and rebuild the load balancer`, s.Svc.Name, s.Svc.Namespace),
				})
			}
		}
	},
}
