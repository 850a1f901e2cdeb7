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

// nodeGroup is a set of a cluster's node instances that firewall rules see
// alike (same tags and service accounts).
type nodeGroup struct {
	target    firewall.Target
	instances []string
}

// clusterNodes groups the cluster's node instances by tags and service
// accounts. ok is false when lbdiag cannot tell which instances they are;
// the pass records it when the instances were not read.
func clusterNodes(p *inspect.Pass, cl *inventory.Cluster) ([]nodeGroup, bool) {
	inv := p.Inventory
	if !p.Known(inventory.ComputeInstances, inventory.ProjectScope(cl.Project)) {
		return nil, false
	}
	// Without the Nodes, GKE's instance label finds them.
	names := map[string]bool{}
	if inv.Known(inventory.KubeNodes, cl.Scope()) {
		for _, n := range cl.Nodes {
			names[n.Name] = true
		}
	}
	var mine []*compute.Instance
	for _, in := range inv.Compute.Instances {
		ok := names[in.Name]
		if len(names) == 0 {
			ok = in.Labels["goog-k8s-cluster-name"] == cl.Name()
		}
		if ok {
			mine = append(mine, in)
		}
	}
	out := groupByTarget(cl.NetworkURL(), mine)
	return out, len(out) > 0
}

// groupByTarget groups instances of a network by what firewall rules see
// of them: their tags and service accounts.
func groupByTarget(network string, instances []*compute.Instance) []nodeGroup {
	groups := map[string]*nodeGroup{}
	for _, in := range instances {
		t := firewall.Target{Network: network}
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
	return out
}

// clusterFirewall returns what a firewall verdict on the cluster rests on:
// the rules that govern its VPC and its nodes. ok is false, and the pass
// records what was not read, when either is unknown.
func clusterFirewall(p *inspect.Pass, cl *inventory.Cluster) (firewall.Rules, []nodeGroup, bool) {
	rules, ok := firewallRules(p, cl)
	nodes, okNodes := clusterNodes(p, cl)
	return rules, nodes, ok && okNodes
}

// firewallRules returns the rules that govern the cluster's VPC (see
// firewallRulesFor).
func firewallRules(p *inspect.Pass, cl *inventory.Cluster) (firewall.Rules, bool) {
	return firewallRulesFor(p, cl.NetworkURL())
}

// firewallRulesFor returns the rules that govern a VPC (its relative
// name): the effective firewalls when lbdiag read them, else the VPC
// firewall rules alone. ok is false when neither was read, which the pass
// records.
func firewallRulesFor(p *inspect.Pass, network string) (firewall.Rules, bool) {
	inv := p.Inventory
	var r firewall.Rules
	for _, n := range inv.Compute.Networks {
		if inventory.SameResource(n.SelfLink, network) {
			r.BeforeClassic = n.NetworkFirewallPolicyEnforcementOrder == "BEFORE_CLASSIC_FIREWALL"
		}
	}
	// Effective firewalls not read: the VPC firewall rules are the
	// fallback.
	if ef, ok := inv.Compute.EffectiveFirewalls[network]; ok && inv.Known(inventory.ComputeEffectiveFirewalls, network) {
		r.VPC, r.Policies, r.PoliciesKnown = ef.Firewalls, ef.FirewallPolicys, true
		r.Prepare()
		return r, true
	}
	if !p.Known(inventory.ComputeFirewalls, inventory.ProjectScope(inventory.ProjectOf(network))) {
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
	// deny is the VPC deny rule that blocked with the lowest priority
	// number (the strongest), if any.
	deny *compute.Firewall
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
						if fw.Name == name && (b.deny == nil || fw.Priority < b.deny.Priority) {
							b.deny = fw
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
	return firewallFixFor(fwRuleName(name), cl.NetworkURL(), b, port)
}

// firewallFixFor is the command that lets through what b found blocked in
// a VPC (its relative name): the allow rule to add, after moving a deny at
// priority 0 to priority 1 when one blocks it.
func firewallFixFor(name, network string, b blockage, port int) string {
	prio, first, note := "", "", ""
	switch {
	case b.deny != nil && b.deny.Priority == 0:
		// Nothing outranks a deny at priority 0 (a deny wins a tie): it
		// moves to 1, and the allow takes 0. It is not deleted: it may be
		// someone's control, and still denies everything else.
		first = fmt.Sprintf("gcloud compute firewall-rules update %s --priority=1 --project=%s && ", b.deny.Name, inventory.ProjectOf(network))
		prio = " --priority=0"
		note = "   # the deny then yields only to allow rules at priority 0: this one, and any already there"
	case b.deny != nil:
		prio = fmt.Sprintf(" --priority=%d", b.deny.Priority-1)
	}
	return fmt.Sprintf("%sgcloud compute firewall-rules create %s --network=%s --direction=INGRESS --action=ALLOW --rules=tcp:%d --source-ranges=%s %s%s --project=%s%s",
		first, name, inventory.LastSegment(network), port, strings.Join(b.blockedRanges(), ","), targetFlag(b.groups), prio, inventory.ProjectOf(network), note)
}

// reach is what a rule checks on a cluster's nodes: that ranges reach
// port, judged on res.
type reach struct {
	res    inspect.Resource
	ranges []string
	port   int
}

// clusterReach judges each check on the cluster's nodes. It reads the
// cluster's firewall and nodes once, and only when there is something to
// check; when either could not be read it judges nothing (clusterFirewall
// has noted what is unknown). Checks of the same ranges and port share one
// evaluation. blocked is called for each check that some nodes refuse.
func clusterReach[C any](p *inspect.Pass, cl *inventory.Cluster, checks []C, reachOf func(C) reach, blocked func(c C, blk blockage, rules firewall.Rules, nodes []nodeGroup)) {
	if len(checks) == 0 {
		return
	}
	rules, nodes, ok := clusterFirewall(p, cl)
	if !ok {
		return
	}
	memo := map[string]blockage{}
	for _, c := range checks {
		r := reachOf(c)
		p.Judge(r.res)
		key := strings.Join(r.ranges, ",") + "/" + strconv.Itoa(r.port)
		blk, ok := memo[key]
		if !ok {
			blk = evaluate(rules, nodes, r.ranges, r.port)
			memo[key] = blk
		}
		if len(blk.groups) > 0 {
			blocked(c, blk, rules, nodes)
		}
	}
}
