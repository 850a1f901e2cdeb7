package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestHealthCheckPortMismatch(t *testing.T) {
	t.Parallel()
	runInventoryCases(t, HealthCheckPortMismatch, []inventoryCase{
		{"fixed port that the group does not serve", func() *inventory.Inventory { return hcBackend("HTTP", 80, "HTTP", fixedPort(8080)) },
			[]string{`probes fixed port 8080, but instance group web-ig's named port "http" is 80`}},
		{"fixed port that the group serves", func() *inventory.Inventory { return hcBackend("HTTP", 8080, "HTTP", fixedPort(8080)) },
			nil},
		{"serving port", func() *inventory.Inventory { return hcBackend("HTTP", 80, "HTTP", servingPort) }, nil},
		{"named port the group lacks", func() *inventory.Inventory {
			return hcBackend("HTTP", 80, "HTTP", &compute.HTTPHealthCheck{PortName: "health", PortSpecification: "USE_NAMED_PORT"})
		}, []string{`instance group web-ig has no named port "health"`}},
		{"a passthrough load balancer has no serving port", func() *inventory.Inventory {
			inv := hcBackend("TCP", 80, "TCP", fixedPort(5432))
			inv.Compute.BackendServices[0].LoadBalancingScheme = "INTERNAL"
			inv.Compute.BackendServices[0].Region = ruletest.G("regions/us-east1")
			return inv
		}, nil},
		{"instance groups unreadable", func() *inventory.Inventory {
			inv := hcBackend("HTTP", 80, "HTTP", fixedPort(8080))
			ruletest.FailSource(inv, inventory.ComputeInstanceGroups, inventory.ProjectScope(ruletest.Project))
			return inv
		}, nil},
	})
}

func TestHealthCheckPortMismatchCounts(t *testing.T) {
	t.Parallel()
	// Proxy backend services whose probed port lbdiag can compare are
	// judged: web (fixed 8080, the group serves 80) fails, api (serving
	// port) passes; ext probes a fixed port of an internet NEG whose port
	// lbdiag does not know, so it is not judged.
	inv := hcBackend("HTTP", 80, "HTTP", fixedPort(8080))
	addBackend(inv, "api", "HTTP", webIG, &compute.HealthCheck{Name: "api-hc", Type: "HTTP", HttpHealthCheck: servingPort})
	addBackend(inv, "ext", "HTTPS", ruletest.G("global/networkEndpointGroups/ext-neg"), &compute.HealthCheck{Name: "ext-hc", Type: "HTTP", HttpHealthCheck: fixedPort(8080)})
	ruletest.ExpectCounts(t, inv, HealthCheckPortMismatch, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// The instance groups unreadable: the project could not be checked.
	ruletest.FailSource(inv, inventory.ComputeInstanceGroups, projectScope)
	c := ruletest.ExpectCounts(t, inv, HealthCheckPortMismatch, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeInstanceGroups))
}
