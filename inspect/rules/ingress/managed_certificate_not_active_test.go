package ingress

import (
	"strings"
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
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

func TestManagedCertificateNotActiveCounts(t *testing.T) {
	t.Parallel()
	old := ruletest.Now.Add(-10 * 24 * time.Hour)
	mcs := []inventory.ManagedCertificate{
		managedCertificate("active", "Active", old, "a.example.com=Active"),                                     // passes
		managedCertificate("stuck", "Provisioning", old, "b.example.com=FailedNotVisible"),                      // fails
		managedCertificate("young", "Provisioning", ruletest.Now.Add(-time.Hour), "c.example.com=Provisioning"), // an hour: passes
	}
	inv, _ := managedCertSetup("stuck", mcs...)
	ruletest.ExpectCounts(t, inv, ManagedCertificateNotActive, ruletest.Counts{Judged: 3, Passed: 2, Failed: 1})

	// prod's Ingresses unread only change the wording (still judged, not a
	// place left unchecked); edge's ManagedCertificates unread are.
	_, cl := managedCertSetup("stuck", mcs...)
	edge := edgeCluster()
	edge.ManagedCertificates = mcs
	inv = ruletest.Inventory(cl, edge)
	inv.CollectedAt = ruletest.Now
	ruletest.FailSource(inv, inventory.KubeIngresses, cl.Scope())
	ruletest.FailSource(inv, inventory.KubeManagedCertificates, edge.Scope())
	c := ruletest.ExpectCounts(t, inv, ManagedCertificateNotActive, ruletest.Counts{Judged: 3, Passed: 2, Failed: 1, CouldNotCheck: 1})
	expectReason(t, c, inventory.KubeManagedCertificates)
	if strings.Contains(strings.Join(c.Reasons, "\n"), string(inventory.KubeIngresses)) {
		t.Errorf("reasons %q count the Ingresses, which only change the wording", c.Reasons)
	}
}
