package ingress

import (
	"strings"
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
)

func TestManagedCertificateNotActive(t *testing.T) {
	t.Parallel()
	old := ruletest.Now.Add(-10 * 24 * time.Hour)
	t.Run("stuck, used", func(t *testing.T) {
		t.Parallel()
		inv, _ := managedCertSetup("shop-cert", managedCertificate("shop-cert", "Provisioning", old, "shop.example.com=FailedNotVisible"))
		got := ruletest.Run(t, inv, ManagedCertificateNotActive)
		ruletest.Expect(t, got, "ManagedCertificate shop/shop-cert (used by Ingress shop/site) is Provisioning after 10 days: shop.example.com: FailedNotVisible")
		if got[0].Severity != inspect.Error || !strings.Contains(got[0].Remediation, "A/AAAA records to 34.117.80.41") {
			t.Errorf("%v %q", got[0].Severity, got[0].Remediation)
		}
	})
	t.Run("stuck, unused: a warning", func(t *testing.T) {
		t.Parallel()
		inv, _ := managedCertSetup("", managedCertificate("shop-cert", "Provisioning", old, "shop.example.com=FailedNotVisible"))
		got := ruletest.Run(t, inv, ManagedCertificateNotActive)
		ruletest.Expect(t, got, "used by no Ingress")
		if got[0].Severity != inspect.Warning {
			t.Errorf("severity %v", got[0].Severity)
		}
	})
	t.Run("provisioning for an hour", func(t *testing.T) {
		t.Parallel()
		inv, _ := managedCertSetup("shop-cert", managedCertificate("shop-cert", "Provisioning", ruletest.Now.Add(-time.Hour), "shop.example.com=Provisioning"))
		ruletest.Expect(t, ruletest.Run(t, inv, ManagedCertificateNotActive))
	})
	t.Run("active", func(t *testing.T) {
		t.Parallel()
		inv, _ := managedCertSetup("shop-cert", managedCertificate("shop-cert", "Active", old, "shop.example.com=Active"))
		ruletest.Expect(t, ruletest.Run(t, inv, ManagedCertificateNotActive))
	})
}
