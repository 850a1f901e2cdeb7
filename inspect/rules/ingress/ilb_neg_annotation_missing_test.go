package ingress

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
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

func TestILBNEGAnnotationMissingCounts(t *testing.T) {
	t.Parallel()
	// Ingress site (gce-internal) routes to web, api, cip, bad and nope;
	// ext (gce) to other. Judged: web (NodePort without NEG) fails, api
	// (NEG ingress true) passes. Not judged: cip (ClusterIP, the type
	// check's), bad (invalid JSON, neg-annotation-invalid's), nope (no
	// such Service) and other (behind a gce Ingress only).
	full, partial := objectInventories([]networkingv1.Ingress{
		ruletest.Ingress("shop", "site", "gce-internal", "web", "api", "cip", "bad", "nope"),
		ruletest.Ingress("shop", "ext", "gce", "other"),
	}, []corev1.Service{
		ruletest.NodePort(ruletest.Service("shop", "web", nil)),
		ruletest.Service("shop", "api", map[string]string{gke.AnnNEG: `{"ingress":true}`}),
		ruletest.Service("shop", "cip", nil),
		ruletest.NodePort(ruletest.Service("shop", "bad", map[string]string{gke.AnnNEG: `{ingress`})),
		ruletest.NodePort(ruletest.Service("shop", "other", nil)),
	}, inventory.KubeServices)
	ruletest.ExpectCounts(t, full, ILBNEGAnnotationMissing, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// Cluster edge, holding the same objects, could not be read: one
	// place not checked, its objects not judged.
	expectReason(t, ruletest.ExpectCounts(t, partial, ILBNEGAnnotationMissing, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1}), inventory.KubeServices)
}
