package firewall

import (
	"net/netip"
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
)

const (
	vpc     = "https://www.googleapis.com/compute/v1/projects/svc-proj/global/networks/prod"
	hostVPC = "https://www.googleapis.com/compute/v1/projects/host-proj/global/networks/shared"
)

func allow(name string, prio int64, sources []string, ports []string, tags ...string) *compute.Firewall {
	return &compute.Firewall{Name: name, Network: vpc, Direction: "INGRESS", Priority: prio, SourceRanges: sources,
		Allowed: []*compute.FirewallAllowed{{IPProtocol: "tcp", Ports: ports}}, TargetTags: tags}
}

func deny(name string, prio int64, sources []string, ports []string, tags ...string) *compute.Firewall {
	return &compute.Firewall{Name: name, Network: vpc, Direction: "INGRESS", Priority: prio, SourceRanges: sources,
		Denied: []*compute.FirewallDenied{{IPProtocol: "tcp", Ports: ports}}, TargetTags: tags}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	node := Target{Network: "projects/svc-proj/global/networks/prod", Tags: []string{"gke-prod-node"}, ServiceAccounts: []string{"nodes@svc-proj.iam.gserviceaccount.com"}}
	hc := "35.191.0.0/16"
	tests := []struct {
		name    string
		rules   Rules
		source  string
		port    int
		target  Target
		allowed []string // allowed parts
		blocked []string // blocked parts, with what blocked them
	}{
		{name: "no rule: implied deny", source: hc, port: 8080, target: node, blocked: []string{"35.191.0.0/16 (the implied deny"}},
		{name: "containment: a /9 admits a /23", rules: Rules{VPC: []*compute.Firewall{allow("wide", 1000, []string{"10.128.0.0/9"}, []string{"8080"})}},
			source: "10.129.0.0/23", port: 8080, target: node, allowed: []string{"10.129.0.0/23"}},
		{name: "partial overlap admits part", rules: Rules{VPC: []*compute.Firewall{allow("half", 1000, []string{"10.129.0.0/24"}, []string{"8080"})}},
			source: "10.129.0.0/23", port: 8080, target: node, allowed: []string{"10.129.0.0/24"}, blocked: []string{"10.129.1.0/24 (the implied deny"}},
		{name: "no ports means all ports", rules: Rules{VPC: []*compute.Firewall{allow("all-tcp", 1000, []string{hc}, nil)}}, source: hc, port: 31444, target: node, allowed: []string{hc}},
		{name: "protocol all", rules: Rules{VPC: []*compute.Firewall{{Name: "all", Network: vpc, Priority: 1000, SourceRanges: []string{hc}, Allowed: []*compute.FirewallAllowed{{IPProtocol: "all"}}}}},
			source: hc, port: 9000, target: node, allowed: []string{hc}},
		{name: "udp does not count", rules: Rules{VPC: []*compute.Firewall{{Name: "udp", Network: vpc, Priority: 1000, SourceRanges: []string{hc}, Allowed: []*compute.FirewallAllowed{{IPProtocol: "udp"}}}}},
			source: hc, port: 9000, target: node, blocked: []string{hc}},
		{name: "port range", rules: Rules{VPC: []*compute.Firewall{allow("nodeports", 1000, []string{hc}, []string{"30000-32767"})}}, source: hc, port: 31001, target: node, allowed: []string{hc}},
		{name: "outside the range", rules: Rules{VPC: []*compute.Firewall{allow("nodeports", 1000, []string{hc}, []string{"30000-32767"})}}, source: hc, port: 8080, target: node, blocked: []string{hc}},
		{name: "target tag matches", rules: Rules{VPC: []*compute.Firewall{allow("tagged", 1000, []string{hc}, []string{"8080"}, "gke-prod-node")}}, source: hc, port: 8080, target: node, allowed: []string{hc}},
		{name: "target tag of another cluster", rules: Rules{VPC: []*compute.Firewall{allow("tagged", 1000, []string{hc}, []string{"8080"}, "gke-other-node")}}, source: hc, port: 8080, target: node, blocked: []string{hc}},
		{name: "target service account", rules: Rules{VPC: []*compute.Firewall{{Name: "by-sa", Network: vpc, Priority: 1000, SourceRanges: []string{hc},
			Allowed: []*compute.FirewallAllowed{{IPProtocol: "tcp"}}, TargetServiceAccounts: []string{"nodes@svc-proj.iam.gserviceaccount.com"}}}}, source: hc, port: 8080, target: node, allowed: []string{hc}},
		{name: "other service account", rules: Rules{VPC: []*compute.Firewall{{Name: "by-sa", Network: vpc, Priority: 1000, SourceRanges: []string{hc},
			Allowed: []*compute.FirewallAllowed{{IPProtocol: "tcp"}}, TargetServiceAccounts: []string{"other@svc-proj.iam.gserviceaccount.com"}}}}, source: hc, port: 8080, target: node, blocked: []string{hc}},
		{name: "lower priority number wins", rules: Rules{VPC: []*compute.Firewall{deny("deny-900", 900, []string{hc}, []string{"1024-10000"}), allow("allow-1000", 1000, []string{hc}, []string{"8080"})}},
			source: hc, port: 8080, target: node, blocked: []string{"35.191.0.0/16 (firewall rule deny-900)"}},
		{name: "allow at a lower number wins", rules: Rules{VPC: []*compute.Firewall{deny("deny-1000", 1000, []string{hc}, nil), allow("allow-900", 900, []string{hc}, []string{"8080"})}},
			source: hc, port: 8080, target: node, allowed: []string{hc}},
		{name: "deny wins a tie", rules: Rules{VPC: []*compute.Firewall{allow("allow", 1000, []string{hc}, []string{"8080"}), deny("deny", 1000, []string{hc}, []string{"8080"})}},
			source: hc, port: 8080, target: node, blocked: []string{"(firewall rule deny)"}},
		{name: "partial deny", rules: Rules{VPC: []*compute.Firewall{deny("deny-half", 900, []string{"35.191.128.0/17"}, nil), allow("allow", 1000, []string{hc}, []string{"8080"})}},
			source: hc, port: 8080, target: node, allowed: []string{"35.191.0.0/17"}, blocked: []string{"35.191.128.0/17 (firewall rule deny-half)"}},
		{name: "disabled rule", rules: Rules{VPC: []*compute.Firewall{func() *compute.Firewall { r := allow("off", 1000, []string{hc}, nil); r.Disabled = true; return r }()}},
			source: hc, port: 8080, target: node, blocked: []string{hc}},
		{name: "egress rule", rules: Rules{VPC: []*compute.Firewall{func() *compute.Firewall { r := allow("out", 1000, []string{hc}, nil); r.Direction = "EGRESS"; return r }()}},
			source: hc, port: 8080, target: node, blocked: []string{hc}},
		{name: "source tags only", rules: Rules{VPC: []*compute.Firewall{{Name: "from-tag", Network: vpc, Priority: 1000, SourceTags: []string{"bastion"}, Allowed: []*compute.FirewallAllowed{{IPProtocol: "tcp"}}}}},
			source: hc, port: 8080, target: node, blocked: []string{hc}},
		{name: "wrong network", rules: Rules{VPC: []*compute.Firewall{func() *compute.Firewall {
			r := allow("elsewhere", 1000, []string{hc}, nil)
			r.Network = hostVPC
			return r
		}()}},
			source: hc, port: 8080, target: node, blocked: []string{hc}},
		{name: "Shared VPC: the host project's rule", rules: Rules{VPC: []*compute.Firewall{func() *compute.Firewall {
			r := allow("host-rule", 1000, []string{hc}, nil)
			r.Network = hostVPC
			return r
		}()}},
			source: hc, port: 8080, target: Target{Network: "projects/host-proj/global/networks/shared", Tags: node.Tags}, allowed: []string{hc}},
		{name: "hierarchical deny beats a VPC allow", rules: Rules{VPC: []*compute.Firewall{allow("allow", 1000, []string{hc}, nil)}, PoliciesKnown: true,
			Policies: []*compute.NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy{{Name: "org", ShortName: "org-policy", Type: "HIERARCHY", Rules: []*compute.FirewallPolicyRule{
				{Priority: 700, Direction: "INGRESS", Action: "deny", Match: &compute.FirewallPolicyRuleMatcher{SrcIpRanges: []string{"0.0.0.0/0"}, Layer4Configs: []*compute.FirewallPolicyRuleMatcherLayer4Config{{IpProtocol: "all"}}}}}}}},
			source: hc, port: 8080, target: node, blocked: []string{"hierarchical firewall policy org-policy (organization or folder level), rule priority 700"}},
		// Two hierarchical policies may both have a rule at priority 9000:
		// the verdict names which policy, at which level.
		{name: "two policies at the same priority are told apart", rules: Rules{VPC: []*compute.Firewall{allow("allow", 1000, []string{hc}, nil)}, PoliciesKnown: true,
			Policies: []*compute.NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy{
				{Name: "111", ShortName: "org-baseline", Type: "HIERARCHY", Rules: []*compute.FirewallPolicyRule{
					{Priority: 9000, Direction: "INGRESS", Action: "goto_next", Match: &compute.FirewallPolicyRuleMatcher{SrcIpRanges: []string{"0.0.0.0/0"}, Layer4Configs: []*compute.FirewallPolicyRuleMatcherLayer4Config{{IpProtocol: "all"}}}}}},
				{Name: "222", ShortName: "folder-prod", Type: "HIERARCHY", Rules: []*compute.FirewallPolicyRule{
					{Priority: 9000, Direction: "INGRESS", Action: "deny", RuleName: "no-google-ranges", Match: &compute.FirewallPolicyRuleMatcher{SrcIpRanges: []string{hc}, Layer4Configs: []*compute.FirewallPolicyRuleMatcherLayer4Config{{IpProtocol: "all"}}}}}},
				{Name: "333", ShortName: "vpc-pol", Type: "NETWORK_REGIONAL"}}},
			source: hc, port: 8080, target: node, blocked: []string{"hierarchical firewall policy folder-prod (organization or folder level, 2 of 2 from the top), rule priority 9000 (no-google-ranges)"}},
		// The API forbids two rules of one policy at one priority; if the
		// data has them, deny wins, as among VPC rules.
		{name: "deny wins a tie inside one policy", rules: Rules{PoliciesKnown: true,
			Policies: []*compute.NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy{{Name: "444", ShortName: "net", Type: "NETWORK", Rules: []*compute.FirewallPolicyRule{
				{Priority: 500, Direction: "INGRESS", Action: "allow", Match: &compute.FirewallPolicyRuleMatcher{SrcIpRanges: []string{hc}, Layer4Configs: []*compute.FirewallPolicyRuleMatcherLayer4Config{{IpProtocol: "tcp"}}}},
				{Priority: 500, Direction: "INGRESS", Action: "deny", Match: &compute.FirewallPolicyRuleMatcher{SrcIpRanges: []string{hc}, Layer4Configs: []*compute.FirewallPolicyRuleMatcherLayer4Config{{IpProtocol: "tcp"}}}}}}}},
			source: hc, port: 8080, target: node, blocked: []string{"global network firewall policy net, rule priority 500"}},
		{name: "hierarchical goto_next then VPC allow", rules: Rules{VPC: []*compute.Firewall{allow("allow", 1000, []string{hc}, nil)}, PoliciesKnown: true,
			Policies: []*compute.NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy{{Name: "org", Type: "HIERARCHY", Rules: []*compute.FirewallPolicyRule{
				{Priority: 600, Direction: "INGRESS", Action: "goto_next", Match: &compute.FirewallPolicyRuleMatcher{SrcIpRanges: []string{hc}, Layer4Configs: []*compute.FirewallPolicyRuleMatcherLayer4Config{{IpProtocol: "all"}}}},
				{Priority: 700, Direction: "INGRESS", Action: "deny", Match: &compute.FirewallPolicyRuleMatcher{SrcIpRanges: []string{"0.0.0.0/0"}, Layer4Configs: []*compute.FirewallPolicyRuleMatcherLayer4Config{{IpProtocol: "all"}}}}}}}},
			source: hc, port: 8080, target: node, allowed: []string{hc}},
		{name: "hierarchical allow without a VPC rule", rules: Rules{PoliciesKnown: true,
			Policies: []*compute.NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy{{Name: "folder", Type: "HIERARCHY", Rules: []*compute.FirewallPolicyRule{
				{Priority: 100, Direction: "INGRESS", Action: "allow", Match: &compute.FirewallPolicyRuleMatcher{SrcIpRanges: []string{"35.191.0.0/16", "130.211.0.0/22"}, Layer4Configs: []*compute.FirewallPolicyRuleMatcherLayer4Config{{IpProtocol: "tcp", Ports: []string{"80", "8000-9000"}}}}}}}}},
			source: hc, port: 8080, target: node, allowed: []string{hc}},
		{name: "network policy after classic rules", rules: Rules{VPC: []*compute.Firewall{deny("classic-deny", 1000, []string{hc}, nil)}, PoliciesKnown: true,
			Policies: []*compute.NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy{{Name: "netpol", Type: "NETWORK", Rules: []*compute.FirewallPolicyRule{
				{Priority: 100, Direction: "INGRESS", Action: "allow", Match: &compute.FirewallPolicyRuleMatcher{SrcIpRanges: []string{hc}, Layer4Configs: []*compute.FirewallPolicyRuleMatcherLayer4Config{{IpProtocol: "tcp"}}}}}}}},
			source: hc, port: 8080, target: node, blocked: []string{"(firewall rule classic-deny)"}},
		{name: "network policy before classic rules", rules: Rules{VPC: []*compute.Firewall{deny("classic-deny", 1000, []string{hc}, nil)}, PoliciesKnown: true, BeforeClassic: true,
			Policies: []*compute.NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy{{Name: "netpol", Type: "NETWORK", Rules: []*compute.FirewallPolicyRule{
				{Priority: 100, Direction: "INGRESS", Action: "allow", Match: &compute.FirewallPolicyRuleMatcher{SrcIpRanges: []string{hc}, Layer4Configs: []*compute.FirewallPolicyRuleMatcherLayer4Config{{IpProtocol: "tcp"}}}}}}}},
			source: hc, port: 8080, target: node, allowed: []string{hc}},
		{name: "policies not read: VPC rules only", rules: Rules{PoliciesKnown: false, Policies: []*compute.NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy{{Name: "ignored", Type: "HIERARCHY",
			Rules: []*compute.FirewallPolicyRule{{Priority: 1, Direction: "INGRESS", Action: "allow", Match: &compute.FirewallPolicyRuleMatcher{SrcIpRanges: []string{hc}, Layer4Configs: []*compute.FirewallPolicyRuleMatcherLayer4Config{{IpProtocol: "all"}}}}}}}},
			source: hc, port: 8080, target: node, blocked: []string{hc}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := Evaluate(tc.rules, netip.MustParsePrefix(tc.source), tc.port, tc.target)
			if got := Describe(v.Passed()); !containsEach(got, tc.allowed) || (len(tc.allowed) == 0 && got != "") {
				t.Errorf("allowed parts %q, want %v", got, tc.allowed)
			}
			if got := Describe(v.Blocked()); !containsEach(got, tc.blocked) || (len(tc.blocked) == 0 && got != "") {
				t.Errorf("blocked parts %q, want %v", got, tc.blocked)
			}
			if v.Allowed() != (len(tc.blocked) == 0) {
				t.Errorf("Allowed() = %v", v.Allowed())
			}
			if v.PoliciesConsidered != tc.rules.PoliciesKnown {
				t.Errorf("PoliciesConsidered = %v", v.PoliciesConsidered)
			}
		})
	}
}

func containsEach(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func TestSecureTagsAreUncertain(t *testing.T) {
	t.Parallel()
	v := Evaluate(Rules{PoliciesKnown: true, Policies: []*compute.NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy{{Name: "p", Type: "NETWORK",
		Rules: []*compute.FirewallPolicyRule{{Priority: 10, Direction: "INGRESS", Action: "allow", TargetSecureTags: []*compute.FirewallPolicyRuleSecureTag{{Name: "tagValues/1"}},
			Match: &compute.FirewallPolicyRuleMatcher{SrcIpRanges: []string{"0.0.0.0/0"}, Layer4Configs: []*compute.FirewallPolicyRuleMatcherLayer4Config{{IpProtocol: "tcp"}}}}}}}},
		netip.MustParsePrefix("35.191.0.0/16"), 80, Target{Network: vpc})
	if len(v.Uncertain) != 1 {
		t.Errorf("uncertain = %v", v.Uncertain)
	}
}
