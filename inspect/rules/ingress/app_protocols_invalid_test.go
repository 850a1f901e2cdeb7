package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/gke"
)

func TestAppProtocolsInvalid(t *testing.T) {
	t.Parallel()
	runAnnotationCases(t, AppProtocolsInvalid, []annotationCase{
		{name: "protocol misspelt", ann: map[string]string{gke.AnnAppProtocols: `{"https":"HTTPS2"}`}, want: []string{`"https" maps to "HTTPS2"`}},
		{name: "protocol keyed by number", ann: map[string]string{gke.AnnAppProtocols: `{"443":"HTTPS"}`}, want: []string{`key "443" is a port number`},
			fix: `cloud.google.com/app-protocols='{"https":"HTTPS"}'`},
		{name: "alpha key read first", ann: map[string]string{gke.AnnAppProtocolsAlpha: `{"https":"TCP"}`, gke.AnnAppProtocols: `{"https":"HTTPS"}`}, want: []string{"service.alpha.kubernetes.io/app-protocols"}},
		{name: "protocols fine", ann: map[string]string{gke.AnnAppProtocols: `{"https":"HTTP2"}`}},
	})
}
