package gateway

import (
	"testing"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestGatewayPolicyTargetMissing(t *testing.T) {
	t.Parallel()
	gwPolicy := func(target, kind, group string) inventory.GCPGatewayPolicy {
		return decode[inventory.GCPGatewayPolicy](t, `{"apiVersion":"networking.gke.io/v1","kind":"GCPGatewayPolicy","metadata":{"name":"store-ssl","namespace":"shop"},
		  "spec":{"targetRef":{"group":"`+group+`","kind":"`+kind+`","name":"`+target+`"},"default":{"sslPolicy":"modern-tls"}}}`)
	}
	// Counts: every policy is judged whose targets could be looked up.
	runCases(t, GatewayPolicyTargetMissing, []gwCase{
		{name: "policies on existing targets", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cl.GCPBackendPolicies = []inventory.GCPBackendPolicy{backendPolicy(t, "web", "web", "True", "Attached")}
			cl.GCPGatewayPolicies = []inventory.GCPGatewayPolicy{gwPolicy("store", "Gateway", "gateway.networking.k8s.io")}
		}, counts: counts(2, 2, 0, 0)},
		{name: "a misspelt Service", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cl.GCPBackendPolicies = []inventory.GCPBackendPolicy{backendPolicy(t, "web", "webb", "False", "TargetNotFound")}
		}, want: []string{`GCPBackendPolicy shop/web: spec.targetRef names Service shop/webb, which does not exist: the policy applies to nothing (TargetNotFound); "web" exists there (a typo?)`}, counts: counts(1, 0, 1, 0)},
		{name: "a target in another namespace", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			p := backendPolicy(t, "frontend", "frontend", "", "")
			p.Spec.TargetRef.Namespace = sp("web-team")
			cl.GCPBackendPolicies = []inventory.GCPBackendPolicy{p}
		}, want: []string{"names Service web-team/frontend in another namespace: GKE attaches a GCPBackendPolicy only to a target in its own namespace (shop)"}},
		{name: "a GCPGatewayPolicy on a Gateway that does not exist", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cl.GCPGatewayPolicies = []inventory.GCPGatewayPolicy{gwPolicy("stroe", "Gateway", "gateway.networking.k8s.io")}
		}, want: []string{`GCPGatewayPolicy shop/store-ssl: spec.targetRef names Gateway shop/stroe, which does not exist | "store" exists there (a typo?)`}},
		{name: "a GCPGatewayPolicy on a Service", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cl.GCPGatewayPolicies = []inventory.GCPGatewayPolicy{gwPolicy("web", "Service", "")}
		}, want: []string{`spec.targetRef names kind "Service": a GCPGatewayPolicy applies to Gateway only`}},
		{name: "a traffic distribution policy, one of its targets missing", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cl.TrafficPolicies = []inventory.GCPTrafficDistributionPolicy{decode[inventory.GCPTrafficDistributionPolicy](t, `{"apiVersion":"networking.gke.io/v1","kind":"GCPTrafficDistributionPolicy",
			  "metadata":{"name":"spread","namespace":"shop"},"spec":{"targetRefs":[{"group":"","kind":"Service","name":"web"},{"group":"","kind":"Service","name":"apii"}]}}`)}
		}, want: []string{`GCPTrafficDistributionPolicy shop/spread: spec.targetRef names Service shop/apii, which does not exist | "api" exists there (a typo?)`}, counts: counts(1, 0, 1, 0)},
		{name: "a HealthCheckPolicy on a ServiceImport (multi-cluster, not read)", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			cl.HealthCheckPolicies = []inventory.HealthCheckPolicy{decode[inventory.HealthCheckPolicy](t, `{"metadata":{"name":"hc","namespace":"shop"},"spec":{"targetRef":{"group":"net.gke.io","kind":"ServiceImport","name":"store"}}}`)}
		}, counts: counts(0, 0, 0, 0)},
		{name: "Services not read", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			cl.GCPBackendPolicies = []inventory.GCPBackendPolicy{backendPolicy(t, "web", "gone", "", "")}
			ruletest.FailSource(inv, inventory.KubeServices, cl.Scope())
		}, counts: counts(0, 0, 0, 1), reason: string(inventory.KubeServices)},
	})
}
