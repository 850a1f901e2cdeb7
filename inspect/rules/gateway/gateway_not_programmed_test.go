package gateway

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestGatewayNotProgrammed(t *testing.T) {
	t.Parallel()
	cl := ruletest.ProdCluster()
	stuck := ruletest.Gateway("shop", "stuck", "gke-l7-regional-external-managed")
	stuck.Status.Conditions = []metav1.Condition{{Type: "Programmed", Status: metav1.ConditionFalse, Reason: "Invalid",
		Message: "An active proxy-only subnetwork is required in the same region and VPC as the forwarding rule."}}
	fine := ruletest.Gateway("shop", "fine", "gke-l7-global-external-managed")
	fine.Status.Conditions = []metav1.Condition{{Type: "Programmed", Status: metav1.ConditionTrue}}
	other := ruletest.Gateway("shop", "istio", "istio")
	other.Status.Conditions = stuck.Status.Conditions
	cl.Gateways = []inventory.Gateway{stuck, fine, other}
	inv := ruletest.Inventory(cl)
	got := ruletest.Run(t, inv, GatewayNotProgrammed)
	ruletest.Expect(t, got, "Programmed is False (reason Invalid): An active proxy-only subnetwork is required")
	// The message's cause is proxy-only-subnet-missing's.
	if a := got[0].AttachTo; a == nil || a.Rule != "proxy-only-subnet-missing" {
		t.Errorf("attachment %+v", got[0].AttachTo)
	}
	ruletest.FailSource(inv, inventory.KubeGateways, cl.Scope())
	ruletest.Expect(t, ruletest.Run(t, inv, GatewayNotProgrammed))
}
