package gateway

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestGatewayCertificateMissing(t *testing.T) {
	t.Parallel()
	https := func(cl *inventory.Cluster) *inventory.Listener { return &store(cl).Spec.Listeners[1] }
	certmap := func(inv *inventory.Inventory, cl *inventory.Cluster, name string, maps ...string) {
		store(cl).Annotations["networking.gke.io/certmap"] = name
		https(cl).TLS = nil
		inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.CertificateManagerMaps, Scope: inventory.ProjectScope(ruletest.Project), Status: inventory.StatusOK})
		for _, m := range maps {
			inv.CertificateMaps = append(inv.CertificateMaps, "projects/acme-test/locations/global/certificateMaps/"+m)
		}
	}
	// Counts: the GKE Gateways with an HTTPS listener or a certificate map
	// are judged (store, the world's one), when each source of
	// certificates could be looked up.
	runCases(t, GatewayCertificateMissing, []gwCase{
		{name: "a pre-shared certificate that exists", counts: counts(1, 1, 0, 0)},
		{name: "a pre-shared certificate that does not exist", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			https(cl).TLS.Options["networking.gke.io/pre-shared-certs"] = "store-cert, store-cert-2026"
		}, want: []string{`listener https names pre-shared certificate "store-cert-2026" (networking.gke.io/pre-shared-certs), which does not exist globally | GWCER105`}, counts: counts(1, 0, 1, 0)},
		{name: "a regional certificate for a global class", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.SSLCertificates[0].Region = ruletest.G("regions/europe-west1")
			inv.Compute.SSLCertificates[0].SelfLink = ruletest.G("regions/europe-west1/sslCertificates/store-cert")
		}, want: []string{"which does not exist globally | a certificate of that name exists in region europe-west1, the wrong scope"}},
		{name: "a regional certificate for a regional class", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.SSLCertificates[0].Region = ruletest.G("regions/europe-west1")
			inv.Compute.SSLCertificates[0].SelfLink = ruletest.G("regions/europe-west1/sslCertificates/store-cert")
			store(cl).Spec.GatewayClassName = "gke-l7-regional-external-managed"
		}},
		{name: "an HTTPS listener without certificates", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) { https(cl).TLS = nil },
			want: []string{"HTTPS listener https (port 443) has no certificate | GWCER106 no certificates specified for protocol HTTPS"}},
		{name: "Secrets (not read, not judged)", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			https(cl).TLS = &inventory.ListenerTLS{Mode: sp("Terminate"), CertificateRefs: []inventory.ObjectReference{{Name: "store-tls"}}}
		}, counts: counts(1, 1, 0, 0)},
		{name: "Certificate Manager certificates on a regional class", edit: func(t *testing.T, _ *inventory.Inventory, cl *inventory.Cluster) {
			store(cl).Spec.GatewayClassName = "gke-l7-rilb"
			https(cl).TLS = &inventory.ListenerTLS{Options: map[string]string{"networking.gke.io/cert-manager-certs": "store-rilb"}}
		}},
		{name: "a certificate map that exists", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			certmap(inv, cl, "store-map", "store-map")
		}, counts: counts(1, 1, 0, 0)},
		{name: "a certificate map that does not exist", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			certmap(inv, cl, "store-mpa", "store-map")
		},
			want: []string{`names certificate map "store-mpa" (networking.gke.io/certmap), which does not exist in project acme-test | EXTERNAL_RESOURCE_NOT_FOUND | map "store-map" exists (a typo?)`}},
		{name: "a certificate map with certificateRefs", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			certmap(inv, cl, "store-map", "store-map")
			https(cl).TLS = &inventory.ListenerTLS{CertificateRefs: []inventory.ObjectReference{{Name: "store-tls"}}}
		}, want: []string{"has tls.certificateRefs and the Gateway names certificate map \"store-map\""}},
		{name: "a certificate map on a regional class", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			certmap(inv, cl, "store-map", "store-map")
			store(cl).Spec.GatewayClassName = "gke-l7-regional-external-managed"
		}, want: []string{"builds a regional load balancer, whose target proxies take no certificate map"}},
		{name: "certificates not listed", edit: func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{}
			ruletest.FailSource(inv, inventory.ComputeSSLCertificates, inventory.ProjectScope(ruletest.Project))
		}, gaps: 1, counts: counts(0, 0, 0, 1), reason: "the SSL certificates could not be listed"},
	})
	// A map that could not be listed is not "missing".
	inv, cl := storeWorld(t)
	store(cl).Annotations["networking.gke.io/certmap"] = "store-map"
	https(cl).TLS = nil
	if res := ruletest.RunAll(inv, GatewayCertificateMissing); len(res.Findings) != 0 || len(res.Failures) != 1 {
		t.Errorf("findings %v failures %+v", ruletest.Messages(res.Findings), res.Failures)
	}
}
