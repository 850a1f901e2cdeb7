package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestBackendUnhealthy(t *testing.T) {
	t.Parallel()
	runServingCases(t, BackendUnhealthy, []servingCase{
		{name: "all healthy", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY"), "europe-west1-c": health("HEALTHY", "UNHEALTHY")}},
		{name: "one zone down", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY"), "europe-west1-c": health("UNHEALTHY", "UNHEALTHY")},
			want: "no healthy endpoint in 1 of its 2 backend groups: k8s1-0123abcd-shop-web-80-9f8e7d6c (europe-west1-c: 0 of 2 endpoints healthy)"},
		{name: "empty zone is fine", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY"), "europe-west1-c": health()}},
		{name: "nothing anywhere", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health(), "europe-west1-c": health()}, want: "no endpoint at all"},
		{name: "health not read", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": nil, "europe-west1-c": nil}},
	})
}

func TestBackendUnhealthyCounts(t *testing.T) {
	t.Parallel()
	// health is the coverage of a --health auto run that read some
	// groups, not all.
	skipped := func(inv *inventory.Inventory) *inventory.Inventory {
		inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.ComputeBackendHealth, Scope: projectScope,
			Status: inventory.StatusSkipped, Detail: "health read for 1 of 2 backend groups"})
		return inv
	}
	read := func(inv *inventory.Inventory) *inventory.Inventory {
		inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.ComputeBackendHealth, Scope: projectScope, Status: inventory.StatusOK})
		return inv
	}
	// The one backend service (Service shop/web's NEGs), its two groups
	// read: a zone with no healthy endpoint fails it.
	down := map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY"), "europe-west1-c": health("UNHEALTHY", "UNHEALTHY")}
	ruletest.ExpectCounts(t, read(servingInventory(down, true)), BackendUnhealthy, ruletest.Counts{Judged: 1, Failed: 1})
	// Both groups read and each has a healthy endpoint: it passes.
	up := map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY"), "europe-west1-c": health("HEALTHY", "UNHEALTHY")}
	ruletest.ExpectCounts(t, read(servingInventory(up, true)), BackendUnhealthy, ruletest.Counts{Judged: 1, Passed: 1})
	// One group read healthy, the other not read: not judged, and the
	// health read is the gap.
	half := map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY"), "europe-west1-c": nil}
	c := ruletest.ExpectCounts(t, skipped(servingInventory(half, true)), BackendUnhealthy, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeBackendHealth))
	// One group read sick, the other not read: the sick one decides.
	sick := map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("UNHEALTHY"), "europe-west1-c": nil}
	ruletest.ExpectCounts(t, skipped(servingInventory(sick, true)), BackendUnhealthy, ruletest.Counts{Judged: 1, Failed: 1})
}
