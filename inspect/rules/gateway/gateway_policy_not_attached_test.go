package gateway

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestGatewayPolicyNotAttached(t *testing.T) {
	t.Parallel()
	cl := ruletest.ProdCluster()
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", nil)}
	var pol inventory.GCPBackendPolicy
	pol.Namespace, pol.Name = "shop", "web-policy"
	pol.Spec.TargetRef = inventory.PolicyTargetReference{Kind: "Service", Name: "webb"}
	var ok inventory.GCPBackendPolicy
	ok.Namespace, ok.Name = "shop", "ok"
	ok.Spec.TargetRef = inventory.PolicyTargetReference{Kind: "Service", Name: "web"}
	ok.Status.Conditions = []metav1.Condition{{Type: "Attached", Status: metav1.ConditionTrue}}
	cl.GCPBackendPolicies = []inventory.GCPBackendPolicy{pol, ok}
	inv := ruletest.Inventory(cl)
	ruletest.Expect(t, ruletest.Run(t, inv, GatewayPolicyNotAttached), `Service shop/webb, which does not exist: the policy applies to nothing; "web" exists there (a typo?)`)
	ruletest.FailSource(inv, inventory.KubeServices, cl.Scope())
	ruletest.Expect(t, ruletest.Run(t, inv, GatewayPolicyNotAttached))
}
