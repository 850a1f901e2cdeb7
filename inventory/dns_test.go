package inventory

import (
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
)

func TestRelevantCAA(t *testing.T) {
	t.Parallel()
	caa := func(name, rcode, errText string, recs ...CAARecord) DNSAnswer {
		return DNSAnswer{Name: name, Type: DNSTypeCAA, RCode: rcode, Error: errText, CAA: recs}
	}
	issue := CAARecord{Tag: "issue", Value: "pki.goog"}
	d := &DNS{Answers: []DNSAnswer{
		caa("a.b.example.com", RCodeNXDomain, ""),
		caa("b.example.com", RCodeNoError, ""),
		caa("example.com", RCodeNoError, "", issue),
		caa("x.example.org", RCodeNoError, ""),
		caa("example.org", RCodeNoError, ""),
		caa("org", RCodeNoError, ""),
		caa("y.example.net", RCodeServFail, "the resolver answered SERVFAIL"),
		{Name: "a.b.example.com", Type: DNSTypeA, RCode: RCodeNoError},
	}}
	d.Sort()
	for _, tc := range []struct {
		name, owner string
		records     int
		ok          bool
		failed      string
	}{
		{"A.B.Example.com.", "example.com", 1, true, ""}, // NXDOMAIN, then empty, then records
		{"example.com", "example.com", 1, true, ""},
		{"x.example.org", "", 0, true, ""}, // none up to the top-level domain
		{"y.example.net", "", 0, false, "y.example.net"},
		{"z.example.org", "", 0, false, "z.example.org"}, // never asked
	} {
		owner, recs, failed, ok := d.RelevantCAA(tc.name)
		if owner != tc.owner || len(recs) != tc.records || ok != tc.ok || failed.Name != tc.failed {
			t.Errorf("%s: %q %v %v %+v", tc.name, owner, recs, ok, failed)
		}
	}
	if _, ok := d.Answer("a.b.example.com", DNSTypeAAAA); ok {
		t.Error("an answer that was never given")
	}
	if (CAARecord{Flag: 128, Tag: "tbs", Value: "x"}).String() != `128 tbs "x"` || !(CAARecord{Flag: 128}).Critical() {
		t.Error("CAA record text or flag")
	}
}

func TestValidHostname(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"www.example.com": true, "_acme.example.com": true, "xn--bcher-kva.example": true,
		"localhost": false, "*.example.com": false, "10.0.0.1": false, "a..b": false, "-a.example.com": false,
		"a b.example.com": false, strings.Repeat("a", 64) + ".com": false, "": false,
	} {
		if ValidHostname(name) != want {
			t.Errorf("%q: %v, want %v", name, !want, want)
		}
	}
}

func TestNamesResolved(t *testing.T) {
	t.Parallel()
	cert := &compute.SslCertificate{Type: "MANAGED", Managed: &compute.SslCertificateManagedSslCertificate{Status: "PROVISIONING",
		Domains: []string{"WWW.example.com.", "*.example.com"}, DomainStatus: map[string]string{"api.example.com": "PROVISIONING"}}}
	if !PendingManagedCert(cert) || strings.Join(CertDomains(cert), ",") != "api.example.com,www.example.com" {
		t.Errorf("certificate domains: %v", CertDomains(cert))
	}
	ing := networkingv1.Ingress{Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "shop.example.com"}, {Host: "*.example.com"}, {}},
		TLS: []networkingv1.IngressTLS{{Hosts: []string{"shop.example.com", "tls.example.com"}}}}}
	// ingress-gce ignores spec.tls[].hosts: a TLS host its rules do not
	// name is not one it serves by name.
	if got := strings.Join(IngressHosts(&ing), ","); got != "shop.example.com" {
		t.Errorf("Ingress hosts: %s", got)
	}
	// An Ingress whose rules name no host serves every name from its
	// default backend: its TLS hosts are the names it is meant for.
	only := networkingv1.Ingress{Spec: networkingv1.IngressSpec{TLS: ing.Spec.TLS}}
	if got := strings.Join(IngressHosts(&only), ","); got != "shop.example.com,tls.example.com" {
		t.Errorf("default-backend Ingress hosts: %s", got)
	}
	ing.Annotations = map[string]string{gke.AnnIngressClass: gke.ClassInternal}
	if got := IngressHosts(&ing); got != nil {
		t.Errorf("internal Ingress hosts: %v", got)
	}
	host := "store.example.com"
	gw := Gateway{}
	gw.Namespace, gw.Name, gw.Spec.GatewayClassName = "shop", "store", "gke-l7-global-external-managed"
	gw.Spec.Listeners = []Listener{{Hostname: &host}, {}}
	var route, other HTTPRoute
	route.Namespace = "shop"
	route.Spec.ParentRefs = []ParentReference{{Name: "store"}}
	route.Spec.Hostnames = []string{"api.example.com"}
	other.Namespace = "else"
	other.Spec.ParentRefs = []ParentReference{{Name: "store"}}
	other.Spec.Hostnames = []string{"else.example.com"}
	cl := &Cluster{HTTPRoutes: []HTTPRoute{route, other}}
	if got := strings.Join(GatewayHosts(cl, &gw), ","); got != "api.example.com,store.example.com" {
		t.Errorf("Gateway hosts: %s", got)
	}
	gw.Spec.GatewayClassName = "gke-l7-rilb"
	if got := GatewayHosts(cl, &gw); got != nil {
		t.Errorf("internal Gateway hosts: %v", got)
	}
}
