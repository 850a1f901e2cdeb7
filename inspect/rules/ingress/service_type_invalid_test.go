package ingress

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
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

func TestServiceTypeInvalidCounts(t *testing.T) {
	t.Parallel()
	// Ingress site routes to web, api, np and gone. Judged: the 3 Services
	// that exist; web (ClusterIP without NEG) fails, api (NEG) and np
	// (NodePort) pass. unused, which no Ingress reaches, is not judged.
	full, partial := objectInventories([]networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web", "api", "np", "gone")}, []corev1.Service{
		ruletest.Service("shop", "web", nil),
		ruletest.Service("shop", "api", map[string]string{gke.AnnNEG: `{"ingress":true}`}),
		ruletest.NodePort(ruletest.Service("shop", "np", nil)),
		ruletest.Service("shop", "unused", nil),
	}, inventory.KubeServices)
	ruletest.ExpectCounts(t, full, ServiceTypeInvalid, ruletest.Counts{Judged: 3, Passed: 2, Failed: 1})
	// Cluster edge, holding the same objects, could not be read: one
	// place not checked, its objects not judged.
	expectReason(t, ruletest.ExpectCounts(t, partial, ServiceTypeInvalid, ruletest.Counts{Judged: 3, Passed: 2, Failed: 1, CouldNotCheck: 1}), inventory.KubeServices)
}
