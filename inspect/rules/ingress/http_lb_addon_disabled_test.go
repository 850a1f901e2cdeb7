package ingress

import (
	"testing"

	"cloud.google.com/go/container/apiv1/containerpb"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
	networkingv1 "k8s.io/api/networking/v1"
)

func TestHTTPLBAddonDisabled(t *testing.T) {
	t.Parallel()
	runClusterCases(t, HTTPLBAddonDisabled, []clusterCase{
		{name: "addon disabled with an Ingress", disabled: true, want: true},
		{name: "addon disabled, another controller's Ingress", disabled: true, class: "nginx"},
		{name: "addon disabled, Ingresses unreadable", disabled: true, failIngresses: true},
		{name: "addon enabled"},
	})
}

func TestHTTPLBAddonDisabledCounts(t *testing.T) {
	t.Parallel()
	disable := func(cl *inventory.Cluster) *inventory.Cluster {
		cl.Info.AddonsConfig = &containerpb.AddonsConfig{HttpLoadBalancing: &containerpb.HttpLoadBalancing{Disabled: true}}
		return cl
	}
	gce := []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")}
	prod := disable(ruletest.ProdCluster()) // disabled with a gce Ingress: fails
	prod.Ingresses = gce
	edge := edgeCluster() // enabled with a gce Ingress: passes
	edge.Ingresses = gce
	gw := ruletest.Cluster("gw", "us-west1-a", ruletest.Project, "vpc", "nodes") // enabled with a GKE Gateway: passes
	gw.Gateways = []inventory.Gateway{ruletest.Gateway("shop", "gw", "gke-l7-global-external-managed")}
	ops := disable(ruletest.Cluster("ops", "us-central1-a", ruletest.Project, "vpc", "nodes")) // an nginx Ingress only: not judged
	ops.Ingresses = []networkingv1.Ingress{ruletest.Ingress("shop", "site", "nginx", "web")}
	lab := disable(ruletest.Cluster("lab", "asia-east1-a", ruletest.Project, "vpc", "nodes"))   // Ingresses unread: not checked
	dev := disable(ruletest.Cluster("dev", "europe-west4-a", ruletest.Project, "vpc", "nodes")) // no Ingress, Gateways unread: not checked
	inv := ruletest.Inventory(prod, edge, gw, ops, lab, dev)
	ruletest.FailSource(inv, inventory.KubeIngresses, lab.Scope())
	ruletest.FailSource(inv, inventory.KubeGateways, dev.Scope())
	// Judged: prod fails, edge and gw pass; lab and dev not checked.
	c := ruletest.ExpectCounts(t, inv, HTTPLBAddonDisabled, ruletest.Counts{Judged: 3, Passed: 2, Failed: 1, CouldNotCheck: 2})
	expectReason(t, c, inventory.KubeIngresses)
	expectReason(t, c, inventory.KubeGateways)
}
