package ingress

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
)

func TestIngressServicePortMissing(t *testing.T) {
	t.Parallel()
	runBackendCases(t, IngressServicePortMissing, []backendCase{
		{name: "port by number", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")}, services: []corev1.Service{ruletest.Service("shop", "web", nil)}},
		{name: "target port used as port", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")},
			services: []corev1.Service{ruletest.Service("shop", "web", nil, corev1.ServicePort{Name: "http", Port: 8080, TargetPort: intstr.FromInt(80)})},
			want:     []string{"uses port 80 of Service web, which has no port of that number"}},
		{name: "port by name", ingresses: []networkingv1.Ingress{namedPortIngress("shop", "site", "web", "http")}, services: []corev1.Service{ruletest.Service("shop", "web", nil)}},
		{name: "name not number", ingresses: []networkingv1.Ingress{namedPortIngress("shop", "site", "web", "80")}, services: []corev1.Service{ruletest.Service("shop", "web", nil)},
			want: []string{"uses port 80 of Service web, which has no port of that name"}},
		{name: "Service missing is the other rule's", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")}},
	})
}
