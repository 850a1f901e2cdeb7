package gateway

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestGatewayAddressMissing(t *testing.T) {
	t.Parallel()
	addr := func(typ *string, value string) func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
		return func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			store(cl).Spec.Addresses = []inventory.GatewayAddress{{Type: typ, Value: value}}
		}
	}
	regionalAddr := &compute.Address{Name: "store-ip", Address: "10.10.0.9", AddressType: "INTERNAL", Status: "RESERVED",
		Region: ruletest.G("regions/europe-west1"), SelfLink: ruletest.G("regions/europe-west1/addresses/store-ip")}
	// Counts: the GKE Gateways that ask for addresses are judged (store,
	// the world's one), when each address could be looked up.
	runCases(t, GatewayAddressMissing, []gwCase{
		{name: "a reserved global address the Gateway uses", counts: counts(1, 1, 0, 0)},
		{name: "no address asked for", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) { store(cl).Spec.Addresses = nil },
			counts: counts(0, 0, 0, 0)},
		{name: "a name that is not reserved", edit: addr(sp("NamedAddress"), "stroe-ip"),
			want: []string{`spec.addresses names "stroe-ip", which is not a reserved address of project acme-test (a global external address) | GWCER106`}, counts: counts(1, 0, 1, 0)},
		{name: "an IPAddress", edit: addr(nil, "34.120.8.9"), want: []string{`asks for IPAddress "34.120.8.9", but GKE's Gateway takes only type NamedAddress`}},
		{name: "the domain-prefixed spelling", edit: addr(sp("networking.gke.io/NamedAddress"), "store-ip"), want: []string{`asks for networking.gke.io/NamedAddress "store-ip"`}},
		{name: "a regional address for a global class", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.Addresses = []*compute.Address{regionalAddr}
		}, want: []string{`which is a regional (europe-west1) internal address, but class gke-l7-global-external-managed needs a global external address`}},
		{name: "a regional internal address for gke-l7-rilb", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.Addresses = []*compute.Address{regionalAddr}
			store(cl).Spec.GatewayClassName = "gke-l7-rilb"
		}},
		{name: "an address another load balancer uses", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.Addresses[0].Users = []string{ruletest.G("global/forwardingRules/legacy-web")}
		}, want: []string{"which forwarding rule legacy-web of another load balancer already uses"}},
		{name: "a class that is not GKE's", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			store(cl).Spec.GatewayClassName = "istio"
			store(cl).Spec.Addresses = []inventory.GatewayAddress{{Value: "10.0.0.1"}}
		}, counts: counts(0, 0, 0, 0)},
		{name: "addresses not listed", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			store(cl).Spec.Addresses[0].Value = "unknown"
			ruletest.FailSource(inv, inventory.ComputeAddresses, inventory.ProjectScope(ruletest.Project))
		}, gaps: 1, counts: counts(0, 0, 0, 1), reason: `names address "unknown", and the addresses could not be listed`},
	})
}
