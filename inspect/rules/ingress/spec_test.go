package ingress

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// specCase is an Ingress shop/site (to Service shop/web), the
// FrontendConfigs of namespace shop, and the findings expected.
type specCase struct {
	name string
	ing  networkingv1.Ingress
	fcs  []string
	want []string
}

func runSpecCases(t *testing.T, rule *inspect.Rule, tests []specCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := ruletest.ProdCluster()
			cl.Ingresses = []networkingv1.Ingress{tc.ing}
			cl.Services = []corev1.Service{ruletest.Service("shop", "web", nil)}
			for _, n := range tc.fcs {
				var fc inventory.FrontendConfig
				fc.Namespace, fc.Name = "shop", n
				cl.FrontendConfigs = append(cl.FrontendConfigs, fc)
			}
			ruletest.Expect(t, ruletest.Run(t, ruletest.Inventory(cl), rule), tc.want...)
		})
	}
}

// ingressWith is Ingress shop/site with these annotations, edited.
func ingressWith(ann map[string]string, edit func(*networkingv1.Ingress)) networkingv1.Ingress {
	ing := ruletest.Ingress("shop", "site", "", "web")
	for k, v := range ann {
		ing.Annotations[k] = v
	}
	if edit != nil {
		edit(&ing)
	}
	return ing
}

// tlsNoSecret gives an Ingress a TLS entry without a secretName.
func tlsNoSecret(ing *networkingv1.Ingress) {
	ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{"a.example.com"}}}
}
