package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestSessionAffinityLocalityPolicy(t *testing.T) {
	t.Parallel()
	runInventoryCases(t, SessionAffinityLocalityPolicy, []inventoryCase{
		{"Envoy affinity with ROUND_ROBIN", backendService(func(b *compute.BackendService) { b.SessionAffinity = "GENERATED_COOKIE" }),
			[]string{"its localityLbPolicy is unset (ROUND_ROBIN): the affinity does not take effect"}},
		{"Envoy affinity with RING_HASH", backendService(func(b *compute.BackendService) { b.SessionAffinity, b.LocalityLbPolicy = "HTTP_COOKIE", "RING_HASH" }),
			nil},
		{"classic affinity: the policy does not apply", backendService(func(b *compute.BackendService) {
			b.SessionAffinity, b.LoadBalancingScheme = "GENERATED_COOKIE", "EXTERNAL"
		}),
			nil},
	})
}

func TestSessionAffinityLocalityPolicyCounts(t *testing.T) {
	t.Parallel()
	// Envoy-based backend services with affinity are judged: web (cookie,
	// ROUND_ROBIN) fails, ring (RING_HASH) passes; plain has no affinity
	// and classic is the classic scheme: neither is judged.
	inv := backendServicesProject(
		webLike("web", func(b *compute.BackendService) { b.SessionAffinity = "GENERATED_COOKIE" }),
		webLike("ring", func(b *compute.BackendService) { b.SessionAffinity, b.LocalityLbPolicy = "HTTP_COOKIE", "RING_HASH" }),
		webLike("plain", nil),
		webLike("classic", func(b *compute.BackendService) {
			b.SessionAffinity, b.LoadBalancingScheme = "GENERATED_COOKIE", "EXTERNAL"
		}))
	ruletest.ExpectCounts(t, inv, SessionAffinityLocalityPolicy, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	ruletest.FailSource(inv, inventory.ComputeBackendServices, projectScope)
	c := ruletest.ExpectCounts(t, inv, SessionAffinityLocalityPolicy, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeBackendServices))
}
