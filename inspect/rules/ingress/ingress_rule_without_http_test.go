package ingress

import (
	"testing"

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
