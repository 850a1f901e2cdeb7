package network

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestStaticIPMissing(t *testing.T) {
	t.Parallel()
	runStaticIPCases(t, StaticIPMissing, []staticIPCase{
		{name: "global address exists", ann: map[string]string{gke.AnnGlobalStaticIP: "web-ip"}, addrs: []*compute.Address{ruletest.Address("web-ip", "", "RESERVED")}},
		{name: "only a regional address", ann: map[string]string{gke.AnnGlobalStaticIP: "web-ip"}, addrs: []*compute.Address{ruletest.Address("web-ip", "europe-west1", "RESERVED")},
			want: []string{"a regional address of that name exists in europe-west1"}},
		{name: "regional address in the cluster region", class: "gce-internal", ann: map[string]string{gke.AnnRegionalIP: "ilb-ip"}, addrs: []*compute.Address{ruletest.Address("ilb-ip", "europe-west1", "RESERVED")}},
		{name: "regional address elsewhere", class: "gce-internal", ann: map[string]string{gke.AnnRegionalIP: "ilb-ip"}, addrs: []*compute.Address{ruletest.Address("ilb-ip", "us-east1", "RESERVED")},
			want: []string{"no address of that name in region europe-west1"}},
	})
}

func TestStaticIPMissingCounts(t *testing.T) {
	t.Parallel()
	// One Ingress, shop/site: judged when it names a static IP.
	ann := map[string]string{gke.AnnGlobalStaticIP: "web-ip"}
	exists := staticIPCase{ann: ann, addrs: []*compute.Address{ruletest.Address("web-ip", "", "RESERVED")}}
	ruletest.ExpectCounts(t, staticIPInventory(exists), StaticIPMissing, ruletest.Counts{Judged: 1, Passed: 1})
	ruletest.ExpectCounts(t, staticIPInventory(staticIPCase{ann: ann, addrs: []*compute.Address{ruletest.Address("web-ip", "europe-west1", "RESERVED")}}),
		StaticIPMissing, ruletest.Counts{Judged: 1, Failed: 1}) // only a regional one
	ruletest.ExpectCounts(t, staticIPInventory(staticIPCase{addrs: exists.addrs}), StaticIPMissing, ruletest.Counts{}) // names none

	// The addresses not read: nothing judged, the project not checked.
	inv := staticIPInventory(exists)
	ruletest.FailSource(inv, inventory.ComputeAddresses, inventory.ProjectScope(ruletest.Project))
	expectReason(t, ruletest.ExpectCounts(t, inv, StaticIPMissing, ruletest.Counts{CouldNotCheck: 1}), inventory.ComputeAddresses)
}
