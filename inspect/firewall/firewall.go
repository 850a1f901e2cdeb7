// Package firewall decides whether TCP traffic from a source range reaches a
// port of a set of instances, the way Compute Engine evaluates ingress:
// hierarchical firewall policies first, then the VPC's firewall rules and
// network firewall policies in the network's enforcement order, then the
// implied deny. It is a pure function over what lbdiag read; it answers per
// part of the source range, so that a partial overlap says which part gets
// through.
package firewall

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inventory"
)

// Target is a group of instances that firewall rules see alike.
type Target struct {
	// Network is the VPC, as a URL or "projects/P/global/networks/N".
	Network         string
	Tags            []string
	ServiceAccounts []string
}

// Rules are the firewall rules that apply to a network.
type Rules struct {
	// VPC are firewall rules (rules of other networks are ignored).
	VPC []*compute.Firewall
	// Policies are the network's effective firewall policies
	// (hierarchical, then network), when PoliciesKnown.
	Policies      []*compute.NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy
	PoliciesKnown bool
	// BeforeClassic evaluates network firewall policies before the VPC
	// rules (networkFirewallPolicyEnforcementOrder BEFORE_CLASSIC_FIREWALL).
	BeforeClassic bool

	// sources caches the parsed source ranges of each VPC rule; Prepare
	// fills it so that many evaluations over the same rules parse once.
	sources map[*compute.Firewall][]netip.Prefix
}

// Prepare parses the rules' source ranges once; Evaluate works without it,
// only slower when called many times over the same rules.
func (r *Rules) Prepare() {
	r.sources = make(map[*compute.Firewall][]netip.Prefix, len(r.VPC))
	for _, fw := range r.VPC {
		r.sources[fw] = parseVPCSources(fw)
	}
}

// Segment is a part of the source range with its fate.
type Segment struct {
	Prefix  netip.Prefix
	Allowed bool
	// By names what decided: "firewall rule NAME", "policy P rule N", or
	// "the implied deny".
	By string
}

// Verdict is the answer for one source range, port and target.
type Verdict struct {
	Segments []Segment
	// PoliciesConsidered is false when firewall policies were not read:
	// the verdict then rests on VPC rules alone.
	PoliciesConsidered bool
	// Uncertain lists rules lbdiag could not evaluate (secure tags, ...).
	Uncertain []string
}

// Allowed reports whether every part of the source gets through.
func (v Verdict) Allowed() bool {
	for _, s := range v.Segments {
		if !s.Allowed {
			return false
		}
	}
	return true
}

// Blocked returns the parts that do not get through.
func (v Verdict) Blocked() []Segment {
	var out []Segment
	for _, s := range v.Segments {
		if !s.Allowed {
			out = append(out, s)
		}
	}
	return out
}

// Passed returns the parts that get through.
func (v Verdict) Passed() []Segment {
	var out []Segment
	for _, s := range v.Segments {
		if s.Allowed {
			out = append(out, s)
		}
	}
	return out
}

// Evaluate decides whether TCP port from source reaches target.
func Evaluate(rules Rules, source netip.Prefix, port int, target Target) Verdict {
	source = source.Masked()
	vpc := relevantVPC(rules, port, target)
	var hier, netPol []policyLevel
	var uncertain []string
	if rules.PoliciesKnown {
		nHier := 0
		for _, p := range rules.Policies {
			if p.Type == "HIERARCHY" {
				nHier++
			}
		}
		for _, p := range rules.Policies {
			rs, u := relevantPolicyRules(p, port, target)
			uncertain = append(uncertain, u...)
			if p.Type == "HIERARCHY" {
				hier = append(hier, policyLevel{label: hierarchyLabel(p, len(hier), nHier), rules: rs})
			} else {
				netPol = append(netPol, policyLevel{label: networkPolicyLabel(p), rules: rs})
			}
		}
	}
	// Split the source so that every range of every relevant rule either
	// contains a part or misses it.
	var ranges []netip.Prefix
	for _, r := range vpc {
		ranges = append(ranges, rules.vpcSources(r)...)
	}
	for _, level := range append(append([]policyLevel{}, hier...), netPol...) {
		for _, r := range level.rules {
			ranges = append(ranges, policySources(r)...)
		}
	}
	v := Verdict{PoliciesConsidered: rules.PoliciesKnown, Uncertain: uncertain}
	for _, part := range split(source, ranges) {
		v.Segments = append(v.Segments, decide(rules, part, vpc, hier, netPol))
	}
	v.Segments = merge(v.Segments)
	return v
}

// policyLevel is one firewall policy in evaluation order, with its
// relevant rules.
type policyLevel struct {
	// label names the policy and its level for messages.
	label string
	rules []*compute.FirewallPolicyRule
}

// hierarchyLabel names a hierarchical policy. The effective-firewalls
// answer lists them from the top of the resource hierarchy down, but does
// not say whether one is an organization's or a folder's.
func hierarchyLabel(p *compute.NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy, i, n int) string {
	where := "organization or folder level"
	if n > 1 {
		where = fmt.Sprintf("organization or folder level, %d of %d from the top", i+1, n)
	}
	return fmt.Sprintf("hierarchical firewall policy %s (%s)", policyName(p), where)
}

func networkPolicyLabel(p *compute.NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy) string {
	switch p.Type {
	case "NETWORK_REGIONAL":
		return fmt.Sprintf("regional network firewall policy %s", policyName(p))
	case "SYSTEM", "SYSTEM_GLOBAL", "SYSTEM_REGIONAL":
		return fmt.Sprintf("system firewall policy %s", policyName(p))
	}
	return fmt.Sprintf("global network firewall policy %s", policyName(p))
}

func decide(rules Rules, part netip.Prefix, vpc []*compute.Firewall, hier, netPol []policyLevel) Segment {
	for _, level := range hier {
		if seg, ok := decidePolicy(part, level); ok {
			return seg
		}
	}
	classic := func() (Segment, bool) {
		for _, r := range vpc {
			if containsAll(rules.vpcSources(r), part) {
				return Segment{Prefix: part, Allowed: len(r.Denied) == 0, By: "firewall rule " + r.Name}, true
			}
		}
		return Segment{}, false
	}
	network := func() (Segment, bool) {
		for _, level := range netPol {
			if seg, ok := decidePolicy(part, level); ok {
				return seg, true
			}
		}
		return Segment{}, false
	}
	first, second := classic, network
	if rules.BeforeClassic {
		first, second = network, classic
	}
	if seg, ok := first(); ok {
		return seg
	}
	if seg, ok := second(); ok {
		return seg
	}
	return Segment{Prefix: part, By: "the implied deny: no rule allows it"}
}

// decidePolicy applies one policy's rules (sorted by priority, deny first
// at equal priority); goto_next and no match both pass to the next level.
// The segment names the policy, its level and the rule's priority.
func decidePolicy(part netip.Prefix, level policyLevel) (Segment, bool) {
	for _, r := range level.rules {
		if !containsAll(policySources(r), part) {
			continue
		}
		by := fmt.Sprintf("%s, rule priority %d", level.label, r.Priority)
		if r.RuleName != "" {
			by += " (" + r.RuleName + ")"
		}
		switch r.Action {
		case "allow":
			return Segment{Prefix: part, Allowed: true, By: by}, true
		case "deny":
			return Segment{Prefix: part, Allowed: false, By: by}, true
		default: // goto_next, apply_security_profile_group
			return Segment{}, false
		}
	}
	return Segment{}, false
}

// relevantVPC keeps the enabled ingress rules of the target's network that
// cover TCP port and the target, sorted as Compute Engine applies them:
// lowest priority number first, deny before allow at equal priority.
func relevantVPC(rules Rules, port int, t Target) []*compute.Firewall {
	var out []*compute.Firewall
	for _, r := range rules.VPC {
		if r.Disabled || (r.Direction != "" && r.Direction != "INGRESS") || !inventory.SameResource(r.Network, t.Network) {
			continue
		}
		if len(rules.vpcSources(r)) == 0 {
			continue // sources by tag or service account only: not an address range
		}
		rules := r.Allowed
		if len(r.Denied) > 0 {
			rules = nil
			for _, d := range r.Denied {
				rules = append(rules, &compute.FirewallAllowed{IPProtocol: d.IPProtocol, Ports: d.Ports})
			}
		}
		matches := false
		for _, a := range rules {
			if protoMatches(a.IPProtocol) && portMatches(a.Ports, port) {
				matches = true
			}
		}
		if !matches || !vpcTargets(r, t) {
			continue
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		pi, pj := out[i].Priority, out[j].Priority
		if pi != pj {
			return pi < pj
		}
		return len(out[i].Denied) > 0 && len(out[j].Denied) == 0
	})
	return out
}

// vpcSources are a rule's source ranges, from the cache when prepared.
func (r Rules) vpcSources(fw *compute.Firewall) []netip.Prefix {
	if s, ok := r.sources[fw]; ok {
		return s
	}
	return parseVPCSources(fw)
}

// parseVPCSources reads a rule's source ranges: none means all addresses
// when the rule names no source tag or service account either.
func parseVPCSources(r *compute.Firewall) []netip.Prefix {
	if len(r.SourceRanges) == 0 {
		if len(r.SourceTags) == 0 && len(r.SourceServiceAccounts) == 0 {
			return []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
		}
		return nil
	}
	return parsePrefixes(r.SourceRanges)
}

func vpcTargets(r *compute.Firewall, t Target) bool {
	switch {
	case len(r.TargetTags) > 0:
		return overlap(r.TargetTags, t.Tags)
	case len(r.TargetServiceAccounts) > 0:
		return overlap(r.TargetServiceAccounts, t.ServiceAccounts)
	}
	return true
}

func relevantPolicyRules(p *compute.NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy, port int, t Target) ([]*compute.FirewallPolicyRule, []string) {
	var out []*compute.FirewallPolicyRule
	var uncertain []string
	for _, r := range p.Rules {
		if r.Disabled || r.Direction != "INGRESS" || r.Match == nil {
			continue
		}
		matches := false
		for _, l4 := range r.Match.Layer4Configs {
			if protoMatches(l4.IpProtocol) && portMatches(l4.Ports, port) {
				matches = true
			}
		}
		if !matches || len(policySources(r)) == 0 {
			continue
		}
		if len(r.TargetServiceAccounts) > 0 && !overlap(r.TargetServiceAccounts, t.ServiceAccounts) {
			continue
		}
		if len(r.TargetResources) > 0 {
			found := false
			for _, res := range r.TargetResources {
				if inventory.SameResource(res, t.Network) {
					found = true
				}
			}
			if !found {
				continue
			}
		}
		if len(r.TargetSecureTags) > 0 || len(r.Match.SrcSecureTags) > 0 || len(r.Match.SrcAddressGroups) > 0 || len(r.Match.SrcFqdns) > 0 || len(r.Match.SrcRegionCodes) > 0 || len(r.Match.SrcThreatIntelligences) > 0 {
			uncertain = append(uncertain, fmt.Sprintf("policy %s rule %d uses secure tags, address groups, FQDNs, regions or threat lists, which lbdiag does not evaluate", policyName(p), r.Priority))
			continue
		}
		out = append(out, r)
	}
	// The API forbids two rules of one policy at the same priority; if the
	// data has them anyway, deny wins as it does among VPC rules.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority < out[j].Priority
		}
		return out[i].Action == "deny" && out[j].Action != "deny"
	})
	return out, uncertain
}

func policyName(p *compute.NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy) string {
	if p.ShortName != "" {
		return p.ShortName
	}
	return p.Name
}

func policySources(r *compute.FirewallPolicyRule) []netip.Prefix {
	if r.Match == nil {
		return nil
	}
	return parsePrefixes(r.Match.SrcIpRanges)
}

func protoMatches(p string) bool {
	p = strings.ToLower(p)
	return p == "tcp" || p == "all" || p == "6"
}

// portMatches reports whether port is in the list ("80", "30000-32767");
// no list means every port.
func portMatches(ports []string, port int) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		lo, hi, isRange := strings.Cut(p, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				continue
			}
		}
		if port >= a && port <= b {
			return true
		}
	}
	return false
}

func parsePrefixes(ss []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		if !strings.Contains(s, "/") {
			s += "/32"
		}
		if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is4() {
			out = append(out, p.Masked())
		}
	}
	return out
}

func containsAll(ranges []netip.Prefix, part netip.Prefix) bool {
	for _, r := range ranges {
		if r.Bits() <= part.Bits() && r.Contains(part.Addr()) {
			return true
		}
	}
	return false
}

// split cuts source into parts each of which every range either contains
// or does not touch.
func split(source netip.Prefix, ranges []netip.Prefix) []netip.Prefix {
	parts := []netip.Prefix{source}
	for _, r := range ranges {
		var next []netip.Prefix
		for _, p := range parts {
			next = append(next, cut(p, r)...)
		}
		parts = next
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Addr().Less(parts[j].Addr()) })
	return parts
}

// cut splits p in halves until no piece partly overlaps r.
func cut(p, r netip.Prefix) []netip.Prefix {
	if !p.Overlaps(r) || (r.Bits() <= p.Bits()) {
		return []netip.Prefix{p}
	}
	lo, hi := halves(p)
	return append(cut(lo, r), cut(hi, r)...)
}

func halves(p netip.Prefix) (netip.Prefix, netip.Prefix) {
	bits := p.Bits() + 1
	lo := netip.PrefixFrom(p.Addr(), bits)
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= 1 << (32 - bits)
	hi := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), bits)
	return lo, hi
}

// merge joins neighbouring parts with the same fate back into larger
// prefixes where they form one.
func merge(segs []Segment) []Segment {
	for changed := true; changed; {
		changed = false
		for i := 0; i+1 < len(segs); i++ {
			a, b := segs[i], segs[i+1]
			if a.Allowed != b.Allowed || a.By != b.By || a.Prefix.Bits() != b.Prefix.Bits() || a.Prefix.Bits() == 0 {
				continue
			}
			parent := netip.PrefixFrom(a.Prefix.Addr(), a.Prefix.Bits()-1).Masked()
			if lo, hi := halves(parent); lo == a.Prefix && hi == b.Prefix {
				segs[i].Prefix = parent
				segs = append(segs[:i+1], segs[i+2:]...)
				changed = true
			}
		}
	}
	return segs
}

func overlap(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// Describe renders segments as "10.0.0.0/24 (firewall rule x)".
func Describe(segs []Segment) string {
	var parts []string
	for _, s := range segs {
		parts = append(parts, fmt.Sprintf("%s (%s)", s.Prefix, s.By))
	}
	return strings.Join(parts, ", ")
}
