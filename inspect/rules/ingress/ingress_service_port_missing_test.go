package ingress

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
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

func TestIngressServicePortMissingCounts(t *testing.T) {
	t.Parallel()
	// Judged: the 2 Ingresses whose Service exists; a uses port 80 of web
	// and passes, b names port "nope" and fails. c routes only to a
	// missing Service (ingress-service-missing's): not judged.
	full, partial := objectInventories([]networkingv1.Ingress{
		ruletest.Ingress("shop", "a", "", "web"),
		namedPortIngress("shop", "b", "web", "nope"),
		ruletest.Ingress("shop", "c", "", "gone"),
	}, []corev1.Service{ruletest.Service("shop", "web", nil)}, inventory.KubeServices)
	ruletest.ExpectCounts(t, full, IngressServicePortMissing, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// Cluster edge, holding the same objects, could not be read: one
	// place not checked, its objects not judged.
	expectReason(t, ruletest.ExpectCounts(t, partial, IngressServicePortMissing, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1}), inventory.KubeServices)
}
