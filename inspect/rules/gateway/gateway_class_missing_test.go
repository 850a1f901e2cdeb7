package gateway

import (
	"testing"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestGatewayClassMissing(t *testing.T) {
	t.Parallel()
	// Counts: every Gateway is judged (store, the world's one), where the
	// Gateways and GatewayClasses were read.
	runCases(t, GatewayClassMissing, []gwCase{
		{name: "a GKE class", counts: counts(1, 1, 0, 0)},
		{name: "a typo of a GKE class", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			store(cl).Spec.GatewayClassName = "gke-l7-global-external-manged"
		}, want: []string{`spec.gatewayClassName "gke-l7-global-external-manged" names no GatewayClass of cluster prod | "gke-l7-global-external-managed" is GKE's (a typo?)`}, counts: counts(1, 0, 1, 0)},
		{name: "an -mc class without multi-cluster Gateways", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			store(cl).Spec.GatewayClassName = "gke-l7-gxlb-mc"
		}, want: []string{`the -mc classes exist only where multi-cluster Gateways are enabled`}},
		{name: "no Gateway API on the cluster", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cl.GatewayClasses = nil
			store(cl).Spec.GatewayClassName = "gke-l7-rilb"
		}, want: []string{"the cluster has no GKE GatewayClass: the Gateway API is not enabled"}},
		{name: "another controller's class that exists", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			var istio inventory.GatewayClass
			istio.Name, istio.Spec.ControllerName = "istio", "istio.io/gateway-controller"
			cl.GatewayClasses = append(cl.GatewayClasses, istio)
			store(cl).Spec.GatewayClassName = "istio"
		}, counts: counts(1, 1, 0, 0)},
		{name: "GatewayClasses not read", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			store(cl).Spec.GatewayClassName = "nope"
			ruletest.FailSource(inv, inventory.KubeGatewayClasses, cl.Scope())
		}, counts: counts(0, 0, 0, 1), reason: string(inventory.KubeGatewayClasses)},
	})
}
