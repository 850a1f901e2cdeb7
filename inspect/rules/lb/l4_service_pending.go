package lb

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// L4ServicePending reports LoadBalancer Services without an address.
var L4ServicePending = &inspect.Rule{
	ID:       "l4-service-pending",
	Severity: inspect.Error,
	Needs:    []inventory.Source{inventory.KubeEvents},
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
		for _, s := range core.L4Services(p) {
			res := core.KubeResource(s.Cl, "Service", s.Svc.ObjectMeta)
			if len(s.Svc.Status.LoadBalancer.Ingress) > 0 {
				p.Judge(res)
				continue
			}
			if s.Svc.CreationTimestamp.IsZero() {
				continue // its age is unknown
			}
			p.Judge(res)
			age := inv.CollectedAt.Sub(s.Svc.CreationTimestamp.Time)
			if age < l4Pending {
				continue // still within the time GKE takes
			}
			ev := map[string]any{"type": l4Kind(s), "creationTimestamp": s.Svc.CreationTimestamp.UTC().Format(time.RFC3339), "status.loadBalancer.ingress": []string{}}
			msg := fmt.Sprintf("LoadBalancer Service %s/%s (%s) has had no address for %s: GKE has not built its load balancer", s.Svc.Namespace, s.Svc.Name, l4Kind(s), core.HumanDuration(age))
			if last := lastL4Failure(inv, s.Cl, s.Svc); last != "" {
				ev["lastFailure"] = last
				msg += "; the controller's last message: " + last
			}
			p.Report(inspect.Finding{
				Message:     msg,
				Resource:    res,
				Evidence:    ev,
				Remediation: fmt.Sprintf("kubectl describe service %s -n %s   # fix what the SyncLoadBalancerFailed events name (lbdiag explain l4-sync-error)", s.Svc.Name, s.Svc.Namespace),
			})
		}
	},
}

// l4Pending is how long a LoadBalancer Service may wait for its address
// before lbdiag calls it stuck: GKE builds a passthrough load balancer in
// a minute or two.
const l4Pending = 10 * time.Minute

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
