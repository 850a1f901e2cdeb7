package gateway

import (
	"strings"
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

func TestGatewayNotProgrammedCounts(t *testing.T) {
	t.Parallel()
	cl := ruletest.ProdCluster()
	stuck := ruletest.Gateway("shop", "stuck", "gke-l7-regional-external-managed")
	stuck.Status.Conditions = []metav1.Condition{{Type: "Programmed", Status: metav1.ConditionFalse, Reason: "Invalid", Message: "An active proxy-only subnetwork is required"}}
	fine := ruletest.Gateway("shop", "fine", "gke-l7-global-external-managed")
	fine.Status.Conditions = []metav1.Condition{{Type: "Programmed", Status: metav1.ConditionTrue}}
	fresh := ruletest.Gateway("shop", "fresh", "gke-l7-global-external-managed")
	other := ruletest.Gateway("shop", "istio", "istio")
	other.Status.Conditions = stuck.Status.Conditions
	cl.Gateways = []inventory.Gateway{stuck, fine, fresh, other}
	routeWith := func(name, accepted string) inventory.HTTPRoute {
		status := ""
		if accepted != "" {
			status = `,"status":{"parents":[{"parentRef":{"name":"fine"},"controllerName":"networking.gke.io/gateway",
			  "conditions":[{"type":"Accepted","status":"` + accepted + `","reason":"Accepted","message":"","lastTransitionTime":"2026-06-02T09:16:03Z"}]}]}`
		}
		return decode[inventory.HTTPRoute](t, `{"metadata":{"name":"`+name+`","namespace":"shop"},"spec":{"parentRefs":[{"name":"fine"}]}`+status+`}`)
	}
	cl.HTTPRoutes = []inventory.HTTPRoute{routeWith("bad", "False"), routeWith("good", "True"), routeWith("new", "")}
	inv := ruletest.Inventory(cl)
	// Judged: the GKE Gateways with a Programmed condition (stuck fails,
	// fine passes; fresh has none yet, istio is not GKE's) and the
	// HTTPRoutes with a parent status (bad fails, good passes; new has
	// none).
	ruletest.ExpectCounts(t, inv, GatewayNotProgrammed, ruletest.Counts{Judged: 4, Passed: 2, Failed: 2})
	// The Gateways unreadable: only the routes are judged.
	ruletest.FailSource(inv, inventory.KubeGateways, cl.Scope())
	c := ruletest.ExpectCounts(t, inv, GatewayNotProgrammed, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1})
	if !strings.Contains(strings.Join(c.Reasons, "\n"), string(inventory.KubeGateways)) {
		t.Errorf("reasons %q", c.Reasons)
	}
}
