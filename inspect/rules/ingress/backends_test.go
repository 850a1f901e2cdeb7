package ingress

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// backendCase is a cluster's Ingresses and Services, a source that could
// not be read, and the findings expected (substrings, in order).
type backendCase struct {
	name      string
	ingresses []networkingv1.Ingress
	services  []corev1.Service
	fail      inventory.Source
	want      []string
}

// runBackendCases runs rule on each case's cluster prod.
func runBackendCases(t *testing.T, rule *inspect.Rule, tests []backendCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := ruletest.ProdCluster()
			cl.Ingresses, cl.Services = tc.ingresses, tc.services
			inv := ruletest.Inventory(cl)
			if tc.fail != "" {
				ruletest.FailSource(inv, tc.fail, cl.Scope())
			}
			ruletest.Expect(t, ruletest.Run(t, inv, rule), tc.want...)
		})
	}
}

// namedPortIngress is an Ingress whose backend names the Service's port.
func namedPortIngress(ns, name, svc, port string) networkingv1.Ingress {
	ing := ruletest.Ingress(ns, name, "", svc)
	ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port = networkingv1.ServiceBackendPort{Name: port}
	return ing
}
