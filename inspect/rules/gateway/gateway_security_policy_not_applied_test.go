package gateway

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestGatewaySecurityPolicyNotApplied(t *testing.T) {
	t.Parallel()
	// The backend service GKE built for shop/web port 80, as the Gateway's
	// networking.gke.io/backend-services annotation names it.
	const bsName = "gkegw1-7k2p-shop-web-80-q2w8e4r6t1y3"
	world := func(bsPolicy string, policies ...*compute.SecurityPolicy) func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
		return func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			cl.GCPBackendPolicies = []inventory.GCPBackendPolicy{backendPolicy(t, "web", "web", "True", "Attached")}
			bs := &compute.BackendService{Name: bsName, SelfLink: ruletest.G("global/backendServices/" + bsName), LoadBalancingScheme: "EXTERNAL_MANAGED"}
			if bsPolicy != "" {
				bs.SecurityPolicy = ruletest.G("global/securityPolicies/" + bsPolicy)
			}
			inv.Compute.BackendServices = []*compute.BackendService{bs}
			inv.Compute.SecurityPolicies = policies
		}
	}
	// Counts: a GCPBackendPolicy naming a Cloud Armor policy is judged when
	// a backend service GKE built for its Service exists (shop/web here).
	runCases(t, GatewaySecurityPolicyNotApplied, []gwCase{
		{name: "the policy is on the backend service", edit: world("edge-armor", ruletest.SecurityPolicy("edge-armor", "")), counts: counts(1, 1, 0, 0)},
		{name: "not applied yet", edit: world("", ruletest.SecurityPolicy("edge-armor", "")),
			want:   []string{`GCPBackendPolicy shop/web names Cloud Armor policy "edge-armor" for Service web, but its backend service ` + bsName + ` (port 80) carries no security policy: the controller has not applied it`},
			counts: counts(1, 0, 1, 0)},
		{name: "another policy on it", edit: world("old-armor", ruletest.SecurityPolicy("edge-armor", ""), ruletest.SecurityPolicy("old-armor", "")),
			want: []string{`carries security policy "old-armor"`}},
		{name: "the policy does not exist", edit: world("", ruletest.SecurityPolicy("edge-armour", "")),
			want: []string{`no Cloud Armor policy "edge-armor" exists in the backend service's scope (global)`}},
		{name: "only a regional policy of that name", edit: world("", ruletest.SecurityPolicy("edge-armor", "europe-west1")),
			want: []string{`no Cloud Armor policy "edge-armor" exists in the backend service's scope (global)`}},
		{name: "the Gateway's backend service is not built yet", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			world("", ruletest.SecurityPolicy("edge-armor", ""))(t, inv, cl)
			inv.Compute.BackendServices = nil
		}, counts: counts(0, 0, 0, 0)},
		{name: "backend services not listed", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			world("", ruletest.SecurityPolicy("edge-armor", ""))(t, inv, cl)
			inv.Compute.BackendServices = nil
			ruletest.FailSource(inv, inventory.ComputeBackendServices, inventory.ProjectScope(ruletest.Project))
		}, counts: counts(0, 0, 0, 1), reason: string(inventory.ComputeBackendServices)},
	})
}
