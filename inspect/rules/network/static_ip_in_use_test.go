package network

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
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
