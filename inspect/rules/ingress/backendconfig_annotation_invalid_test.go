package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/gke"
)

func TestBackendConfigAnnotationInvalid(t *testing.T) {
	t.Parallel()
	runAnnotationCases(t, BackendConfigAnnotationInvalid, []annotationCase{
		{name: "backend-config not JSON", ann: map[string]string{gke.AnnBackendConfig: `{"default":`}, want: []string{"is not valid JSON"}},
		{name: "backend-config without fields", ann: map[string]string{gke.AnnBackendConfig: `{"defaults":"x"}`}, want: []string{`neither "default" nor "ports"`}},
		{name: "backend-config with ports", ann: map[string]string{gke.AnnBackendConfig: `{"ports":{"https":"x"}}`}},
	})
}
