package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
	corev1 "k8s.io/api/core/v1"
)

func TestBackendConfigAnnotationInvalid(t *testing.T) {
	t.Parallel()
	runAnnotationCases(t, BackendConfigAnnotationInvalid, []annotationCase{
		{name: "backend-config not JSON", ann: map[string]string{gke.AnnBackendConfig: `{"default":`}, want: []string{"is not valid JSON"}},
		{name: "backend-config without fields", ann: map[string]string{gke.AnnBackendConfig: `{"defaults":"x"}`}, want: []string{`neither "default" nor "ports"`}},
		{name: "backend-config with ports", ann: map[string]string{gke.AnnBackendConfig: `{"ports":{"https":"x"}}`}},
	})
}

func TestBackendConfigAnnotationInvalidCounts(t *testing.T) {
	t.Parallel()
	// Judged: the 3 Services with backend-config; invalid JSON and a value
	// naming nothing fail, {"default":"bc"} passes. The Service without
	// the annotation is not judged.
	full, partial := objectInventories(nil, []corev1.Service{
		ruletest.Service("shop", "web", map[string]string{gke.AnnBackendConfig: `{"default":`}),
		ruletest.Service("shop", "empty", map[string]string{gke.AnnBackendConfig: `{"defaults":"x"}`}),
		ruletest.Service("shop", "api", map[string]string{gke.AnnBackendConfig: `{"default":"bc"}`}),
		ruletest.Service("shop", "plain", nil),
	}, inventory.KubeServices)
	ruletest.ExpectCounts(t, full, BackendConfigAnnotationInvalid, ruletest.Counts{Judged: 3, Passed: 1, Failed: 2})
	// Cluster edge, holding the same objects, could not be read: one
	// place not checked, its objects not judged.
	expectReason(t, ruletest.ExpectCounts(t, partial, BackendConfigAnnotationInvalid, ruletest.Counts{Judged: 3, Passed: 1, Failed: 2, CouldNotCheck: 1}), inventory.KubeServices)
}
