package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestHealthCheckProtocolMismatch(t *testing.T) {
	t.Parallel()
	runInventoryCases(t, HealthCheckProtocolMismatch, []inventoryCase{
		{"plain HTTP probe on a TLS port", func() *inventory.Inventory { return hcBackend("HTTPS", 443, "HTTP", servingPort) },
			[]string{"it speaks plain text to a port that speaks TLS"}},
		{"plain HTTP probe on another port", func() *inventory.Inventory { return hcBackend("HTTPS", 443, "HTTP", fixedPort(8081)) },
			nil},
		{"TCP probe of a TLS port", func() *inventory.Inventory { return hcBackend("HTTPS", 443, "TCP", servingPort) },
			nil},
	})
}

func TestHealthCheckProtocolMismatchCounts(t *testing.T) {
	t.Parallel()
	// Backend services of HTTP, HTTPS, HTTP/2 or SSL with a health check
	// lbdiag read are judged: web (HTTPS, a plain HTTP probe of the
	// serving port) fails, tcp (HTTPS, a TCP probe) passes; db (TCP) is
	// not judged.
	inv := hcBackend("HTTPS", 443, "HTTP", servingPort)
	addBackend(inv, "tcp", "HTTPS", webIG, &compute.HealthCheck{Name: "tcp-hc", Type: "TCP", TcpHealthCheck: &compute.TCPHealthCheck{PortSpecification: "USE_SERVING_PORT"}})
	addBackend(inv, "db", "TCP", webIG, &compute.HealthCheck{Name: "db-hc", Type: "HTTPS", HttpsHealthCheck: &compute.HTTPSHealthCheck{PortSpecification: "USE_SERVING_PORT"}})
	ruletest.ExpectCounts(t, inv, HealthCheckProtocolMismatch, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	ruletest.FailSource(inv, inventory.ComputeHealthChecks, projectScope)
	c := ruletest.ExpectCounts(t, inv, HealthCheckProtocolMismatch, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeHealthChecks))
}
