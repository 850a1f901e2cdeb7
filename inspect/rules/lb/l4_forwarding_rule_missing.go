package lb

import (
	"fmt"
	"net/netip"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// L4ForwardingRuleMissing reports LoadBalancer Services whose address no
// forwarding rule holds.
var L4ForwardingRuleMissing = &inspect.Rule{
	ID:           "l4-forwarding-rule-missing",
	Severity:     inspect.Error,
	WholeProject: true,
	Title:        "Every LoadBalancer Service's address belongs to a forwarding rule",
	Doc: inspect.Doc{
		Why:     `A LoadBalancer Service's status.loadBalancer.ingress is the address of the forwarding rule GKE made for it. When no forwarding rule of the cluster's project has that address, the load balancer was deleted behind GKE's back (by hand, by a script cleaning up "unused" resources, by Terraform) or is being rebuilt: traffic to the address goes nowhere, while Kubernetes still shows the address.`,
		Fix:     `Make GKE rebuild it: kubectl annotate service NAME -n NS lbdiag.dev/resync="$(date +%s)" --overwrite (any change to the Service triggers a sync), then check: gcloud compute forwarding-rules list --filter="IPAddress=IP"`,
		Sources: []string{"About LoadBalancer Services (" + docL4 + ")", "GKE's naming and descriptions of L4 resources (facts reference: {\"networking.gke.io/service-name\":...})"},
		URL:     docL4,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !p.Known(inventory.ComputeForwardingRules, inventory.ProjectScope(inv.Project)) {
			return
		}
		ips := map[string]bool{}
		for _, fr := range inv.Compute.ForwardingRules {
			ips[fr.IPAddress] = true
		}
		for _, s := range core.L4Services(p) {
			if s.Cl.Project != inv.Project {
				continue
			}
			res := core.KubeResource(s.Cl, "Service", s.Svc.ObjectMeta)
			for _, ip := range core.LBIngressIPs(s.Svc) {
				if a, err := netip.ParseAddr(ip); err != nil || !a.Is4() {
					continue
				}
				p.Judge(res) // it has an IPv4 address to look for
				if ips[ip] {
					continue
				}
				p.Report(inspect.Finding{
					Key: ip,
					Message: fmt.Sprintf("LoadBalancer Service %s/%s (%s) has address %s, but no forwarding rule of project %s has it: traffic to %s goes nowhere",
						s.Svc.Namespace, s.Svc.Name, l4Kind(s), ip, inv.Project, ip),
					Resource:    res,
					Evidence:    map[string]any{"status.loadBalancer.ingress": core.LBIngressIPs(s.Svc), "forwardingRules": len(inv.Compute.ForwardingRules)},
					Remediation: fmt.Sprintf(`kubectl annotate service %s -n %s lbdiag.dev/resync="$(date +%%s)" --overwrite   # any change makes GKE sync and rebuild the load balancer`, s.Svc.Name, s.Svc.Namespace),
				})
			}
		}
	},
}
