package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/gke"
)

func TestFrontendConfigMissing(t *testing.T) {
	t.Parallel()
	runSpecCases(t, FrontendConfigMissing, []specCase{
		// pkg/frontendconfig: an empty annotation is no FrontendConfig.
		{name: "FrontendConfig annotation empty", ing: ingressWith(map[string]string{gke.AnnFrontendConfig: ""}, nil)},
		{name: "FrontendConfig missing", ing: ingressWith(map[string]string{gke.AnnFrontendConfig: "redirect"}, nil), fcs: []string{"redirects"}, want: []string{`"redirects" exists there (a typo?)`}},
		{name: "FrontendConfig present", ing: ingressWith(map[string]string{gke.AnnFrontendConfig: "redirect"}, nil), fcs: []string{"redirect"}},
	})
}
