package network

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/firewall"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// Google's health-check and Google Front End ranges.
var healthCheckRanges = []string{"35.191.0.0/16", "130.211.0.0/22"}

// nodeGroup is a set of a cluster's node instances that firewall rules see
// alike (same tags and service accounts).
type nodeGroup struct {
	target    firewall.Target
	instances []string
}

// clusterNodes groups the cluster's node instances by tags and service
// accounts. ok is false when lbdiag cannot tell which instances they are.
func clusterNodes(inv *inventory.Inventory, cl *inventory.Cluster) ([]nodeGroup, bool) {
	if !inv.Known(inventory.ComputeInstances, inventory.ProjectScope(cl.Project)) {
		return nil, false
	}
	names := map[string]bool{}
	if inv.Known(inventory.KubeNodes, cl.Scope()) {
		for _, n := range cl.Nodes {
			names[n.Name] = true
		}
	}
	groups := map[string]*nodeGroup{}
	for _, in := range inv.Compute.Instances {
		mine := names[in.Name]
		if len(names) == 0 {
			mine = in.Labels["goog-k8s-cluster-name"] == cl.Name()
		}
		if !mine {
			continue
		}
		t := firewall.Target{Network: cl.NetworkURL()}
		if in.Tags != nil {
			t.Tags = append(t.Tags, in.Tags.Items...)
		}
		for _, sa := range in.ServiceAccounts {
			t.ServiceAccounts = append(t.ServiceAccounts, sa.Email)
		}
		sort.Strings(t.Tags)
		sort.Strings(t.ServiceAccounts)
		key := strings.Join(t.Tags, ",") + "|" + strings.Join(t.ServiceAccounts, ",")
		if groups[key] == nil {
			groups[key] = &nodeGroup{target: t}
		}
		groups[key].instances = append(groups[key].instances, in.Name)
	}
	var out []nodeGroup
	for _, k := range core.SortedKeys(groups) {
		out = append(out, *groups[k])
	}
	return out, len(out) > 0
}

// firewallRules returns the rules that govern the cluster's VPC: the
// effective firewalls when lbdiag read them, else the VPC firewall rules
// alone. ok is false when neither was read.
func firewallRules(inv *inventory.Inventory, cl *inventory.Cluster) (firewall.Rules, bool) {
	network := cl.NetworkURL()
	var r firewall.Rules
	for _, n := range inv.Compute.Networks {
		if inventory.SameResource(n.SelfLink, network) {
			r.BeforeClassic = n.NetworkFirewallPolicyEnforcementOrder == "BEFORE_CLASSIC_FIREWALL"
		}
	}
	if ef, ok := inv.Compute.EffectiveFirewalls[network]; ok && inv.Known(inventory.ComputeEffectiveFirewalls, network) {
		r.VPC, r.Policies, r.PoliciesKnown = ef.Firewalls, ef.FirewallPolicys, true
		r.Prepare()
		return r, true
	}
	if !inv.Known(inventory.ComputeFirewalls, inventory.ProjectScope(cl.NetworkProject())) {
		return r, false
	}
	r.VPC = inv.Compute.Firewalls
	r.Prepare()
	return r, true
}

// blockedTraffic evaluates sources to port on every node group and returns
// a description of what is blocked, or "" when all gets through.
type blockage struct {
	groups   []nodeGroup
	blocked  map[string][]firewall.Segment // by source range
	verdicts []firewall.Verdict
	denyPrio int64 // lowest priority of a deny rule that blocked, 0 if none
}

func evaluate(rules firewall.Rules, nodes []nodeGroup, sources []string, port int) blockage {
	b := blockage{blocked: map[string][]firewall.Segment{}}
	for _, g := range nodes {
		hit := false
		for _, s := range sources {
			v := firewall.Evaluate(rules, netip.MustParsePrefix(s), port, g.target)
			b.verdicts = append(b.verdicts, v)
			for _, seg := range v.Blocked() {
				hit = true
				b.blocked[s] = append(b.blocked[s], seg)
				if name, ok := strings.CutPrefix(seg.By, "firewall rule "); ok {
					for _, fw := range rules.VPC {
						if fw.Name == name && (b.denyPrio == 0 || fw.Priority < b.denyPrio) {
							b.denyPrio = fw.Priority
						}
					}
				}
			}
		}
		if hit {
			b.groups = append(b.groups, g)
		}
	}
	return b
}

// caveat says what the verdict rests on.
func (b blockage) caveat() string {
	var notes []string
	for _, v := range b.verdicts {
		if !v.PoliciesConsidered {
			notes = append(notes, "lbdiag read the VPC firewall rules only, not the firewall policies, so a hierarchical or network firewall policy could still allow it")
			break
		}
	}
	for _, v := range b.verdicts {
		if len(v.Uncertain) > 0 {
			notes = append(notes, "not evaluated: "+v.Uncertain[0])
			break
		}
	}
	if len(notes) == 0 {
		return ""
	}
	return " (" + strings.Join(notes, "; ") + ")"
}

// blockedText renders the blocked parts per source range.
func (b blockage) blockedText() string {
	var parts []string
	for _, s := range core.SortedKeys(b.blocked) {
		segs := dedupeSegments(b.blocked[s])
		if len(segs) == 1 && segs[0].Prefix.String() == s {
			parts = append(parts, fmt.Sprintf("from %s (%s)", s, segs[0].By))
			continue
		}
		parts = append(parts, fmt.Sprintf("from %s, the part %s", s, firewall.Describe(segs)))
	}
	return strings.Join(parts, "; ")
}

func dedupeSegments(segs []firewall.Segment) []firewall.Segment {
	seen := map[string]bool{}
	var out []firewall.Segment
	for _, s := range segs {
		k := s.Prefix.String() + s.By
		if !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	return out
}

// blockedRanges are the blocked parts, as prefixes.
func (b blockage) blockedRanges() []string {
	var out []string
	for _, s := range core.SortedKeys(b.blocked) {
		for _, seg := range dedupeSegments(b.blocked[s]) {
			out = append(out, seg.Prefix.String())
		}
	}
	return core.SortedUnique(out)
}

// targetFlag picks how a new rule should select the nodes: GKE's node tag
// when the nodes have one, else their service account.
func targetFlag(groups []nodeGroup) string {
	var tags, sas []string
	for _, g := range groups {
		tag := ""
		for _, t := range g.target.Tags {
			if strings.HasPrefix(t, "gke-") && strings.HasSuffix(t, "-node") {
				tag = t
			}
		}
		if tag == "" && len(g.target.Tags) > 0 {
			tag = g.target.Tags[0]
		}
		if tag != "" {
			tags = append(tags, tag)
		} else if len(g.target.ServiceAccounts) > 0 {
			sas = append(sas, g.target.ServiceAccounts[0])
		}
	}
	if len(sas) > 0 {
		return "--target-service-accounts=" + strings.Join(core.SortedUnique(sas), ",")
	}
	return "--target-tags=" + strings.Join(core.SortedUnique(tags), ",")
}

func countInstances(groups []nodeGroup) int {
	n := 0
	for _, g := range groups {
		n += len(g.instances)
	}
	return n
}

// fwRuleName builds a valid firewall rule name.
func fwRuleName(parts ...string) string {
	s := strings.ToLower(strings.Join(parts, "-"))
	if len(s) > 62 {
		s = s[:62]
	}
	return strings.TrimRight(s, "-")
}

func firewallFix(name string, cl *inventory.Cluster, b blockage, port int) string {
	prio := ""
	if b.denyPrio > 0 {
		prio = fmt.Sprintf(" --priority=%d", b.denyPrio-1)
	}
	return fmt.Sprintf("gcloud compute firewall-rules create %s --network=%s --direction=INGRESS --action=ALLOW --rules=tcp:%d --source-ranges=%s %s%s --project=%s",
		fwRuleName(name), inventory.LastSegment(cl.NetworkURL()), port, strings.Join(b.blockedRanges(), ","), targetFlag(b.groups), prio, cl.NetworkProject())
}

// ProxyOnlyFirewallMissing reports Envoy-based load balancers whose proxies
// cannot reach the Pods.
var ProxyOnlyFirewallMissing = &inspect.Rule{
	ID:       "proxy-only-firewall-missing",
	Severity: inspect.Error,
	Title:    "The proxy-only subnet of every internal or regional Ingress and Gateway can reach the Pods' port",
	Doc: inspect.Doc{
		Why: `Internal and regional external Application Load Balancers (Ingress classes gce-internal and gce-regional-external, regional Gateways) send requests from Envoy proxies whose addresses come from the region's proxy-only subnet. Unless the VPC's firewall admits that range on the Pods' port (the Service's targetPort, on the cluster's nodes), health checks may pass while every request times out: the "upstream request timeout" 504 of the troubleshooting guide. GKE's docs say the controller does not create this rule; lbdiag evaluates the firewall rules (and firewall policies, when it could read them) as Compute Engine does, whoever made them.`,
		Fix: `Allow the proxy-only range to the Pods' port on the cluster's nodes:
  gcloud compute firewall-rules create allow-proxy-only-REGION --network=VPC --direction=INGRESS --action=ALLOW --rules=tcp:PORT --source-ranges=PROXY_RANGE --target-tags=NODE_TAG --project=PROJECT`,
		Sources: []string{"Configuring Ingress for internal Application Load Balancers: firewall rules (" + core.DocInternalIngress + ")",
			"Proxy-only subnets for Envoy-based load balancers (cloud.google.com/load-balancing/docs/proxy-only-subnets)", core.SrcTroubleshoot},
		URL: core.DocInternalIngress,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			if !core.ClusterReadable(inv, cl) || !inv.Known(inventory.ComputeSubnetworks, inventory.ProjectScope(cl.NetworkProject())) {
				continue
			}
			rules, ok := firewallRules(inv, cl)
			nodes, okNodes := clusterNodes(inv, cl)
			if !ok || !okNodes {
				continue
			}
			var subnets []*compute.Subnetwork
			for _, s := range inv.Compute.Subnetworks {
				if inventory.SameResource(s.Network, cl.NetworkURL()) && inventory.LastSegment(s.Region) == cl.Region() && isProxyOnly(s.Purpose) && s.Role == "ACTIVE" {
					subnets = append(subnets, s)
				}
			}
			reported := map[string]bool{}
			memo := blockageMemo{}
			for _, b := range core.LBBackends(cl) {
				if !b.RegionalProxy {
					continue
				}
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
				blk := memo.get(proxyRanges, port, func() blockage { return evaluate(rules, nodes, proxyRanges, port) })
				if len(blk.groups) == 0 {
					continue
				}
				p.Report(inspect.Finding{
					Key: b.Svc.Namespace + "/" + b.Svc.Name + "/" + strconv.Itoa(port),
					Message: fmt.Sprintf("%s %s/%s (class %s) reaches Service %s port %s on Pod port %d, but traffic from the proxy-only subnet %s is not allowed to %d of the cluster's %d nodes: %s%s. Requests time out (504 upstream request timeout)",
						b.OwnerKind, b.Owner.Namespace, b.Owner.Name, b.Class, b.Svc.Name, core.PortName(b.Port), port, strings.Join(proxyNames, ", "),
						countInstances(blk.groups), countInstances(nodes), blk.blockedText(), blk.caveat()),
					Resource: b.Owner,
					Evidence: map[string]any{"proxyOnlyRanges": proxyRanges, "podPort": port, "service": b.Svc.Namespace + "/" + b.Svc.Name,
						"blocked": blk.blockedRanges(), "nodes": countInstances(blk.groups), "network": inventory.RelativeName(cl.NetworkURL()), "firewallPoliciesRead": rules.PoliciesKnown},
					Remediation: firewallFix("allow-proxy-only-"+cl.Region()+"-"+strconv.Itoa(port), cl, blk, port),
				})
			}
		}
	},
}

// HealthCheckFirewallMissing reports backends Google's health checkers
// cannot reach.
var HealthCheckFirewallMissing = &inspect.Rule{
	ID:       "health-check-firewall-missing",
	Severity: inspect.Error,
	Title:    "Google's health checkers (35.191.0.0/16, 130.211.0.0/22) can reach every load-balanced backend's health-check port",
	Doc: inspect.Doc{
		Why:     `Every Application Load Balancer probes its backends from 35.191.0.0/16 and 130.211.0.0/22 (for the classic external one, requests come from there too). If the VPC's firewall does not admit both ranges to the health-check port on the cluster's nodes (the NodePort for instance groups; the Pod port, or BackendConfig healthCheck.port, for NEGs), the backends never turn healthy and the load balancer answers 502 or "no healthy upstream".`,
		Fix:     `gcloud compute firewall-rules create allow-health-checks --network=VPC --direction=INGRESS --action=ALLOW --rules=tcp:PORT --source-ranges=35.191.0.0/16,130.211.0.0/22 --target-tags=NODE_TAG --project=PROJECT`,
		Sources: []string{"Cloud Load Balancing: firewall rules for health checks (cloud.google.com/load-balancing/docs/health-checks#firewall_rules)", core.SrcTroubleshoot},
		URL:     "https://cloud.google.com/load-balancing/docs/health-checks#firewall_rules",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			if !core.ClusterReadable(inv, cl) {
				continue
			}
			rules, ok := firewallRules(inv, cl)
			nodes, okNodes := clusterNodes(inv, cl)
			if !ok || !okNodes {
				continue
			}
			reported := map[string]bool{}
			memo := blockageMemo{}
			for _, b := range core.LBBackends(cl) {
				port, how, ok := healthCheckPort(core.IndexOf(p), cl, b)
				key := b.Owner.String() + "/" + strconv.Itoa(port)
				if !ok || reported[key] {
					continue
				}
				reported[key] = true
				blk := memo.get(healthCheckRanges, port, func() blockage { return evaluate(rules, nodes, healthCheckRanges, port) })
				if len(blk.groups) == 0 {
					continue
				}
				which := core.SortedKeys(blk.blocked)
				p.Report(inspect.Finding{
					Key: b.Svc.Namespace + "/" + b.Svc.Name + "/" + strconv.Itoa(port),
					Message: fmt.Sprintf("Health checks of Service %s port %s (%s %s/%s) probe port %d (%s), but %s cannot reach it on %d of the cluster's %d nodes: %s%s. The backends never turn healthy",
						b.Svc.Name, core.PortName(b.Port), b.OwnerKind, b.Owner.Namespace, b.Owner.Name, port, how, strings.Join(which, " and "),
						countInstances(blk.groups), countInstances(nodes), blk.blockedText(), blk.caveat()),
					Resource: b.Owner,
					Evidence: map[string]any{"healthCheckPort": port, "portSource": how, "blockedRanges": which, "service": b.Svc.Namespace + "/" + b.Svc.Name,
						"blocked": blk.blockedRanges(), "network": inventory.RelativeName(cl.NetworkURL()), "firewallPoliciesRead": rules.PoliciesKnown},
					Remediation: firewallFix("allow-health-checks-"+cl.Name()+"-"+strconv.Itoa(port), cl, blk, port),
				})
			}
		}
	},
}

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
				if port, fixed := fixedPort(hc); fixed {
					return port, "health check " + hc.Name + ", fixed port", true
				}
			}
		}
	}
	if ref, ok, err := core.ParseBackendConfig(b.Svc); ok && err == nil {
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

func fixedPort(hc *compute.HealthCheck) (int, bool) {
	type spec struct {
		port int64
		ps   string
	}
	var s spec
	switch {
	case hc.HttpHealthCheck != nil:
		s = spec{hc.HttpHealthCheck.Port, hc.HttpHealthCheck.PortSpecification}
	case hc.HttpsHealthCheck != nil:
		s = spec{hc.HttpsHealthCheck.Port, hc.HttpsHealthCheck.PortSpecification}
	case hc.Http2HealthCheck != nil:
		s = spec{hc.Http2HealthCheck.Port, hc.Http2HealthCheck.PortSpecification}
	case hc.TcpHealthCheck != nil:
		s = spec{hc.TcpHealthCheck.Port, hc.TcpHealthCheck.PortSpecification}
	default:
		return 0, false
	}
	if s.port > 0 && (s.ps == "" || s.ps == "USE_FIXED_PORT") {
		return int(s.port), true
	}
	return 0, false
}

// proxyPurposes are the proxy-only subnet purposes that serve a backend's
// load balancer.
func proxyPurposes(b core.LBBackend) []string {
	switch {
	case b.OwnerKind == "Ingress" && b.Class == inventory.ClassInternal:
		return []string{purposeRegionalProxy, purposeLegacyILB}
	case b.OwnerKind == "Gateway" && strings.TrimSuffix(b.Class, "-mc") == "gke-l7-rilb":
		return []string{purposeRegionalProxy, purposeLegacyILB}
	case b.OwnerKind == "Gateway" && strings.TrimSuffix(b.Class, "-mc") == "gke-l7-cross-regional-internal-managed":
		return []string{purposeGlobalProxy}
	}
	return []string{purposeRegionalProxy}
}

// blockageMemo remembers evaluations of one cluster's nodes: many backends
// share a port.
type blockageMemo map[string]blockage

func (m blockageMemo) get(sources []string, port int, eval func() blockage) blockage {
	key := strings.Join(sources, ",") + "/" + strconv.Itoa(port)
	if b, ok := m[key]; ok {
		return b
	}
	b := eval()
	m[key] = b
	return b
}
