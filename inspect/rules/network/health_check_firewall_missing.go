package network

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/firewall"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// HealthCheckFirewallMissing reports backends Google's health checkers
// cannot reach.
var HealthCheckFirewallMissing = &inspect.Rule{
	ID:       "health-check-firewall-missing",
	Severity: inspect.Error,
	// getHealth names the instances behind the backend services GKE did
	// not build.
	Needs: []inventory.Source{inventory.ComputeEffectiveFirewalls, inventory.ComputeBackendHealth},
	Title: "Google's health checkers (35.191.0.0/16, 130.211.0.0/22) can reach every load-balanced backend's health-check port, on GKE nodes and on VMs",
	Doc: inspect.Doc{
		Why:     `Every Application Load Balancer probes its backends from 35.191.0.0/16 and 130.211.0.0/22 (for the classic external one, requests come from there too). If the VPC's firewall does not admit both ranges to the health-check port on the cluster's nodes (the NodePort for instance groups; the Pod port, or BackendConfig healthCheck.port, for NEGs), the backends never turn healthy and the load balancer answers 502 or "no healthy upstream". The same holds for every backend service GKE did not build: lbdiag takes the instances of its instance groups and zonal NEGs from getHealth, the probe port from the health check (fixed, the instance group's named port, or the endpoint's port), and evaluates the VPC's firewall rules, hierarchical and network firewall policies on the instances' tags and service accounts, in the VPC's enforcement order (external passthrough Network Load Balancers probe from 35.191.0.0/16, 209.85.152.0/22 and 209.85.204.0/22).`,
		Fix:     `gcloud compute firewall-rules create allow-health-checks --network=VPC --direction=INGRESS --action=ALLOW --rules=tcp:PORT --source-ranges=35.191.0.0/16,130.211.0.0/22 --target-tags=NODE_TAG --project=PROJECT`,
		Sources: []string{"Cloud Load Balancing: firewall rules for health checks (cloud.google.com/load-balancing/docs/health-checks#firewall_rules)", core.SrcTroubleshoot},
		URL:     "https://cloud.google.com/load-balancing/docs/health-checks#firewall_rules",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			if !core.ClusterReadable(p, cl) {
				continue
			}
			// The health-check ports to check, before the firewall and
			// nodes are asked for: a cluster without load-balanced
			// backends needs neither.
			type hcCheck struct {
				b    core.LBBackend
				port int
				how  string
			}
			var checks []hcCheck
			reported := map[string]bool{}
			for _, b := range core.IndexOf(p).LBBackends(cl) {
				port, how, ok := healthCheckPort(core.IndexOf(p), cl, b)
				key := b.Owner.String() + "/" + strconv.Itoa(port)
				if !ok || reported[key] {
					continue
				}
				reported[key] = true
				checks = append(checks, hcCheck{b, port, how})
			}
			clusterReach(p, cl, checks, func(c hcCheck) reach { return reach{c.b.Owner, healthCheckRanges, c.port} }, func(c hcCheck, blk blockage, rules firewall.Rules, nodes []nodeGroup) {
				b, port, how, res := c.b, c.port, c.how, c.b.Owner
				which := core.SortedKeys(blk.blocked)
				p.Report(inspect.Finding{
					Key: b.Svc.Namespace + "/" + b.Svc.Name + "/" + strconv.Itoa(port),
					Message: fmt.Sprintf("Health checks of Service %s port %s (%s %s/%s) probe port %d (%s), but %s cannot reach it on %d of the cluster's %d nodes: %s%s. The backends never turn healthy",
						b.Svc.Name, core.PortName(b.Port), b.OwnerKind, b.Owner.Namespace, b.Owner.Name, port, how, strings.Join(which, " and "),
						countInstances(blk.groups), countInstances(nodes), blk.blockedText(), blk.caveat()),
					Resource: res,
					Evidence: map[string]any{"healthCheckPort": port, "portSource": how, "blockedRanges": which, "service": b.Svc.Namespace + "/" + b.Svc.Name,
						"blocked": blk.blockedRanges(), "instances": blockedInstances(blk), "network": inventory.RelativeName(cl.NetworkURL()), "firewallPoliciesRead": rules.PoliciesKnown},
					Remediation: firewallFix("allow-health-checks-"+cl.Name()+"-"+strconv.Itoa(port), cl, blk, port),
				})
			})
		}
		checkVMBackends(p, false)
	},
}

// Google's health-check and Google Front End ranges.
var healthCheckRanges = []string{"35.191.0.0/16", "130.211.0.0/22"}

// healthCheckPort is the port Google's health checkers probe for a
// backend: the real health check's fixed port when lbdiag can find it,
// else BackendConfig healthCheck.port, else the NodePort (instance groups)
// or the Pod port (NEGs).
func healthCheckPort(x *core.Index, cl *inventory.Cluster, b core.LBBackend) (int, string, bool) {
	for _, sb := range core.BackendServicesOf(x, cl, b.Svc) {
		if sb.Port.Port != b.Port.Port {
			continue
		}
		for _, hcURL := range sb.BS.HealthChecks {
			if hc := x.HealthCheck(hcURL); hc != nil {
				if pr := core.ProbeOf(hc); pr.Spec == "FIXED" {
					return pr.Port, "health check " + hc.Name + ", fixed port", true
				}
			}
		}
	}
	if ref, ok, err := gke.ParseBackendConfig(b.Svc); ok && err == nil {
		if bc := core.FindBackendConfig(cl, b.Svc.Namespace, ref.ForPort(b.Port)); bc != nil && bc.Spec.HealthCheck != nil && bc.Spec.HealthCheck.Port != nil {
			return int(*bc.Spec.HealthCheck.Port), "BackendConfig " + bc.Name + " healthCheck.port", true
		}
	}
	if !b.NEG {
		if b.Port.NodePort == 0 {
			return 0, "", false
		}
		return int(b.Port.NodePort), "the NodePort, for instance groups", true
	}
	port, ok := core.PodPort(cl, b.Svc, b.Port)
	return port, "the Pod port, for NEGs", ok
}
