package ingress

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestIngressServiceMissing(t *testing.T) {
	t.Parallel()
	runBackendCases(t, IngressServiceMissing, []backendCase{
		// Every rule must survive a resource backend (check-gke-ingress
		// crashes on it).
		{name: "a resource backend crashes nothing", ingresses: []networkingv1.Ingress{func() networkingv1.Ingress {
			ing := ruletest.Ingress("shop", "site", "", "web")
			ing.Spec.DefaultBackend = &networkingv1.IngressBackend{Resource: &corev1.TypedLocalObjectReference{Kind: "StorageBucket", Name: "static"}}
			return ing
		}()}, services: []corev1.Service{ruletest.Service("shop", "web", nil)}},
		{name: "Service exists", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")}, services: []corev1.Service{ruletest.Service("shop", "web", nil)}},
		{name: "Service in another namespace", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")}, services: []corev1.Service{ruletest.Service("default", "web", nil)},
			want: []string{`routes to Service "web", which does not exist in namespace shop`}},
		{name: "another controller's Ingress", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "nginx", "web")}},
		{name: "Service list failed", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")}, fail: inventory.KubeServices},
	})
}

func TestIngressServiceMissingCounts(t *testing.T) {
	t.Parallel()
	// Judged: the 2 GKE Ingresses routing to Services; a (to web) passes,
	// b (to nope) fails. c routes to no Service and the nginx one is not
	// GKE's: not judged.
	ings := []networkingv1.Ingress{
		ruletest.Ingress("shop", "a", "", "web"),
		ruletest.Ingress("shop", "b", "", "web", "nope"),
		ruletest.Ingress("shop", "c", ""),
		ruletest.Ingress("shop", "d", "nginx", "nope"),
	}
	svcs := []corev1.Service{ruletest.Service("shop", "web", nil)}
	full, partial := objectInventories(ings, svcs, inventory.KubeServices)
	ruletest.ExpectCounts(t, full, IngressServiceMissing, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// Cluster edge, holding the same objects, could not be read: one
	// place not checked, its objects not judged.
	expectReason(t, ruletest.ExpectCounts(t, partial, IngressServiceMissing, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1}), inventory.KubeServices)

	// Service shop/hidden could not be read on its own: Ingress e, routing
	// to it, is not judged, one place not checked.
	cl := ruletest.ProdCluster()
	cl.Ingresses, cl.Services = append(ings, ruletest.Ingress("shop", "e", "", "web", "hidden")), svcs
	inv := ruletest.Inventory(cl)
	inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.KubeServices, Scope: inventory.ObjectScope(cl.Scope(), "services", "shop", "hidden"),
		Status: inventory.StatusError, Error: "services \"hidden\" is forbidden"})
	c := ruletest.ExpectCounts(t, inv, IngressServiceMissing, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1})
	expectReason(t, c, inventory.KubeServices)
}
