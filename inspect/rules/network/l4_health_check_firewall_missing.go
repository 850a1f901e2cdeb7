package network

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/firewall"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// Google's health-check ranges for passthrough Network Load Balancers:
// internal ones probe from the same ranges as Application Load Balancers,
// external ones from 35.191.0.0/16 and the two legacy 209.85 ranges.
var (
	l4InternalHCRanges = []string{"35.191.0.0/16", "130.211.0.0/22"}
	l4ExternalHCRanges = []string{"35.191.0.0/16", "209.85.152.0/22", "209.85.204.0/22"}
)

// L4HealthCheckFirewallMissing reports LoadBalancer Services whose health
// checks the firewall blocks.
var L4HealthCheckFirewallMissing = &inspect.Rule{
	ID:       "l4-health-check-firewall-missing",
	Severity: inspect.Error,
	Needs:    []inventory.Source{inventory.ComputeEffectiveFirewalls},
	Title:    "Google's health checkers can reach the health port of every LoadBalancer Service's nodes",
	Doc: inspect.Doc{
		Why: `A passthrough Network Load Balancer for a LoadBalancer Service probes the cluster's nodes, not the Pods: with externalTrafficPolicy Local, the Service's spec.healthCheckNodePort (only nodes running a ready Pod answer 200); with Cluster, port 10256 (kube-proxy's health server). Internal load balancers probe from 35.191.0.0/16 and 130.211.0.0/22, external ones from 35.191.0.0/16, 209.85.152.0/22 and 209.85.204.0/22. GKE creates the firewall rules for them (k8s-...-node-http-hc, k8s2-...-fw); when one was deleted, or a deny rule or firewall policy of higher priority blocks them, every node is UNHEALTHY and the load balancer drops the Service's traffic. lbdiag evaluates the VPC's firewall rules and policies as Compute Engine does.`,
		Fix: `gcloud compute firewall-rules create allow-l4-health-checks --network=VPC --direction=INGRESS --action=ALLOW --rules=tcp:PORT --source-ranges=RANGES --target-tags=NODE_TAG --project=PROJECT`,
		Sources: []string{"About LoadBalancer Services: health checks and firewall rules (cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer)",
			"Health checks overview: probe IP ranges and firewall rules (cloud.google.com/load-balancing/docs/health-check-concepts#ip-ranges)",
			"GKE's L4 firewall rules (facts reference: L4 HC ranges add 209.85.152.0/22, 209.85.204.0/22)"},
		URL: "https://cloud.google.com/load-balancing/docs/health-check-concepts#ip-ranges",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		byCluster := map[*inventory.Cluster][]core.L4Service{}
		for _, s := range core.L4Services(p) {
			byCluster[s.Cl] = append(byCluster[s.Cl], s)
		}
		for _, cl := range inv.Clusters {
			services := byCluster[cl]
			if len(services) == 0 || !core.ClusterReadable(p, cl) {
				continue
			}
			// The Services to check, before the firewall and nodes are
			// asked for.
			type l4Check struct {
				s    core.L4Service
				port int
				how  string
			}
			var checks []l4Check
			for _, s := range services {
				if len(s.Svc.Status.LoadBalancer.Ingress) == 0 {
					continue // no load balancer yet: GKE creates its firewall rules with it
				}
				port, how := kubeProxyHealthPort, "port 10256, kube-proxy's health server (externalTrafficPolicy Cluster)"
				if s.Svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal {
					if s.Svc.Spec.HealthCheckNodePort == 0 {
						continue
					}
					port, how = int(s.Svc.Spec.HealthCheckNodePort), fmt.Sprintf("spec.healthCheckNodePort %d (externalTrafficPolicy Local)", s.Svc.Spec.HealthCheckNodePort)
				}
				checks = append(checks, l4Check{s, port, how})
			}
			clusterReach(p, cl, checks, func(c l4Check) reach {
				return reach{core.KubeResource(cl, "Service", c.s.Svc.ObjectMeta), l4Ranges(c.s), c.port}
			}, func(c l4Check, blk blockage, rules firewall.Rules, nodes []nodeGroup) {
				s, port, how := c.s, c.port, c.how
				res := core.KubeResource(cl, "Service", s.Svc.ObjectMeta)
				kind := "external"
				if s.Internal {
					kind = "internal"
				}
				which := core.SortedKeys(blk.blocked)
				p.Report(inspect.Finding{
					Key: strconv.Itoa(port),
					Message: fmt.Sprintf("The %s load balancer of LoadBalancer Service %s/%s probes the nodes on %s, but %s cannot reach it on %d of the cluster's %d nodes: %s%s. The nodes stay UNHEALTHY and the Service's traffic is dropped",
						kind, s.Svc.Namespace, s.Svc.Name, how, strings.Join(which, " and "), countInstances(blk.groups), countInstances(nodes), blk.blockedText(), blk.caveat()),
					Resource: res,
					Evidence: map[string]any{"healthCheckPort": port, "portSource": how, "blockedRanges": which, "blocked": blk.blockedRanges(),
						"network": inventory.RelativeName(cl.NetworkURL()), "firewallPoliciesRead": rules.PoliciesKnown},
					Remediation: firewallFix("allow-l4-health-checks-"+cl.Name()+"-"+strconv.Itoa(port), cl, blk, port),
				})
			})
		}
	},
}

// l4Ranges are the ranges an L4 load balancer of the Service probes from.
func l4Ranges(s core.L4Service) []string {
	if s.Internal {
		return l4InternalHCRanges
	}
	return l4ExternalHCRanges
}

// kubeProxyHealthPort is the node port GKE's L4 health checks probe for
// Services with externalTrafficPolicy Cluster (kube-proxy's, or Dataplane
// V2's, health server).
const kubeProxyHealthPort = 10256
