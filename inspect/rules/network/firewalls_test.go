package network

import (
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// firewallCase is a node of cluster prod reached by an Ingress of class
// whose Pods listen on port, the VPC's firewall rules, the nodes or the
// firewalls unreadable, the network firewall policies read or not, and the
// finding expected ("" for none) with a part of its fix.
type firewallCase struct {
	name     string
	class    string
	port     int
	rules    []*compute.Firewall
	noNodes  bool
	failFW   bool
	policies bool
	want     string
	fix      string
}

// healthCheckSources are Google's health-check ranges, for Firewall.
const healthCheckSources = "35.191.0.0/16,130.211.0.0/22"

func runFirewallCases(t *testing.T, rule *inspect.Rule, tests []firewallCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv, _ := firewallInventory(tc)
			got := ruletest.Run(t, inv, rule)
			if tc.want == "" {
				ruletest.Expect(t, got)
				return
			}
			ruletest.Expect(t, got, tc.want)
			if !strings.Contains(got[0].Remediation, tc.fix) {
				t.Errorf("remediation %q does not contain %q", got[0].Remediation, tc.fix)
			}
			if tc.policies && strings.Contains(got[0].Message, "VPC firewall rules only") {
				t.Error("caveat although the policies were read")
			}
		})
	}
}

// firewallInventory is the inventory of a firewall case.
func firewallInventory(tc firewallCase) (*inventory.Inventory, *inventory.Cluster) {
	inv, cl := ruletest.FirewallSetup(tc.class, tc.port, tc.rules...)
	if tc.noNodes {
		ruletest.FailSource(inv, inventory.ComputeInstances, inventory.ProjectScope(ruletest.Project))
	}
	if tc.failFW {
		ruletest.FailSource(inv, inventory.ComputeFirewalls, inventory.ProjectScope(ruletest.Project))
	}
	if tc.policies {
		inv.Compute.EffectiveFirewalls = map[string]*compute.NetworksGetEffectiveFirewallsResponse{cl.NetworkURL(): {}}
		inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.ComputeEffectiveFirewalls, Scope: cl.NetworkURL(), Status: inventory.StatusOK})
	}
	return inv, cl
}

// expectReason checks that one of a check's reasons names the source.
func expectReason(t *testing.T, c inspect.Check, s inventory.Source) {
	t.Helper()
	for _, r := range c.Reasons {
		if strings.Contains(r, string(s)) {
			return
		}
	}
	t.Errorf("rule %s: reasons %q do not mention %s", c.Rule, c.Reasons, s)
}
