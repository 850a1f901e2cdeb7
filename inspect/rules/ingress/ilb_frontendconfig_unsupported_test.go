package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
	networkingv1 "k8s.io/api/networking/v1"
)

func TestILBFrontendConfigUnsupported(t *testing.T) {
	t.Parallel()
	runSpecCases(t, ILBFrontendConfigUnsupported, []specCase{
		{name: "FrontendConfig on internal Ingress", ing: ingressWith(map[string]string{gke.AnnIngressClass: "gce-internal", gke.AnnFrontendConfig: "redirect"}, nil), want: []string{"FrontendConfig can only be used with external Ingresses"}},
		{name: "FrontendConfig on external Ingress", ing: ingressWith(map[string]string{gke.AnnFrontendConfig: "redirect"}, nil)},
	})
}

func TestILBFrontendConfigUnsupportedCounts(t *testing.T) {
	t.Parallel()
	// Judged: the 2 gce-internal Ingresses; the one naming a
	// FrontendConfig fails. The external one naming a FrontendConfig is
	// not judged.
	internal := map[string]string{gke.AnnIngressClass: "gce-internal"}
	full, partial := specInventories([]networkingv1.Ingress{
		renamed("ilb-fc", ingressWith(map[string]string{gke.AnnIngressClass: "gce-internal", gke.AnnFrontendConfig: "redirect"}, nil)),
		renamed("ilb", ingressWith(internal, nil)),
		renamed("ext-fc", ingressWith(map[string]string{gke.AnnFrontendConfig: "redirect"}, nil)),
	}, inventory.KubeIngresses)
	ruletest.ExpectCounts(t, full, ILBFrontendConfigUnsupported, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// Cluster edge, holding the same objects, could not be read: one
	// place not checked, its objects not judged.
	expectReason(t, ruletest.ExpectCounts(t, partial, ILBFrontendConfigUnsupported, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1}), inventory.KubeIngresses)
}
