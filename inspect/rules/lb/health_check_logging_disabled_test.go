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

func TestHealthCheckLoggingDisabledCounts(t *testing.T) {
	t.Parallel()
	// Health checks of backend services with unhealthy backends are
	// judged: web-hc (web: 1 of 2 healthy, no logs) fails, api-hc (api: 0
	// of 1, logs on) passes; ok-hc's backend service is healthy, so it is
	// not judged.
	inv := hcBackend("HTTP", 80, "HTTP", servingPort)
	addBackend(inv, "api", "HTTP", webIG, &compute.HealthCheck{Name: "api-hc", Type: "HTTP", HttpHealthCheck: servingPort, LogConfig: &compute.HealthCheckLogConfig{Enable: true}})
	addBackend(inv, "ok", "HTTP", webIG, &compute.HealthCheck{Name: "ok-hc", Type: "HTTP", HttpHealthCheck: servingPort})
	states := func(s ...string) map[string]*compute.BackendServiceGroupHealth {
		return map[string]*compute.BackendServiceGroupHealth{webIG: health(s...)}
	}
	inv.Compute.BackendHealth = map[string]map[string]*compute.BackendServiceGroupHealth{
		ruletest.G("global/backendServices/web"): states("UNHEALTHY", "HEALTHY"),
		ruletest.G("global/backendServices/api"): states("UNHEALTHY"),
		ruletest.G("global/backendServices/ok"):  states("HEALTHY"),
	}
	inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.ComputeBackendHealth, Scope: projectScope, Status: inventory.StatusOK})
	ruletest.ExpectCounts(t, inv, HealthCheckLoggingDisabled, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// Health not read (--health none): nothing judged, the health read is
	// the gap.
	c := ruletest.ExpectCounts(t, hcBackend("HTTP", 80, "HTTP", servingPort), HealthCheckLoggingDisabled, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeBackendHealth))
}
