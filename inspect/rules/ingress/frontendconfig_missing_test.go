package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
	networkingv1 "k8s.io/api/networking/v1"
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

func TestFrontendConfigMissingCounts(t *testing.T) {
	t.Parallel()
	// Judged: the 2 Ingresses naming a FrontendConfig; "gone" does not
	// exist and fails, "redirect" passes. An empty annotation names none
	// and the plain Ingress names none: not judged.
	cl := ruletest.ProdCluster()
	cl.Ingresses = []networkingv1.Ingress{
		renamed("redirect", ingressWith(map[string]string{gke.AnnFrontendConfig: "redirect"}, nil)),
		renamed("gone", ingressWith(map[string]string{gke.AnnFrontendConfig: "gone"}, nil)),
		renamed("empty", ingressWith(map[string]string{gke.AnnFrontendConfig: ""}, nil)),
		renamed("plain", ingressWith(nil, nil)),
	}
	var fc inventory.FrontendConfig
	fc.Namespace, fc.Name = "shop", "redirect"
	cl.FrontendConfigs = []inventory.FrontendConfig{fc}
	ruletest.ExpectCounts(t, ruletest.Inventory(cl), FrontendConfigMissing, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})

	// Cluster edge's FrontendConfigs could not be read: its Ingress naming
	// one is not judged, one place not checked.
	edge := edgeCluster()
	edge.Ingresses = []networkingv1.Ingress{renamed("redirect", ingressWith(map[string]string{gke.AnnFrontendConfig: "redirect"}, nil))}
	inv := ruletest.Inventory(cl, edge)
	ruletest.FailSource(inv, inventory.KubeFrontendConfigs, edge.Scope())
	c := ruletest.ExpectCounts(t, inv, FrontendConfigMissing, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1})
	expectReason(t, c, inventory.KubeFrontendConfigs)
}
