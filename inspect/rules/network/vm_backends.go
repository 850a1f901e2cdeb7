package network

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/firewall"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// A vmCheck is one reach question about the backends of a backend service
// GKE did not build: can sources reach port on the instances behind its
// instance groups and zonal NEGs.
type vmCheck struct {
	bs      *compute.BackendService
	hc      *compute.HealthCheck
	network string // relative name
	port    int
	// portWhat says where the port comes from.
	portWhat string
	// proxy marks the check of the proxy-only subnet (traffic to the
	// serving port), as opposed to the health checkers (to the probe
	// port).
	proxy   bool
	sources []string
	// subnets names the proxy-only subnets of the sources.
	subnets []string
	// groups are the backend groups (relative names) and instances the
	// check covers.
	groups    []string
	instances []*compute.Instance
}

// vmHealthSources are the ranges Google's health checkers probe a backend
// service's backends from: an external passthrough Network Load
// Balancer's probes come from 35.191.0.0/16 and the legacy 209.85
// ranges; every other load balancer's from 35.191.0.0/16 and
// 130.211.0.0/22.
func vmHealthSources(bs *compute.BackendService) []string {
	if !core.IsProxyBackendService(bs) && bs.LoadBalancingScheme == "EXTERNAL" {
		return l4ExternalHCRanges
	}
	return healthCheckRanges
}

// vmChecks lists the reach questions of the project's backend services
// GKE did not build (GKE's own are judged per cluster, from its nodes):
// their instance groups and GCE_VM_IP_PORT and GCE_VM_IP NEGs, with the
// instances getHealth names. proxy asks about the proxy-only subnets of
// regional Envoy-based load balancers, to the serving port; else about
// the health checkers, to the probe port. A backend service lbdiag cannot resolve
// (its health check, its groups, their health or instances not read) is
// left out, and the pass records the read it lacked.
func vmChecks(p *inspect.Pass, proxy bool) []vmCheck {
	inv := p.Inventory
	ps := inventory.ProjectScope(inv.Project)
	if !p.Known(inventory.ComputeBackendServices, ps) {
		return nil
	}
	x := core.IndexOf(p)
	g := core.GraphOf(p)
	usageKnown := g.UsageKnown()
	var out []vmCheck
	for _, bs := range inv.Compute.BackendServices {
		if inventory.ProjectOf(bs.SelfLink) != inv.Project || len(bs.Backends) == 0 || len(bs.HealthChecks) == 0 {
			continue
		}
		if maker, _ := gke.BackendServiceMaker(bs); maker != "" {
			continue // judged from the cluster's nodes
		}
		if usageKnown && len(g.BSOwners[bs.SelfLink]) == 0 {
			continue // used by nothing: its backends harm no traffic
		}
		purposes := gke.BackendServiceProxyPurposes(bs.LoadBalancingScheme)
		if proxy && (bs.Region == "" || purposes == nil) {
			continue // no regional managed proxies
		}
		hc := x.HealthCheck(bs.HealthChecks[0])
		if hc == nil {
			p.Known(inventory.ComputeHealthChecks, ps)
			continue // not read, or gone: another rule's case
		}
		probe := core.ProbeOf(hc)
		checks := map[string]*vmCheck{}
		held := map[string]map[*compute.Instance]bool{} // by check
		var order []string
		// add puts one instance of a group into the check of its port.
		add := func(port int, what, group string, in *compute.Instance, sources, subnets []string, network string) {
			key := fmt.Sprintf("%d/%s", port, network)
			c := checks[key]
			if c == nil {
				c = &vmCheck{bs: bs, hc: hc, network: network, port: port, portWhat: what, proxy: proxy, sources: sources, subnets: subnets}
				checks[key], held[key] = c, map[*compute.Instance]bool{}
				order = append(order, key)
			}
			if c.portWhat != what {
				c.portWhat = "the groups' " + portKind(what)
			}
			if !core.Contains(c.groups, group) {
				c.groups = append(c.groups, group)
			}
			if !held[key][in] {
				held[key][in] = true
				c.instances = append(c.instances, in)
			}
		}
		for _, b := range bs.Backends {
			rel := inventory.RelativeName(b.Group)
			ig, neg := x.InstanceGroup(rel), x.NEG(rel)
			isIG, isNEG := ig != nil, neg != nil
			network := ""
			switch {
			case isIG:
				network = ig.Network
			case isNEG && (neg.NetworkEndpointType == "GCE_VM_IP_PORT" || neg.NetworkEndpointType == "GCE_VM_IP"):
				network = neg.Network
			case strings.Contains(rel, "/instanceGroups/"):
				p.Known(inventory.ComputeInstanceGroups, ps)
				continue
			case strings.Contains(rel, "/networkEndpointGroups/") && !isNEG:
				p.Known(inventory.ComputeNEGs, ps)
				continue
			default:
				continue // serverless, internet or hybrid: no instances to reach
			}
			health, read := inv.Compute.BackendHealth[bs.SelfLink][b.Group]
			if !read {
				p.Known(inventory.ComputeBackendHealth, ps)
				continue
			}
			// The instances behind the group, as getHealth names them.
			type endpoint struct {
				in *compute.Instance
				st *compute.HealthStatus
			}
			var eps []endpoint
			for _, st := range health.HealthStatus {
				if st.Instance == "" {
					continue
				}
				in := x.Instance(st.Instance)
				if in == nil {
					p.Known(inventory.ComputeInstances, inventory.ProjectScope(inventory.ProjectOf(st.Instance)))
					continue
				}
				if network == "" && len(in.NetworkInterfaces) > 0 {
					network = in.NetworkInterfaces[0].Network
				}
				eps = append(eps, endpoint{in, st})
			}
			if network == "" {
				continue
			}
			network = inventory.RelativeName(network)
			if !proxy {
				for _, e := range eps {
					// A port the group does not define is health-check-port-mismatch's case.
					if port, what, ok := vmProbePort(probe, bs, ig, neg, e.st); ok {
						add(port, what, rel, e.in, vmHealthSources(bs), nil, network)
					}
				}
				continue
			}
			// The proxies connect to the serving port from the region's
			// proxy-only subnets; none (or unread) is
			// proxy-only-subnet-missing's case.
			ranges, names, known := proxyOnlyRanges(p, network, inventory.LastSegment(bs.Region), purposes)
			if !known || len(ranges) == 0 {
				continue
			}
			for _, e := range eps {
				if port, what, ok := vmProbePort(core.Probe{Spec: "SERVING"}, bs, ig, neg, e.st); ok {
					add(port, what, rel, e.in, ranges, names, network)
				}
			}
		}
		for _, k := range order {
			out = append(out, *checks[k])
		}
	}
	return out
}

// vmProbePort is the port a probe reaches on one endpoint of a group: the
// health check's fixed port, the instance group's named port (of the
// health check's portName, or of the backend service's portName for
// USE_SERVING_PORT), or a GCE_VM_IP_PORT endpoint's own port. ok is false
// when the group does not define it (a passthrough NEG serves no port).
func vmProbePort(probe core.Probe, bs *compute.BackendService, ig *compute.InstanceGroup, neg *compute.NetworkEndpointGroup, st *compute.HealthStatus) (int, string, bool) {
	switch probe.Spec {
	case "FIXED":
		return probe.Port, "the health check's fixed port", true
	case "NAMED", "SERVING":
		name := probe.PortName
		if probe.Spec == "SERVING" {
			name = bs.PortName
			if name == "" {
				name = "http"
			}
		}
		if ig != nil {
			for _, np := range ig.NamedPorts {
				if np.Name == name {
					return int(np.Port), fmt.Sprintf("instance group %s's named port %q", ig.Name, name), true
				}
			}
			return 0, "", false
		}
		if neg == nil || neg.NetworkEndpointType != "GCE_VM_IP_PORT" || probe.Spec == "NAMED" {
			return 0, "", false
		}
		if st.Port > 0 {
			return int(st.Port), fmt.Sprintf("the endpoints' ports in NEG %s", neg.Name), true
		}
		if neg.DefaultPort > 0 {
			return int(neg.DefaultPort), fmt.Sprintf("NEG %s's default port", neg.Name), true
		}
	}
	return 0, "", false
}

// portKind is what a port text says of any group: "named port "http"",
// "endpoints' ports", "default port".
func portKind(what string) string {
	for _, k := range []string{"named port", "endpoints' ports", "default port", "fixed port"} {
		if i := strings.Index(what, k); i >= 0 {
			return what[i:]
		}
	}
	return "ports"
}

// proxyOnlyRanges are the active proxy-only subnets of a region of a VPC
// with one of the purposes given: their ranges and names. known is false,
// and the pass records it, when the VPC's project's subnetworks were not
// read.
func proxyOnlyRanges(p *inspect.Pass, network, region string, purposes []string) (ranges, names []string, known bool) {
	if !p.Known(inventory.ComputeSubnetworks, inventory.ProjectScope(inventory.ProjectOf(network))) {
		return nil, nil, false
	}
	for _, s := range p.Inventory.Compute.Subnetworks {
		if inventory.SameResource(s.Network, network) && inventory.LastSegment(s.Region) == region && s.Role == "ACTIVE" && core.Contains(purposes, s.Purpose) {
			ranges = append(ranges, s.IpCidrRange)
			names = append(names, s.Name)
		}
	}
	return ranges, names, true
}

// maxNamed bounds the groups and instances a message names; the evidence
// holds them all.
const maxNamed = 5

// namedList renders names, at most maxNamed of them, with how many more.
func namedList(names []string) string {
	if len(names) <= maxNamed {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:maxNamed], ", ") + fmt.Sprintf(" and %d more", len(names)-maxNamed)
}

// groupText names a backend group: "instance group NAME (ZONE)" or "NEG
// NAME (ZONE)".
func groupText(rel string) string {
	kind := "NEG"
	if strings.Contains(rel, "/instanceGroups/") {
		kind = "instance group"
	}
	return fmt.Sprintf("%s %s (%s)", kind, inventory.LastSegment(rel), core.ScopeName(rel))
}

// checkVMBackends reports the backend services GKE did not build whose
// instances the health checkers (proxy false) or the regional Envoy-based
// load balancers' proxies (proxy true) cannot reach.
func checkVMBackends(p *inspect.Pass, proxy bool) {
	type ruleSet struct {
		rules firewall.Rules
		ok    bool
	}
	rulesOf := map[string]ruleSet{}
	for _, c := range vmChecks(p, proxy) {
		rs, seen := rulesOf[c.network]
		if !seen {
			r, ok := firewallRulesFor(p, c.network)
			rs = ruleSet{r, ok}
			rulesOf[c.network] = rs
		}
		if !rs.ok {
			continue
		}
		groups := groupByTarget(c.network, c.instances)
		res := core.BackendServiceResource(c.bs)
		p.Judge(res)
		blk := evaluate(rs.rules, groups, c.sources, c.port)
		if len(blk.groups) == 0 {
			continue
		}
		blockedInst := blockedInstances(blk)
		var groupNames []string
		for _, g := range c.groups {
			groupNames = append(groupNames, groupText(g))
		}
		groupNames = core.SortedUnique(groupNames)
		which := core.SortedKeys(blk.blocked)
		who := fmt.Sprintf("Google's health checkers (health check %s, %s %d)", c.hc.Name, c.portWhat, c.port)
		name := "allow-health-checks-" + c.bs.Name
		key := "health/" + strconv.Itoa(c.port)
		outcome := "The backends never turn healthy and the load balancer answers 502 or \"no healthy upstream\""
		if c.proxy {
			who = fmt.Sprintf("the load balancer's proxies (proxy-only subnet %s, to %s %d)", strings.Join(c.subnets, ", "), c.portWhat, c.port)
			name = "allow-proxy-only-" + c.bs.Name
			key = "proxy/" + strconv.Itoa(c.port)
			outcome = "Requests time out (504 upstream request timeout) or fail to connect"
		}
		p.Report(inspect.Finding{
			Key: key,
			Message: fmt.Sprintf("Backend service %s sends to %s, but %s cannot reach %d of their %d instances (%s): %s%s. %s",
				c.bs.Name, namedList(groupNames), who, len(blockedInst), len(c.instances), namedList(blockedInst), blk.blockedText(), blk.caveat(), outcome),
			Resource: res,
			Evidence: map[string]any{"port": c.port, "portSource": c.portWhat, "healthCheck": c.hc.Name, "sources": c.sources, "blockedRanges": which,
				"blocked": blk.blockedRanges(), "groups": c.groups, "instances": blockedInst, "network": c.network, "firewallPoliciesRead": rs.rules.PoliciesKnown},
			Remediation: firewallFixFor(fwRuleName(name, strconv.Itoa(c.port)), c.network, blk, c.port),
		})
	}
}

// blockedInstances names the instances of the groups a blockage holds,
// sorted.
func blockedInstances(b blockage) []string {
	var out []string
	for _, g := range b.groups {
		out = append(out, g.instances...)
	}
	sort.Strings(out)
	return out
}
