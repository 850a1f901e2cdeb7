package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"
)

func TestSessionAffinityUtilization(t *testing.T) {
	t.Parallel()
	runInventoryCases(t, SessionAffinityUtilization, []inventoryCase{
		{"affinity with UTILIZATION", backendService(func(b *compute.BackendService) {
			b.SessionAffinity, b.Backends[0].BalancingMode = "CLIENT_IP", "UTILIZATION"
		}), []string{"has session affinity CLIENT_IP, but web-ig (us-east1-b) uses the UTILIZATION balancing mode"}},
		{"affinity with RATE", backendService(func(b *compute.BackendService) { b.SessionAffinity = "CLIENT_IP" }), nil},
		{"UTILIZATION without affinity", backendService(func(b *compute.BackendService) { b.Backends[0].BalancingMode = "UTILIZATION" }), nil},
	})
}
