package network

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestStaticIPInUse(t *testing.T) {
	t.Parallel()
	runStaticIPCases(t, StaticIPInUse, []staticIPCase{
		{name: "used by another load balancer", ann: map[string]string{gke.AnnGlobalStaticIP: "web-ip"},
			addrs: []*compute.Address{ruletest.Address("web-ip", "", "IN_USE", globalFRURL("old-fr"))}, frs: []*compute.ForwardingRule{globalFR("old-fr", `{"kubernetes.io/ingress-name": "other/site"}`)},
			want: []string{"(of Ingress other/site)"}},
		{name: "used by this Ingress (description)", ann: map[string]string{gke.AnnGlobalStaticIP: "web-ip"},
			addrs: []*compute.Address{ruletest.Address("web-ip", "", "IN_USE", globalFRURL("k8s2-fr-x"))}, frs: []*compute.ForwardingRule{globalFR("k8s2-fr-x", `{"kubernetes.io/ingress-name": "shop/site"}`)}},
		{name: "used by this Ingress (annotation)", ann: map[string]string{gke.AnnGlobalStaticIP: "web-ip", "ingress.kubernetes.io/forwarding-rule": "k8s2-fr-x"},
			addrs: []*compute.Address{ruletest.Address("web-ip", "", "IN_USE", globalFRURL("k8s2-fr-x"))}, failFRs: true},
		{name: "forwarding rules unreadable: undecidable", ann: map[string]string{gke.AnnGlobalStaticIP: "web-ip"},
			addrs: []*compute.Address{ruletest.Address("web-ip", "", "IN_USE", globalFRURL("old-fr"))}, failFRs: true},
	})
}

func TestStaticIPInUseCounts(t *testing.T) {
	t.Parallel()
	// One Ingress, shop/site, naming web-ip: judged whenever the address
	// exists and whose rule holds it is known.
	ann := map[string]string{gke.AnnGlobalStaticIP: "web-ip"}
	inUse := func(fr string) []*compute.Address {
		return []*compute.Address{ruletest.Address("web-ip", "", "IN_USE", globalFRURL(fr))}
	}
	for _, tc := range []struct {
		c    staticIPCase
		want ruletest.Counts
	}{
		{staticIPCase{ann: ann, addrs: inUse("old-fr"), frs: []*compute.ForwardingRule{globalFR("old-fr", `{"kubernetes.io/ingress-name": "other/site"}`)}},
			ruletest.Counts{Judged: 1, Failed: 1}}, // another Ingress's rule holds it
		{staticIPCase{ann: ann, addrs: inUse("k8s2-fr-x"), frs: []*compute.ForwardingRule{globalFR("k8s2-fr-x", `{"kubernetes.io/ingress-name": "shop/site"}`)}},
			ruletest.Counts{Judged: 1, Passed: 1}}, // its own rule
		{staticIPCase{ann: ann, addrs: []*compute.Address{ruletest.Address("web-ip", "", "RESERVED")}},
			ruletest.Counts{Judged: 1, Passed: 1}}, // free to take
		{staticIPCase{ann: ann}, ruletest.Counts{}},               // no such address: static-ip-missing's
		{staticIPCase{addrs: inUse("old-fr")}, ruletest.Counts{}}, // names no static IP
	} {
		ruletest.ExpectCounts(t, staticIPInventory(tc.c), StaticIPInUse, tc.want)
	}
	// The forwarding rules not read: whose rule holds it is unknown.
	c := ruletest.ExpectCounts(t, staticIPInventory(staticIPCase{ann: ann, addrs: inUse("old-fr"), failFRs: true}), StaticIPInUse, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, inventory.ComputeForwardingRules)
}
