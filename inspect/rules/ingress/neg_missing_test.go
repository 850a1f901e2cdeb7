package ingress

import (
	"testing"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestNEGMissing(t *testing.T) {
	t.Parallel()
	cl := ruletest.ProdCluster()
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", map[string]string{gke.AnnNEGStatus: `{"network_endpoint_groups":{"80":"k8s1-x-shop-web-80-y"},"zones":["europe-west1-b","europe-west1-c"]}`})}
	inv := ruletest.Inventory(cl)
	inv.Compute.NEGs = []*compute.NetworkEndpointGroup{{Name: "k8s1-x-shop-web-80-y", SelfLink: ruletest.ComputeBase + ruletest.Project + "/zones/europe-west1-b/networkEndpointGroups/k8s1-x-shop-web-80-y"}}
	ruletest.Expect(t, ruletest.Run(t, inv, NEGMissing), "k8s1-x-shop-web-80-y in europe-west1-c (port 80)")
	ruletest.FailSource(inv, inventory.ComputeNEGs, inventory.ProjectScope(ruletest.Project))
	ruletest.Expect(t, ruletest.Run(t, inv, NEGMissing))
}
