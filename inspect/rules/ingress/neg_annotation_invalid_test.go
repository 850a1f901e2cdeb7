package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
	corev1 "k8s.io/api/core/v1"
)

func TestNEGAnnotationInvalid(t *testing.T) {
	t.Parallel()
	runAnnotationCases(t, NEGAnnotationInvalid, []annotationCase{
		{name: "NEG not JSON", ann: map[string]string{gke.AnnNEG: `{ingress: true}`}, want: []string{"is not valid JSON"}},
		{name: "NEG exposes a target port", ann: map[string]string{gke.AnnNEG: `{"exposed_ports":{"8443":{}}}`}, want: []string{"exposes port 8443, but the Service's ports are 443"},
			fix: `cloud.google.com/neg='{"exposed_ports":{"443":{}}}'`},
		{name: "NEG exposes a port", ann: map[string]string{gke.AnnNEG: `{"exposed_ports":{"443":{}}}`}},
	})
}

func TestNEGAnnotationInvalidCounts(t *testing.T) {
	t.Parallel()
	// Judged: the 3 Services with cloud.google.com/neg (port 80 each);
	// invalid JSON and exposing 8080 fail, {"ingress":true} passes. The
	// Service without the annotation is not judged.
	full, partial := objectInventories(nil, []corev1.Service{
		ruletest.Service("shop", "web", map[string]string{gke.AnnNEG: `{ingress: true}`}),
		ruletest.Service("shop", "exp", map[string]string{gke.AnnNEG: `{"exposed_ports":{"8080":{}}}`}),
		ruletest.Service("shop", "api", map[string]string{gke.AnnNEG: `{"ingress":true}`}),
		ruletest.Service("shop", "plain", nil),
	}, inventory.KubeServices)
	ruletest.ExpectCounts(t, full, NEGAnnotationInvalid, ruletest.Counts{Judged: 3, Passed: 1, Failed: 2})
	// Cluster edge, holding the same objects, could not be read: one
	// place not checked, its objects not judged.
	expectReason(t, ruletest.ExpectCounts(t, partial, NEGAnnotationInvalid, ruletest.Counts{Judged: 3, Passed: 1, Failed: 2, CouldNotCheck: 1}), inventory.KubeServices)
}
