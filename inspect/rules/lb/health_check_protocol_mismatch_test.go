package lb

import (
	"testing"

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
