package network

import (
	"testing"

	compute "google.golang.org/api/compute/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// staticIPCase is Ingress shop/site of class with annotations, the
// project's addresses and forwarding rules, the forwarding rules
// unreadable or not, and the findings expected.
type staticIPCase struct {
	name    string
	ann     map[string]string
	class   string
	addrs   []*compute.Address
	frs     []*compute.ForwardingRule
	failFRs bool
	want    []string
}

func runStaticIPCases(t *testing.T, rule *inspect.Rule, tests []staticIPCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ruletest.Expect(t, ruletest.Run(t, staticIPInventory(tc), rule), tc.want...)
		})
	}
}

// staticIPInventory is the inventory of a static-IP case.
func staticIPInventory(tc staticIPCase) *inventory.Inventory {
	cl := ruletest.Cluster("prod", "europe-west1-b", ruletest.Project, "vpc", "nodes")
	ing := ruletest.Ingress("shop", "site", tc.class, "web")
	for k, v := range tc.ann {
		ing.Annotations[k] = v
	}
	cl.Ingresses = []networkingv1.Ingress{ing}
	inv := ruletest.Inventory(cl)
	inv.Compute.Addresses, inv.Compute.ForwardingRules = tc.addrs, tc.frs
	if tc.failFRs {
		ruletest.FailSource(inv, inventory.ComputeForwardingRules, inventory.ProjectScope(ruletest.Project))
	}
	return inv
}

// globalFR is a global forwarding rule with a description.
func globalFR(name, desc string) *compute.ForwardingRule {
	return &compute.ForwardingRule{Name: name, Description: desc, SelfLink: ruletest.ComputeBase + ruletest.Project + "/global/forwardingRules/" + name}
}

// globalFRURL is a global forwarding rule's self link.
func globalFRURL(name string) string {
	return ruletest.ComputeBase + ruletest.Project + "/global/forwardingRules/" + name
}
