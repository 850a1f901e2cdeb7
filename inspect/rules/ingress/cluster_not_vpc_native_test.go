package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
	networkingv1 "k8s.io/api/networking/v1"
)

func TestClusterNotVPCNative(t *testing.T) {
	t.Parallel()
	runClusterCases(t, ClusterNotVPCNative, []clusterCase{
		{name: "routes-based with an Ingress", routes: true, want: true},
		{name: "routes-based, another controller's Ingress", routes: true, class: "nginx"},
		{name: "routes-based, Ingresses unreadable", routes: true, failIngresses: true},
		{name: "VPC-native"},
	})
}

func TestClusterNotVPCNativeCounts(t *testing.T) {
	t.Parallel()
	routes := func(cl *inventory.Cluster) *inventory.Cluster {
		cl.Info.IpAllocationPolicy.UseIpAliases = false
		return cl
	}
	gce := []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")}
	prod := routes(ruletest.ProdCluster()) // routes-based with a gce Ingress: fails
	prod.Ingresses = gce
	edge := edgeCluster() // VPC-native with a gce Ingress: passes
	edge.Ingresses = gce
	ops := routes(ruletest.Cluster("ops", "us-central1-a", ruletest.Project, "vpc", "nodes")) // an nginx Ingress only: not judged
	ops.Ingresses = []networkingv1.Ingress{ruletest.Ingress("shop", "site", "nginx", "web")}
	lab := routes(ruletest.Cluster("lab", "asia-east1-a", ruletest.Project, "vpc", "nodes")) // routes-based, Ingresses unread: not checked
	dev := ruletest.Cluster("dev", "europe-west4-a", ruletest.Project, "vpc", "nodes")       // VPC-native, Ingresses unread: passes whatever it serves, not judged
	inv := ruletest.Inventory(prod, edge, ops, lab, dev)
	ruletest.FailSource(inv, inventory.KubeIngresses, lab.Scope())
	ruletest.FailSource(inv, inventory.KubeIngresses, dev.Scope())
	// Judged: prod (fails) and edge (passes); lab is the one place not
	// checked.
	c := ruletest.ExpectCounts(t, inv, ClusterNotVPCNative, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1})
	expectReason(t, c, inventory.KubeIngresses)
}
