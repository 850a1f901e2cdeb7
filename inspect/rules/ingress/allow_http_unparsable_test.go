package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
	networkingv1 "k8s.io/api/networking/v1"
)

func TestAllowHTTPUnparsable(t *testing.T) {
	t.Parallel()
	runSpecCases(t, AllowHTTPUnparsable, []specCase{
		{name: "allow-http no", ing: ingressWith(map[string]string{gke.AnnAllowHTTP: "no"}, nil), want: []string{`is "no", which is not a boolean`}},
		{name: "allow-http FALSE", ing: ingressWith(map[string]string{gke.AnnAllowHTTP: "FALSE"}, nil)},
	})
}

func TestAllowHTTPUnparsableCounts(t *testing.T) {
	t.Parallel()
	// Judged: the 2 GKE Ingresses with allow-http. "no" fails, "FALSE"
	// passes; the Ingress without the annotation and the nginx one (its
	// "no" is not GKE's business) are not judged.
	nginx := renamed("other", ingressWith(map[string]string{gke.AnnAllowHTTP: "no", gke.AnnIngressClass: "nginx"}, nil))
	full, partial := specInventories([]networkingv1.Ingress{
		renamed("no", ingressWith(map[string]string{gke.AnnAllowHTTP: "no"}, nil)),
		renamed("false", ingressWith(map[string]string{gke.AnnAllowHTTP: "FALSE"}, nil)),
		renamed("plain", ingressWith(nil, nil)),
		nginx,
	}, inventory.KubeIngresses)
	ruletest.ExpectCounts(t, full, AllowHTTPUnparsable, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// Cluster edge, holding the same objects, could not be read: one
	// place not checked, its objects not judged.
	expectReason(t, ruletest.ExpectCounts(t, partial, AllowHTTPUnparsable, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1}), inventory.KubeIngresses)
}
