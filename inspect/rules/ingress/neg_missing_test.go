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

func TestNEGMissingCounts(t *testing.T) {
	t.Parallel()
	status := func(neg string, zones string) map[string]string {
		return map[string]string{gke.AnnNEGStatus: `{"network_endpoint_groups":{"80":"` + neg + `"},"zones":[` + zones + `]}`}
	}
	zoneB := ruletest.ComputeBase + ruletest.Project + "/zones/europe-west1-b/networkEndpointGroups/"
	cl := ruletest.ProdCluster()
	cl.Services = []corev1.Service{
		ruletest.Service("shop", "web", status("k8s1-x-shop-web-80-y", `"europe-west1-b","europe-west1-c"`)), // missing in c: fails
		ruletest.Service("shop", "api", status("k8s1-x-shop-api-80-y", `"europe-west1-b"`)),                  // present: passes
		ruletest.Service("shop", "plain", nil),                                                               // no neg-status: not judged
	}
	inv := ruletest.Inventory(cl)
	inv.Compute.NEGs = []*compute.NetworkEndpointGroup{
		{Name: "k8s1-x-shop-web-80-y", SelfLink: zoneB + "k8s1-x-shop-web-80-y"},
		{Name: "k8s1-x-shop-api-80-y", SelfLink: zoneB + "k8s1-x-shop-api-80-y"},
	}
	ruletest.ExpectCounts(t, inv, NEGMissing, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})

	// The NEGs could not be listed: nothing judged, the project not
	// checked.
	ruletest.FailSource(inv, inventory.ComputeNEGs, inventory.ProjectScope(ruletest.Project))
	c := ruletest.ExpectCounts(t, inv, NEGMissing, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, inventory.ComputeNEGs)
}
