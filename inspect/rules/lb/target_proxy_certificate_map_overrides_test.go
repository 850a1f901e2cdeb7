package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestTargetProxyCertificateMapOverrides(t *testing.T) {
	t.Parallel()
	runCertificateCases(t, TargetProxyCertificateMapOverrides, []certificateCase{
		{"certificate map and certificates", func(inv *inventory.Inventory) {
			p := ruletest.HTTPSProxy("api", "api-cert")
			p.CertificateMap = "//certificatemanager.googleapis.com/projects/acme-test/locations/global/certificateMaps/api"
			inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{p}
		}, []string{"the map wins, so api-cert is never presented"}},
		{"certificate map alone", func(inv *inventory.Inventory) {
			p := ruletest.HTTPSProxy("api")
			p.CertificateMap = "//certificatemanager.googleapis.com/projects/acme-test/locations/global/certificateMaps/api"
			inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{p}
		}, nil},
	})
}
