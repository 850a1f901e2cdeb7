package ingress

import (
	"strings"
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
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
