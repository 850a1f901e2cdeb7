package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"
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
