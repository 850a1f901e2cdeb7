package ingress

import (
	"fmt"
	"testing"

	compute "google.golang.org/api/compute/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
)

func TestPreSharedCertMissing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		class, annotation string
		want              []string
	}{
		{"", "wildcard, legacy", []string{`names SslCertificate "legacy", which project acme-test does not have in scope global (class gce)`}},
		{"", "wildcard", nil},
		{"gce-internal", "wildcard", []string{"a certificate of that name exists in global, the wrong scope for this class"}},
		{"gce-internal", "regional", nil},
	} {
		t.Run(fmt.Sprint(tc.class, tc.annotation), func(t *testing.T) {
			t.Parallel()
			cl := ruletest.ProdCluster()
			ing := ruletest.Ingress("shop", "site", tc.class, "web")
			ing.Annotations[gke.AnnPreSharedCert] = tc.annotation
			cl.Ingresses = []networkingv1.Ingress{ing}
			inv := ruletest.Inventory(cl)
			inv.Compute.SSLCertificates = []*compute.SslCertificate{{Name: "wildcard", SelfLink: ruletest.G("global/sslCertificates/wildcard")},
				{Name: "regional", SelfLink: ruletest.G("regions/europe-west1/sslCertificates/regional"), Region: ruletest.G("regions/europe-west1")}}
			ruletest.Expect(t, ruletest.Run(t, inv, PreSharedCertMissing), tc.want...)
		})
	}
}
