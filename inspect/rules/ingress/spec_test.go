package ingress

import (
	"strings"
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

// edgeCluster is a second cluster, edge in us-east1-b, for the counts
// tests: each makes one of its sources unreadable.
func edgeCluster() *inventory.Cluster {
	return ruletest.Cluster("edge", "us-east1-b", ruletest.Project, "vpc", "nodes")
}

// expectReason checks that one of a check's reasons names the source.
func expectReason(t *testing.T, c inspect.Check, s inventory.Source) {
	t.Helper()
	for _, r := range c.Reasons {
		if strings.Contains(r, string(s)) {
			return
		}
	}
	t.Errorf("rule %s: reasons %q do not mention %s", c.Rule, c.Reasons, s)
}

// renamed is the Ingress with another name.
func renamed(name string, ing networkingv1.Ingress) networkingv1.Ingress {
	ing.Name = name
	return ing
}

// specInventories are cluster prod with the Ingresses given (to Service
// shop/web), as objectInventories makes them.
func specInventories(ings []networkingv1.Ingress, unread inventory.Source) (full, partial *inventory.Inventory) {
	return objectInventories(ings, []corev1.Service{ruletest.Service("shop", "web", nil)}, unread)
}

// objectInventories are two inventories for the counts tests: full is
// cluster prod with the Ingresses and Services given; partial adds cluster
// edge holding the same objects, whose source unread could not be read.
func objectInventories(ings []networkingv1.Ingress, svcs []corev1.Service, unread inventory.Source) (full, partial *inventory.Inventory) {
	cl := ruletest.ProdCluster()
	cl.Ingresses, cl.Services = ings, svcs
	edge := edgeCluster()
	edge.Ingresses, edge.Services = ings, svcs
	partial = ruletest.Inventory(cl, edge)
	ruletest.FailSource(partial, unread, edge.Scope())
	return ruletest.Inventory(cl), partial
}
