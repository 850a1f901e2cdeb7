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
