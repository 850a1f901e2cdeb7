package ingress

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestIngressBackendNotService(t *testing.T) {
	t.Parallel()
	runBackendCases(t, IngressBackendNotService, []backendCase{
		{name: "a resource backend cannot be translated", ingresses: []networkingv1.Ingress{func() networkingv1.Ingress {
			ing := ruletest.Ingress("shop", "site", "", "web")
			ing.Spec.DefaultBackend = &networkingv1.IngressBackend{Resource: &corev1.TypedLocalObjectReference{APIGroup: ruletest.Ptr("storage.k8s.io"), Kind: "StorageBucket", Name: "static"}}
			ing.Spec.Rules[0].HTTP.Paths[0].Backend = networkingv1.IngressBackend{Resource: &corev1.TypedLocalObjectReference{Kind: "ConfigMap", Name: "x"}}
			return ing
		}()}, services: []corev1.Service{ruletest.Service("shop", "web", nil)},
			want: []string{`spec.defaultBackend is a resource backend (apiGroup "storage.k8s.io", kind StorageBucket, name static)`, `spec.rules[0].http.paths[0].backend is a resource backend`}},
		{name: "Service backends are fine", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")}, services: []corev1.Service{ruletest.Service("shop", "web", nil)}},
	})
}

func TestIngressBackendNotServiceCounts(t *testing.T) {
	t.Parallel()
	// Judged: the 2 GKE Ingresses; the one with a resource default backend
	// fails. The nginx Ingress is not judged.
	resource := renamed("bucket", ingressWith(nil, func(i *networkingv1.Ingress) {
		i.Spec.DefaultBackend = &networkingv1.IngressBackend{Resource: &corev1.TypedLocalObjectReference{Kind: "StorageBucket", Name: "static"}}
	}))
	full, partial := specInventories([]networkingv1.Ingress{
		resource,
		renamed("fine", ingressWith(nil, nil)),
		ruletest.Ingress("shop", "nginx", "nginx", "web"),
	}, inventory.KubeIngresses)
	ruletest.ExpectCounts(t, full, IngressBackendNotService, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// Cluster edge, holding the same objects, could not be read: one
	// place not checked, its objects not judged.
	expectReason(t, ruletest.ExpectCounts(t, partial, IngressBackendNotService, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1}), inventory.KubeIngresses)
}
