package network

import (
	"fmt"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/firewall"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// ProxyOnlyFirewallMissing reports Envoy-based load balancers whose proxies
// cannot reach the Pods.
var ProxyOnlyFirewallMissing = &inspect.Rule{
	ID:       "proxy-only-firewall-missing",
	Severity: inspect.Error,
	// getHealth names the instances behind backend services GKE did not
	// build.
	Needs: []inventory.Source{inventory.ComputeEffectiveFirewalls, inventory.ComputeBackendHealth},
	Title: "The proxy-only subnet of every internal or regional Ingress, Gateway and Envoy-based load balancer can reach its backends' port",
	Doc: inspect.Doc{
		Why: `Internal and regional external Application Load Balancers (Ingress classes gce-internal and gce-regional-external, regional Gateways) send requests from Envoy proxies whose addresses come from the region's proxy-only subnet. Unless the VPC's firewall admits that range on the Pods' port (the Service's targetPort, on the cluster's nodes), health checks may pass while every request times out: the "upstream request timeout" 504 of the troubleshooting guide. GKE's docs say the controller does not create this rule; lbdiag evaluates the firewall rules (and firewall policies, when it could read them) as Compute Engine does, whoever made them. Regional INTERNAL_MANAGED and EXTERNAL_MANAGED backend services GKE did not build are judged the same way, on the instances getHealth names behind their instance groups and zonal NEGs, to their serving port (an external one's proxies use REGIONAL_MANAGED_PROXY subnets only; an internal one's also a legacy INTERNAL_HTTPS_LOAD_BALANCER subnet).`,
		Fix: `Allow the proxy-only range to the Pods' port on the cluster's nodes:
  gcloud compute firewall-rules create allow-proxy-only-REGION --network=VPC --direction=INGRESS --action=ALLOW --rules=tcp:PORT --source-ranges=PROXY_RANGE --target-tags=NODE_TAG --project=PROJECT`,
		Sources: []string{"Configuring Ingress for internal Application Load Balancers: firewall rules (" + core.DocInternalIngress + ")",
			"Proxy-only subnets for Envoy-based load balancers (cloud.google.com/load-balancing/docs/proxy-only-subnets)", core.SrcTroubleshoot},
		URL: core.DocInternalIngress,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			if !core.ClusterReadable(p, cl) {
				continue
			}
			// Only Envoy-based load balancers send traffic from the
			// proxy-only subnet; without one, nothing else is needed.
			var regional []core.LBBackend
			for _, b := range core.IndexOf(p).LBBackends(cl) {
				if b.RegionalProxy {
					regional = append(regional, b)
				}
			}
			if len(regional) == 0 || !p.Known(inventory.ComputeSubnetworks, inventory.ProjectScope(cl.NetworkProject())) {
				continue
			}
			var subnets []*compute.Subnetwork
			for _, s := range inv.Compute.Subnetworks {
				if inventory.SameResource(s.Network, cl.NetworkURL()) && inventory.LastSegment(s.Region) == cl.Region() && gke.IsProxyOnlyPurpose(s.Purpose) && s.Role == "ACTIVE" {
					subnets = append(subnets, s)
				}
			}
			type proxyCheck struct {
				b                       core.LBBackend
				port                    int
				proxyRanges, proxyNames []string
			}
			var checks []proxyCheck
			reported := map[string]bool{}
			for _, b := range regional {
				var proxyRanges, proxyNames []string
				for _, s := range subnets {
					if core.Contains(proxyPurposes(b), s.Purpose) {
						proxyRanges = append(proxyRanges, s.IpCidrRange)
						proxyNames = append(proxyNames, s.Name)
					}
				}
				if len(proxyRanges) == 0 {
					continue // proxy-only-subnet-missing's case
				}
				port, ok := core.PodPort(cl, b.Svc, b.Port)
				key := b.Owner.String() + "/" + strconv.Itoa(port)
				if !ok || reported[key] {
					continue
				}
				reported[key] = true
				checks = append(checks, proxyCheck{b, port, proxyRanges, proxyNames})
			}
			clusterReach(p, cl, checks, func(c proxyCheck) reach { return reach{c.b.Owner, c.proxyRanges, c.port} }, func(c proxyCheck, blk blockage, rules firewall.Rules, nodes []nodeGroup) {
				b, port, proxyRanges, res := c.b, c.port, c.proxyRanges, c.b.Owner
				p.Report(inspect.Finding{
					Key: b.Svc.Namespace + "/" + b.Svc.Name + "/" + strconv.Itoa(port),
					Message: fmt.Sprintf("%s %s/%s (class %s) reaches Service %s port %s on Pod port %d, but traffic from the proxy-only subnet %s is not allowed to %d of the cluster's %d nodes: %s%s. Requests time out (504 upstream request timeout)",
						b.OwnerKind, b.Owner.Namespace, b.Owner.Name, b.Class, b.Svc.Name, core.PortName(b.Port), port, strings.Join(c.proxyNames, ", "),
						countInstances(blk.groups), countInstances(nodes), blk.blockedText(), blk.caveat()),
					Resource: res,
					Evidence: map[string]any{"proxyOnlyRanges": proxyRanges, "podPort": port, "service": b.Svc.Namespace + "/" + b.Svc.Name,
						"blocked": blk.blockedRanges(), "nodes": countInstances(blk.groups), "network": inventory.RelativeName(cl.NetworkURL()), "firewallPoliciesRead": rules.PoliciesKnown},
					Remediation: firewallFix("allow-proxy-only-"+cl.Region()+"-"+strconv.Itoa(port), cl, blk, port),
				})
			})
		}
		checkVMBackends(p, true)
	},
}

// proxyPurposes are the proxy-only subnet purposes that serve a backend's
// load balancer.
func proxyPurposes(b core.LBBackend) []string {
	p := gke.GatewayProxyPurposes(b.Class)
	if b.OwnerKind == "Ingress" {
		p = gke.IngressProxyPurposes(b.Class)
	}
	if p == nil {
		return []string{gke.PurposeRegionalProxy}
	}
	return p
}
