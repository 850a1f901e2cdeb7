package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
	networkingv1 "k8s.io/api/networking/v1"
)

func TestIngressRuleWithoutHTTP(t *testing.T) {
	t.Parallel()
	runSpecCases(t, IngressRuleWithoutHTTP, []specCase{
		{name: "rule without http", ing: ingressWith(nil, func(i *networkingv1.Ingress) {
			i.Spec.Rules = append(i.Spec.Rules, networkingv1.IngressRule{Host: "docs.example.com"})
		}), want: []string{"spec.rules[1] (host docs.example.com) has no http block"}},
		{name: "http-less rule whose host another rule serves: dead weight, not the default backend", ing: ingressWith(nil, func(i *networkingv1.Ingress) {
			i.Spec.Rules = append(i.Spec.Rules, networkingv1.IngressRule{Host: i.Spec.Rules[0].Host})
		}), want: []string{"spec.rules[0] serves that host, so the rule is only dead weight"}},
	})
}

func TestIngressRuleWithoutHTTPCounts(t *testing.T) {
	t.Parallel()
	// Judged: the 2 Ingresses with rules; the one with an http-less rule
	// fails. The Ingress with only a default backend is not judged.
	defaultOnly := renamed("default", ingressWith(nil, func(i *networkingv1.Ingress) {
		i.Spec.DefaultBackend = &networkingv1.IngressBackend{Service: i.Spec.Rules[0].HTTP.Paths[0].Backend.Service}
		i.Spec.Rules = nil
	}))
	full, partial := specInventories([]networkingv1.Ingress{
		renamed("docs", ingressWith(nil, func(i *networkingv1.Ingress) {
			i.Spec.Rules = append(i.Spec.Rules, networkingv1.IngressRule{Host: "docs.example.com"})
		})),
		renamed("fine", ingressWith(nil, nil)),
		defaultOnly,
	}, inventory.KubeIngresses)
	ruletest.ExpectCounts(t, full, IngressRuleWithoutHTTP, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// Cluster edge, holding the same objects, could not be read: one
	// place not checked, its objects not judged.
	expectReason(t, ruletest.ExpectCounts(t, partial, IngressRuleWithoutHTTP, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1}), inventory.KubeIngresses)
}
