package inventory

import (
	"testing"

	"cloud.google.com/go/container/apiv1/containerpb"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/gke"
)

// The vectors are the controller's own (kubernetes/ingress-gce
// pkg/utils/namer/frontendnamer_test.go, namer_test.go).
// TestServingBackendServicesByScope keys each backend service by the scope
// its Ingress class builds it in: a gce Ingress's names are global, a
// gce-internal one's regional; Gateways give full paths.
func TestServingBackendServicesByScope(t *testing.T) {
	t.Parallel()
	cl := &Cluster{Project: "p", Info: &containerpb.Cluster{Name: "c", Location: "europe-west1-b"}}
	mk := func(name, class string) networkingv1.Ingress {
		ing := networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, Annotations: map[string]string{
			gke.AnnIngressBackends: `{"k8s1-1234abcd-shop-web-80-5d03f6e2":"HEALTHY"}`}}}
		if class != "" {
			ing.Annotations[gke.AnnIngressClass] = class
		}
		return ing
	}
	cl.Ingresses = []networkingv1.Ingress{mk("ext", ""), mk("int", gke.ClassInternal)}
	var gw Gateway
	gw.Namespace, gw.Name = "shop", "gw"
	gw.Annotations = map[string]string{gke.AnnGatewayBackendServices: "/projects/123/regions/europe-west1/backendServices/gkegw1-ab12-shop-web-80-x, /projects/123/global/backendServices/gkegw1-ab12-shop-api-80-y"}
	cl.Gateways = []Gateway{gw}
	got := ServingBackendServices(cl)
	want := map[string]string{
		"global/backendServices/k8s1-1234abcd-shop-web-80-5d03f6e2":               "Ingress shop/ext",
		"regions/europe-west1/backendServices/k8s1-1234abcd-shop-web-80-5d03f6e2": "Ingress shop/int",
		"regions/europe-west1/backendServices/gkegw1-ab12-shop-web-80-x":          "Gateway shop/gw",
		"global/backendServices/gkegw1-ab12-shop-api-80-y":                        "Gateway shop/gw",
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for k, owner := range want {
		if len(got[k]) != 1 || got[k][0] != owner {
			t.Errorf("%s: %v, want %s", k, got[k], owner)
		}
	}
}
