package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestLBResourceMissing(t *testing.T) {
	t.Parallel()
	um := func(name string) *compute.UrlMap {
		return &compute.UrlMap{Name: name, SelfLink: ruletest.ComputeBase + ruletest.Project + "/global/urlMaps/" + name}
	}
	setup := func() *inventory.Inventory {
		cl := ruletest.ProdCluster()
		ing := ruletest.Ingress("shop", "site", "", "web")
		ing.Annotations["ingress.kubernetes.io/url-map"] = "k8s2-um-abc-shop-site-xyz"
		cl.Ingresses = []networkingv1.Ingress{ing}
		cl.Services = []corev1.Service{ruletest.Service("shop", "web", nil)}
		return ruletest.Inventory(cl)
	}
	inv := setup()
	inv.Compute.URLMaps = []*compute.UrlMap{um("k8s2-um-abc-shop-site-xyz")}
	ruletest.Expect(t, ruletest.Run(t, inv, LBResourceMissing))
	inv = setup()
	inv.Compute.URLMaps = []*compute.UrlMap{um("hand-made-map")}
	ruletest.Expect(t, ruletest.Run(t, inv, LBResourceMissing), "ingress.kubernetes.io/url-map names global/urlMaps/k8s2-um-abc-shop-site-xyz")
	// URL maps unreadable: cannot tell.
	inv = setup()
	ruletest.FailSource(inv, inventory.ComputeURLMaps, inventory.ProjectScope(ruletest.Project))
	ruletest.Expect(t, ruletest.Run(t, inv, LBResourceMissing))
}
