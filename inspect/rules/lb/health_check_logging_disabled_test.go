package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestHealthCheckLoggingDisabled(t *testing.T) {
	t.Parallel()
	runInventoryCases(t, HealthCheckLoggingDisabled, []inventoryCase{
		{"unhealthy and no probe logs", func() *inventory.Inventory {
			inv := hcBackend("HTTP", 80, "HTTP", servingPort)
			inv.Compute.BackendHealth = map[string]map[string]*compute.BackendServiceGroupHealth{ruletest.G("global/backendServices/web"): {
				ruletest.G("zones/us-east1-b/instanceGroups/web-ig"): {HealthStatus: []*compute.HealthStatus{{HealthState: "UNHEALTHY"}, {HealthState: "HEALTHY"}}}}}
			return inv
		}, []string{"Health check web-hc does not log its probes, and backend service web has unhealthy backends (web-ig (us-east1-b): 1 of 2 healthy)"}},
		{"unhealthy, with probe logs", func() *inventory.Inventory {
			inv := hcBackend("HTTP", 80, "HTTP", servingPort)
			inv.Compute.HealthChecks[0].LogConfig = &compute.HealthCheckLogConfig{Enable: true}
			inv.Compute.BackendHealth = map[string]map[string]*compute.BackendServiceGroupHealth{ruletest.G("global/backendServices/web"): {
				ruletest.G("zones/us-east1-b/instanceGroups/web-ig"): {HealthStatus: []*compute.HealthStatus{{HealthState: "UNHEALTHY"}}}}}
			return inv
		}, nil},
		{"health not read", func() *inventory.Inventory { return hcBackend("HTTP", 80, "HTTP", servingPort) }, nil},
	})
}
