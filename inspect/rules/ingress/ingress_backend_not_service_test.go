package ingress

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
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
