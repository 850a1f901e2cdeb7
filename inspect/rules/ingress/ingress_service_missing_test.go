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
