package ingress

import (
	"testing"

	"cloud.google.com/go/container/apiv1/containerpb"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// clusterCase is cluster prod with a gce Ingress (or one of class), its
// HTTP load-balancing add-on disabled or not, routes-based or VPC-native,
// its Ingresses unreadable or not, and whether the rule fires.
type clusterCase struct {
	name          string
	disabled      bool
	routes        bool
	class         string
	failIngresses bool
	want          bool
}

func runClusterCases(t *testing.T, rule *inspect.Rule, tests []clusterCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := ruletest.ProdCluster()
			cl.Info.AddonsConfig = nil
			if tc.disabled {
				cl.Info.AddonsConfig = &containerpb.AddonsConfig{HttpLoadBalancing: &containerpb.HttpLoadBalancing{Disabled: true}}
			}
			cl.Info.IpAllocationPolicy.UseIpAliases = !tc.routes
			cl.Ingresses = []networkingv1.Ingress{ruletest.Ingress("shop", "site", tc.class, "web")}
			inv := ruletest.Inventory(cl)
			if tc.failIngresses {
				ruletest.FailSource(inv, inventory.KubeIngresses, cl.Scope())
			}
			got := ruletest.Run(t, inv, rule)
			if (len(got) == 1) != tc.want {
				t.Errorf("%s: %v", rule.ID, ruletest.Messages(got))
			}
			if len(got) == 1 && (got[0].Resource.Kind != "Cluster" || got[0].Resource.Name != "prod") {
				t.Errorf("resource %+v", got[0].Resource)
			}
		})
	}
}
