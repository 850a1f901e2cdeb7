package rules

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ingress"
	"github.com/lbdiag/lbdiag/inspect/rules/lb"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// dnsInventory is cluster prod with Ingress shop/web (34.2.2.2) naming
// ManagedCertificate shop/shop-cert for shop.example.com, Provisioning
// since created (the domain's status as given); and what DNS answered for shop.example.com: an A record
// elsewhere, and CAA records at example.com allowing another authority.
func dnsInventory(created time.Time, domainStatus string) *inventory.Inventory {
	cl := ruletest.ProdCluster()
	ing := ruletest.Ingress("shop", "web", "", "web")
	ing.Spec.Rules[0].Host = "shop.example.com"
	ing.Annotations[gke.AnnManagedCerts] = "shop-cert"
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "34.2.2.2"}}
	cl.Ingresses = []networkingv1.Ingress{ing}
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", nil)}
	var mc inventory.ManagedCertificate
	mc.Namespace, mc.Name, mc.CreationTimestamp = "shop", "shop-cert", metav1.NewTime(created)
	mc.Spec.Domains = []string{"shop.example.com"}
	mc.Status.CertificateStatus = "Provisioning"
	mc.Status.DomainStatus = append(mc.Status.DomainStatus, struct {
		Domain string `json:"domain"`
		Status string `json:"status"`
	}{"shop.example.com", domainStatus})
	cl.ManagedCertificates = []inventory.ManagedCertificate{mc}
	inv := ruletest.Inventory(cl)
	inv.CollectedAt = ruletest.Now
	d := &inventory.DNS{Resolver: "127.0.0.1:53", Answers: []inventory.DNSAnswer{
		{Name: "shop.example.com", Type: inventory.DNSTypeA, RCode: inventory.RCodeNoError, Addresses: []string{"198.51.100.7"}},
		{Name: "shop.example.com", Type: inventory.DNSTypeAAAA, RCode: inventory.RCodeNoError},
		{Name: "shop.example.com", Type: inventory.DNSTypeCAA, RCode: inventory.RCodeNoError},
		{Name: "example.com", Type: inventory.DNSTypeCAA, RCode: inventory.RCodeNoError, CAA: []inventory.CAARecord{{Tag: "issue", Value: "digicert.com"}}},
	}}
	d.Sort()
	inv.DNS = d
	for _, s := range []string{inventory.ProjectScope(ruletest.Project), inventory.DNSScope(ruletest.Project, "shop.example.com"), inventory.CAAScope(ruletest.Project, "shop.example.com")} {
		inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.DNSLookups, Scope: s, Status: inventory.StatusOK})
	}
	return inv
}

// TestDNSFindingsFoldIntoManagedCertificate: a ManagedCertificate stuck
// for days is one row, managed-certificate-not-active's, whose message
// names the DNS record and the CAA record that cause it; a young one
// still provisioning, which that rule leaves alone, gets the DNS rules'
// own rows: it will not provision.
func TestDNSFindingsFoldIntoManagedCertificate(t *testing.T) {
	t.Parallel()
	res := ruletest.RunAll(dnsInventory(ruletest.Now.Add(-72*time.Hour), "FailedNotVisible"), ingress.ManagedCertificateNotActive, lb.CertificateDNSMismatch, lb.CertificateCAAForbids)
	if len(res.Findings) != 1 || res.Findings[0].Rule != "managed-certificate-not-active" {
		t.Fatalf("findings: %v", ruletest.Messages(res.Findings))
	}
	f := res.Findings[0]
	for _, want := range []string{"— DNS record shop.example.com A 198.51.100.7; it should hold 34.2.2.2 (certificate-dns-mismatch)",
		`— CAA: example.com. CAA 0 issue "digicert.com" allows neither pki.goog nor letsencrypt.org (certificate-caa-forbids)`} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message %q lacks %q", f.Message, want)
		}
	}
	if f.Evidence["certificate-dns-mismatch"] == nil || f.Evidence["certificate-caa-forbids"] == nil {
		t.Errorf("evidence: %v", f.Evidence)
	}

	res = ruletest.RunAll(dnsInventory(ruletest.Now.Add(-time.Hour), "Provisioning"), ingress.ManagedCertificateNotActive, lb.CertificateDNSMismatch, lb.CertificateCAAForbids)
	var rules []string
	for _, f := range res.Findings {
		rules = append(rules, f.Rule+" "+f.Resource.String())
	}
	if strings.Join(rules, ", ") != "certificate-caa-forbids ManagedCertificate shop/shop-cert, certificate-dns-mismatch ManagedCertificate shop/shop-cert" {
		t.Errorf("young certificate: %v", ruletest.Messages(res.Findings))
	}
}
