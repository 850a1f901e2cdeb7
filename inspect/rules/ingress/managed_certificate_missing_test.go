package ingress

import (
	"strings"
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
	networkingv1 "k8s.io/api/networking/v1"
)

func TestManagedCertificateMissing(t *testing.T) {
	t.Parallel()
	old := ruletest.Now.Add(-10 * 24 * time.Hour)
	t.Run("missing, with a near name", func(t *testing.T) {
		t.Parallel()
		inv, _ := managedCertSetup("shop-crt", managedCertificate("shop-cert", "Active", old))
		got := ruletest.Run(t, inv, ManagedCertificateMissing)
		ruletest.Expect(t, got, `names ManagedCertificate "shop-crt", which does not exist in namespace shop`)
		if !strings.Contains(got[0].Remediation, "kind: ManagedCertificate\nmetadata:\n  name: shop-crt\n  namespace: shop\nspec:\n  domains:\n  - example.com") {
			t.Errorf("remediation %q", got[0].Remediation)
		}
	})
	t.Run("present", func(t *testing.T) {
		t.Parallel()
		inv, _ := managedCertSetup("shop-cert", managedCertificate("shop-cert", "Active", old))
		ruletest.Expect(t, ruletest.Run(t, inv, ManagedCertificateMissing))
	})
	t.Run("ManagedCertificates unreadable", func(t *testing.T) {
		t.Parallel()
		inv, cl := managedCertSetup("shop-crt")
		ruletest.FailSource(inv, inventory.KubeManagedCertificates, cl.Scope())
		ruletest.Expect(t, ruletest.Run(t, inv, ManagedCertificateMissing))
	})
}

func TestManagedCertificateMissingCounts(t *testing.T) {
	t.Parallel()
	ingresses := func() []networkingv1.Ingress {
		with := func(name, class, certs string) networkingv1.Ingress {
			ing := ruletest.Ingress("shop", name, class, "web")
			if certs != "" {
				ing.Annotations[gke.AnnManagedCerts] = certs
			}
			return ing
		}
		return []networkingv1.Ingress{
			with("a", "", "shop-cert"),             // exists: passes
			with("b", "", "gone"),                  // missing: fails
			with("c", "", ""),                      // names none: not judged
			with("d", "gce-internal", "shop-cert"), // internal: fails
		}
	}
	cl := ruletest.ProdCluster()
	cl.Ingresses = ingresses()
	cl.ManagedCertificates = []inventory.ManagedCertificate{managedCertificate("shop-cert", "Active", ruletest.Now)}
	ruletest.ExpectCounts(t, ruletest.Inventory(cl), ManagedCertificateMissing, ruletest.Counts{Judged: 3, Passed: 1, Failed: 2})

	// Cluster edge's ManagedCertificates could not be read: its Ingresses
	// are not judged, one place not checked.
	edge := edgeCluster()
	edge.Ingresses = ingresses()
	inv := ruletest.Inventory(cl, edge)
	ruletest.FailSource(inv, inventory.KubeManagedCertificates, edge.Scope())
	c := ruletest.ExpectCounts(t, inv, ManagedCertificateMissing, ruletest.Counts{Judged: 3, Passed: 1, Failed: 2, CouldNotCheck: 1})
	expectReason(t, c, inventory.KubeManagedCertificates)
}
