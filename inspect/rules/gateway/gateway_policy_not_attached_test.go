package gateway

import (
	"testing"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// backendPolicy is a GCPBackendPolicy shop/NAME targeting Service target,
// with an Attached condition of status and reason ("" for none).
func backendPolicy(t *testing.T, name, target, status, reason string) inventory.GCPBackendPolicy {
	conds := ""
	if status != "" {
		conds = `"conditions":[{"type":"Attached","status":"` + status + `","reason":"` + reason + `","message":"","lastTransitionTime":"2026-06-03T10:00:00Z","observedGeneration":1}]`
	}
	return decode[inventory.GCPBackendPolicy](t, `{"apiVersion":"networking.gke.io/v1","kind":"GCPBackendPolicy",
	  "metadata":{"name":"`+name+`","namespace":"shop","creationTimestamp":"2026-06-03T09:59:00Z"},
	  "spec":{"targetRef":{"group":"","kind":"Service","name":"`+target+`"},"default":{"timeoutSec":60,"securityPolicy":"edge-armor","connectionDraining":{"drainingTimeoutSec":60}}},
	  "status":{`+conds+`}}`)
}

func TestGatewayPolicyNotAttached(t *testing.T) {
	t.Parallel()
	// Counts: the policies with an Attached condition whose target exists
	// are judged.
	runCases(t, GatewayPolicyNotAttached, []gwCase{
		{name: "attached", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cl.GCPBackendPolicies = []inventory.GCPBackendPolicy{backendPolicy(t, "web", "web", "True", "Attached")}
		}, counts: counts(1, 1, 0, 0)},
		{name: "conflicted with an older policy", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cl.GCPBackendPolicies = []inventory.GCPBackendPolicy{backendPolicy(t, "web", "web", "True", "Attached"), backendPolicy(t, "web-2", "web", "False", "Conflicted")}
		}, want: []string{"GCPBackendPolicy shop/web-2: Attached is False (reason Conflicted) | the policy does not apply to Service web"}, counts: counts(2, 1, 1, 0)},
		{name: "a target that does not exist is the other rule's", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cl.GCPBackendPolicies = []inventory.GCPBackendPolicy{backendPolicy(t, "webb", "webb", "False", "TargetNotFound")}
		}, counts: counts(0, 0, 0, 0)},
		{name: "no condition yet", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cl.GCPBackendPolicies = []inventory.GCPBackendPolicy{backendPolicy(t, "web", "web", "", "")}
		}, counts: counts(0, 0, 0, 0)},
		{name: "Services not read", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			cl.GCPBackendPolicies = []inventory.GCPBackendPolicy{backendPolicy(t, "web-2", "web", "False", "Conflicted")}
			ruletest.FailSource(inv, inventory.KubeServices, cl.Scope())
		}, counts: counts(0, 0, 0, 1), reason: string(inventory.KubeServices)},
		{name: "GCPBackendPolicies not read", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			ruletest.FailSource(inv, inventory.KubeGCPBackendPolicies, cl.Scope())
		}, counts: counts(0, 0, 0, 1), reason: string(inventory.KubeGCPBackendPolicies)},
	})
}
