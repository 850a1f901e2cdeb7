package lb

import (
	"fmt"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// InternalForwardingRuleGlobalAccess reports internal forwarding rules
// without global access that clients in other regions are shown to use.
var InternalForwardingRuleGlobalAccess = &inspect.Rule{
	ID:       "internal-forwarding-rule-global-access",
	Severity: inspect.Info,
	Title:    "Internal load balancers that clients in other regions use allow global access",
	Doc: inspect.Doc{
		Why:     `An internal load balancer's forwarding rule answers only clients in its own region unless allowGlobalAccess is true; connections from other regions of the VPC (or of peered VPCs) time out. lbdiag reports it only with evidence that such clients exist: a Kubernetes Service in a cluster of another region whose endpoints are the forwarding rule's address (a selector-less Service pointing at the load balancer). gcpdiag flags every regional internal forwarding rule without global access; lbdiag does not, because a regional load balancer is often meant to be regional.`,
		Fix:     `gcloud compute forwarding-rules update FR --region REGION --allow-global-access. For a GKE internal LoadBalancer Service, set the annotation networking.gke.io/internal-load-balancer-allow-global-access: "true"; for a gce-internal Ingress or an internal Gateway, a FrontendConfig or GCPGatewayPolicy with allowGlobalAccess.`,
		Sources: []string{"Internal passthrough Network Load Balancer: global access (cloud.google.com/load-balancing/docs/internal#client_access)", "gcpdiag lb/BP/2024_002"},
		URL:     "https://cloud.google.com/load-balancing/docs/internal#client_access",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !p.Known(inventory.ComputeForwardingRules, inventory.ProjectScope(inv.Project)) {
			return
		}
		for _, fr := range inv.Compute.ForwardingRules {
			if fr.Region == "" || fr.IPAddress == "" || (fr.LoadBalancingScheme != "INTERNAL" && fr.LoadBalancingScheme != "INTERNAL_MANAGED") {
				continue
			}
			res := core.ResourceOf("ForwardingRule", fr.SelfLink)
			if fr.AllowGlobalAccess {
				p.Judge(res)
				continue
			}
			region := inventory.LastSegment(fr.Region)
			var clients []string
			unread := false // a cluster that could hold clients was not read
			for _, cl := range inv.Clusters {
				if cl.Region() == region || !inventory.SameResource(cl.NetworkURL(), fr.Network) {
					continue
				}
				if !p.Known(inventory.KubeEndpointSlices, cl.Scope()) {
					unread = true
					continue
				}
				for _, es := range cl.EndpointSlices {
					for _, ep := range es.Endpoints {
						if core.Contains(ep.Addresses, fr.IPAddress) {
							svc := es.Labels[discoveryv1.LabelServiceName]
							clients = append(clients, fmt.Sprintf("Service %s/%s in cluster %s/%s (region %s)", es.Namespace, core.OrDash(svc), cl.Location(), cl.Name(), cl.Region()))
						}
					}
				}
			}
			if len(clients) == 0 {
				if !unread {
					p.Judge(res)
				}
				continue
			}
			clients = core.SortedUnique(clients)
			fix := fmt.Sprintf("gcloud compute forwarding-rules update %s --region %s --allow-global-access --project %s", fr.Name, region, inventory.ProjectOf(fr.SelfLink))
			if svc := gke.ServiceOfDescription(fr.Description); svc != "" {
				ns, name, _ := strings.Cut(svc, "/")
				fix = fmt.Sprintf(`kubectl annotate service %s -n %s networking.gke.io/internal-load-balancer-allow-global-access="true" --overwrite   # in the cluster that owns the Service`, name, ns)
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("Internal forwarding rule %s (%s, region %s) does not allow global access, but %s %s it from another region: those connections time out",
					fr.Name, fr.IPAddress, region, strings.Join(clients, ", "), agree(len(clients), "sends to", "send to")),
				Resource:    res,
				Evidence:    map[string]any{"allowGlobalAccess": false, "IPAddress": fr.IPAddress, "clients": clients},
				Remediation: fix,
			})
		}
	},
}
