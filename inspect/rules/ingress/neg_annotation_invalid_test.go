package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/gke"
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
