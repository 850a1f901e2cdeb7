package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
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

func TestLBResourceMissingCounts(t *testing.T) {
	t.Parallel()
	// The objects whose controller annotations name resources are
	// judged: Ingress site (its URL map exists) and Gateway gw (its URL
	// map exists) pass, Ingress old (its URL map is gone) fails; Ingress
	// new has no annotation yet and is not judged.
	cl := ruletest.ProdCluster()
	site, old, fresh := ruletest.Ingress("shop", "site", "", "web"), ruletest.Ingress("shop", "old", "", "web"), ruletest.Ingress("shop", "new", "", "web")
	site.Annotations["ingress.kubernetes.io/url-map"] = "k8s2-um-abc-shop-site-xyz"
	old.Annotations["ingress.kubernetes.io/url-map"] = "k8s2-um-abc-shop-old-xyz"
	cl.Ingresses = []networkingv1.Ingress{site, old, fresh}
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", nil)}
	gw := ruletest.Gateway("shop", "gw", "gke-l7-global-external-managed")
	gw.Annotations = map[string]string{gke.AnnGatewayURLMaps: "/projects/123456789012/global/urlMaps/gkegw1-7k2p-shop-gw-4m1d8v0q2x7z"}
	cl.Gateways = []inventory.Gateway{gw}
	inv := ruletest.Inventory(cl)
	for _, n := range []string{"k8s2-um-abc-shop-site-xyz", "gkegw1-7k2p-shop-gw-4m1d8v0q2x7z"} {
		inv.Compute.URLMaps = append(inv.Compute.URLMaps, &compute.UrlMap{Name: n, SelfLink: ruletest.G("global/urlMaps/" + n)})
	}
	ruletest.ExpectCounts(t, inv, LBResourceMissing, ruletest.Counts{Judged: 3, Passed: 2, Failed: 1})
	// URL maps unreadable: no owner can be judged; the URL maps of the
	// project are the one gap.
	ruletest.FailSource(inv, inventory.ComputeURLMaps, projectScope)
	c := ruletest.ExpectCounts(t, inv, LBResourceMissing, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeURLMaps))
}
