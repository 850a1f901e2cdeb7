package ingress

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
)

func TestServiceTypeInvalid(t *testing.T) {
	t.Parallel()
	runBackendCases(t, ServiceTypeInvalid, []backendCase{
		{name: "ClusterIP without NEG", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web", "web")}, services: []corev1.Service{ruletest.Service("shop", "web", nil)},
			want: []string{"Service shop/web: Service is of type ClusterIP"}},
		{name: "ClusterIP with NEG", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")}, services: []corev1.Service{ruletest.Service("shop", "web", map[string]string{gke.AnnNEG: `{"ingress":true}`})}},
		// maybeEnableNEG (kubernetes/ingress-gce pkg/controller/translator)
		// checks the Service type before it forces NEGs for the regional
		// classes: a ClusterIP Service without "ingress": true fails with
		// ErrBadSvcType whatever the class.
		{name: "internal Ingress, ClusterIP without NEG: the type error", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "gce-internal", "web")}, services: []corev1.Service{ruletest.Service("shop", "web", nil)},
			want: []string{`(class gce-internal) routes to it: the controller fails with service "shop/web" is type "ClusterIP", expected "NodePort" or "LoadBalancer"`}},
		{name: "regional external Ingress, ClusterIP without NEG: the type error", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "gce-regional-external", "web")}, services: []corev1.Service{ruletest.Service("shop", "web", nil)},
			want: []string{`(class gce-regional-external)`}},
		{name: "internal Ingress, NodePort without NEG: passes the type check", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "gce-internal", "web")}, services: []corev1.Service{ruletest.NodePort(ruletest.Service("shop", "web", nil))}},
	})
}
