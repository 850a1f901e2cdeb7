package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
	corev1 "k8s.io/api/core/v1"
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

func TestAppProtocolsInvalidCounts(t *testing.T) {
	t.Parallel()
	// Judged: the 2 Services with app-protocols; HTTPS2 fails, HTTPS
	// passes. The Service without the annotation is not judged.
	full, partial := objectInventories(nil, []corev1.Service{
		ruletest.Service("shop", "web", map[string]string{gke.AnnAppProtocols: `{"http":"HTTPS2"}`}),
		ruletest.Service("shop", "api", map[string]string{gke.AnnAppProtocols: `{"http":"HTTPS"}`}),
		ruletest.Service("shop", "plain", nil),
	}, inventory.KubeServices)
	ruletest.ExpectCounts(t, full, AppProtocolsInvalid, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// Cluster edge, holding the same objects, could not be read: one
	// place not checked, its objects not judged.
	expectReason(t, ruletest.ExpectCounts(t, partial, AppProtocolsInvalid, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1}), inventory.KubeServices)
}
