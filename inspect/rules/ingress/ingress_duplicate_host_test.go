package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
	networkingv1 "k8s.io/api/networking/v1"
)

func TestIngressDuplicateHost(t *testing.T) {
	t.Parallel()
	runSpecCases(t, IngressDuplicateHost, []specCase{
		{name: "duplicate empty host", ing: ingressWith(nil, func(i *networkingv1.Ingress) {
			i.Spec.Rules[0].Host = ""
			i.Spec.Rules = append(i.Spec.Rules, i.Spec.Rules[0])
		}), want: []string{`both have host "" (any host)`}},
		{name: "distinct hosts", ing: ingressWith(nil, func(i *networkingv1.Ingress) {
			r := i.Spec.Rules[0]
			r.Host = "b.example.com"
			i.Spec.Rules = append(i.Spec.Rules, r)
		})},
		// TranslateIngress skips a rule whose http is nil before it writes
		// the host's path rules (kubernetes/ingress-gce
		// pkg/controller/translator): it replaces nothing.
		{name: "an http-less rule replaces nothing", ing: ingressWith(nil, func(i *networkingv1.Ingress) {
			i.Spec.Rules = append(i.Spec.Rules, networkingv1.IngressRule{Host: i.Spec.Rules[0].Host})
		})},
		{name: "an http-less rule before a served host", ing: ingressWith(nil, func(i *networkingv1.Ingress) {
			i.Spec.Rules = append([]networkingv1.IngressRule{{Host: i.Spec.Rules[0].Host}}, i.Spec.Rules...)
		})},
		{name: "three rules, one host: each replacement reported", ing: ingressWith(nil, func(i *networkingv1.Ingress) {
			i.Spec.Rules = append(i.Spec.Rules, i.Spec.Rules[0], i.Spec.Rules[0])
		}), want: []string{"spec.rules[0] and spec.rules[1]", "spec.rules[1] and spec.rules[2]"}},
	})
}

func TestIngressDuplicateHostCounts(t *testing.T) {
	t.Parallel()
	// Judged: the 2 Ingresses with rules; the one repeating its host fails
	// (one finding per replacement, one resource). The Ingress with only a
	// default backend has no rules: not judged.
	defaultOnly := renamed("default", ingressWith(nil, func(i *networkingv1.Ingress) {
		i.Spec.DefaultBackend = &networkingv1.IngressBackend{Service: i.Spec.Rules[0].HTTP.Paths[0].Backend.Service}
		i.Spec.Rules = nil
	}))
	full, partial := specInventories([]networkingv1.Ingress{
		renamed("dup", ingressWith(nil, func(i *networkingv1.Ingress) { i.Spec.Rules = append(i.Spec.Rules, i.Spec.Rules[0], i.Spec.Rules[0]) })),
		renamed("fine", ingressWith(nil, nil)),
		defaultOnly,
	}, inventory.KubeIngresses)
	ruletest.ExpectCounts(t, full, IngressDuplicateHost, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// Cluster edge, holding the same objects, could not be read: one
	// place not checked, its objects not judged.
	expectReason(t, ruletest.ExpectCounts(t, partial, IngressDuplicateHost, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1}), inventory.KubeIngresses)
}
