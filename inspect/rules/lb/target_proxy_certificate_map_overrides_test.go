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

func TestTargetProxyCertificateMapOverridesCounts(t *testing.T) {
	t.Parallel()
	const certMap = "//certificatemanager.googleapis.com/projects/acme-test/locations/global/certificateMaps/api"
	inv := ruletest.LBProject()
	api, mapOnly, plain := ruletest.HTTPSProxy("api", "api-cert"), ruletest.HTTPSProxy("map-only"), ruletest.HTTPSProxy("plain", "plain-cert")
	api.CertificateMap, mapOnly.CertificateMap = certMap, certMap
	inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{api, mapOnly, plain}
	inv.Compute.TargetSSLProxies = []*compute.TargetSslProxy{{Name: "tcp", SelfLink: ruletest.G("global/targetSslProxies/tcp"), CertificateMap: certMap,
		SslCertificates: []string{ruletest.G("global/sslCertificates/tcp-cert")}}}
	// Proxies with a certificate map are judged: api and tcp (certificates
	// too) fail, map-only passes; plain has no map and is not judged.
	ruletest.ExpectCounts(t, inv, TargetProxyCertificateMapOverrides, ruletest.Counts{Judged: 3, Passed: 1, Failed: 2})
	// The SSL proxies unreadable: tcp is not judged.
	ruletest.FailSource(inv, inventory.ComputeTargetSSLProxies, projectScope)
	c := ruletest.ExpectCounts(t, inv, TargetProxyCertificateMapOverrides, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeTargetSSLProxies))
}
