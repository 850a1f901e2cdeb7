package ingress

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
)

func TestILBNEGAnnotationMissing(t *testing.T) {
	t.Parallel()
	runBackendCases(t, ILBNEGAnnotationMissing, []backendCase{
		{name: "internal Ingress, ClusterIP without NEG: not the NEG 404", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "gce-internal", "web")}, services: []corev1.Service{ruletest.Service("shop", "web", map[string]string{gke.AnnNEG: `{"exposed_ports":{"80":{}}}`})}},
		{name: "internal Ingress, NodePort without NEG: the NEG 404", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "gce-internal", "web")}, services: []corev1.Service{ruletest.NodePort(ruletest.Service("shop", "web", map[string]string{gke.AnnNEG: `{"exposed_ports":{"80":{}}}`}))},
			want: []string{`without "ingress": true: the controller builds NEG backends for class gce-internal`}},
		{name: "regional external Ingress, NodePort without NEG: the NEG 404", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "gce-regional-external", "web")}, services: []corev1.Service{ruletest.NodePort(ruletest.Service("shop", "web", nil))},
			want: []string{`(class gce-regional-external)`}},
		{name: "internal with NEG", ingresses: []networkingv1.Ingress{ruletest.Ingress("shop", "site", "gce-internal", "web")}, services: []corev1.Service{ruletest.Service("shop", "web", map[string]string{gke.AnnNEG: `{"ingress": true}`})}},
	})
}
