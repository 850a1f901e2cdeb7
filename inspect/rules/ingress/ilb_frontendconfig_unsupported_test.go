package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/gke"
)

func TestILBFrontendConfigUnsupported(t *testing.T) {
	t.Parallel()
	runSpecCases(t, ILBFrontendConfigUnsupported, []specCase{
		{name: "FrontendConfig on internal Ingress", ing: ingressWith(map[string]string{gke.AnnIngressClass: "gce-internal", gke.AnnFrontendConfig: "redirect"}, nil), want: []string{"FrontendConfig can only be used with external Ingresses"}},
		{name: "FrontendConfig on external Ingress", ing: ingressWith(map[string]string{gke.AnnFrontendConfig: "redirect"}, nil)},
	})
}
