package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/internal/dnstest"
	"github.com/lbdiag/lbdiag/report"
)

// dnsServer is a loopback resolver (internal/dnstest) answering the
// records it holds, SERVFAIL for the names it is told to fail, NXDOMAIN
// for every other name.
type dnsServer struct {
	*dnstest.Zone
	addr string
}

func serveZone(t *testing.T, records []string, servfail ...string) *dnsServer {
	t.Helper()
	z := &dnstest.Zone{Records: records, ServFail: servfail}
	return &dnsServer{Zone: z, addr: z.Serve(t)}
}

// TestDNSChecks runs lbdiag against the fake project with its resolver
// at a loopback DNS server: the ManagedCertificate of Ingress shop/web,
// still provisioning, has shop.example.com, whose A record points
// elsewhere and whose parent's CAA records allow only another authority;
// the host of Ingress shop/promo fails (SERVFAIL), a gap. A recording of
// the run, then its evidence bundle, replay the same report with no DNS
// server; --no-dns makes no query.
func TestDNSChecks(t *testing.T) {
	t.Parallel()
	f := newFakeProject(t)
	f.kubeEdit = func(api, path string, body map[string]any) {
		if !strings.HasSuffix(path, "/managedcertificates") {
			return
		}
		for _, it := range body["items"].([]any) {
			mc := it.(map[string]any)
			asMap(mc["metadata"])["creationTimestamp"] = f.now().Add(-time.Hour).Format(time.RFC3339)
			mc["status"] = map[string]any{"certificateStatus": "Provisioning", "certificateName": asMap(mc["status"])["certificateName"],
				"domainStatus": []any{map[string]any{"domain": "shop.example.com", "status": "Provisioning"}}}
		}
	}
	srv := serveZone(t, []string{
		"shop.example.com. 300 IN A 198.51.100.7",
		`example.com. 300 IN CAA 0 issue "digicert.com"`,
	}, "promo.example.com")

	out := t.TempDir()
	rec, bundle := filepath.Join(out, "rec"), filepath.Join(out, "evidence.tar.gz")
	live := f.run(t, "--format", "json", "--resolver", srv.addr, "--record", rec, "--evidence", bundle)
	if live.code != report.ExitFindings {
		t.Fatalf("exit %d: %s", live.code, live.stderr)
	}
	rep := parseReport(t, live.stdout)
	var dnsFindings []string
	for _, fd := range rep.Findings {
		if strings.HasPrefix(fd.Rule, "certificate-") {
			dnsFindings = append(dnsFindings, fd.Rule+" "+fd.Resource.Kind+" "+fd.Resource.Namespace+"/"+fd.Resource.Name+": "+fd.Message+" | "+fd.Remediation)
		}
	}
	want := []string{
		`certificate-caa-forbids ManagedCertificate shop/shop-cert: CAA record example.com. CAA 0 issue "digicert.com" at example.com (the relevant CAA records of shop.example.com, found up the tree) allows neither pki.goog nor letsencrypt.org`,
		`certificate-dns-mismatch ManagedCertificate shop/shop-cert: DNS record shop.example.com A 198.51.100.7: it should hold 34.111.42.7, the address of the load balancer presenting ManagedCertificate shop/shop-cert of cluster europe-west1/shop-eu (Provisioning)`,
	}
	fixes := []string{`example.com. CAA 0 issue "pki.goog"; example.com. CAA 0 issue "letsencrypt.org"`, "set: shop.example.com. 300 IN A 34.111.42.7"}
	if len(dnsFindings) != 2 {
		t.Fatalf("DNS findings:\n%s", strings.Join(dnsFindings, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(dnsFindings[i], want[i]) || !strings.Contains(dnsFindings[i], fixes[i]) {
			t.Errorf("finding %d:\n%s\nwant it to start with:\n%s\nand to fix with %s", i, dnsFindings[i], want[i], fixes[i])
		}
	}
	// SERVFAIL is a gap that says what to do, never a finding; the
	// names answered are reads.
	status, errText, hint := gap(rep, "dns.lookups", "projects/acme-shop-prod/dns/promo.example.com")
	if status != "error" || !strings.Contains(errText, "SERVFAIL") || !strings.Contains(hint, "dig promo.example.com A") {
		t.Errorf("SERVFAIL coverage: %s %q %q", status, errText, hint)
	}
	for _, scope := range []string{"projects/acme-shop-prod", "projects/acme-shop-prod/dns/shop.example.com", "projects/acme-shop-prod/dns/shop.example.com/caa"} {
		if status, _, _ := gap(rep, "dns.lookups", scope); status != "ok" {
			t.Errorf("%s: %s", scope, status)
		}
	}
	asked := len(srv.Queries())
	if asked == 0 {
		t.Fatal("the resolver was not asked")
	}
	manifest, err := os.ReadFile(filepath.Join(rec, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		DNS struct {
			Resolver string
			Answers  []struct{ Name, Type, RCode string }
		}
	}
	if err := json.Unmarshal(manifest, &m); err != nil || m.DNS.Resolver != srv.addr || len(m.DNS.Answers) != 6 {
		t.Errorf("recorded DNS answers: %+v %v", m.DNS, err)
	}

	// Offline: no DNS server, no API.
	srv.Stop()
	f.compute.Close()
	f.container.Close()
	for _, s := range f.kube {
		s.Close()
	}
	for _, from := range []string{rec, bundle} {
		replayed := runLbdiag(t, t.TempDir(), "inspect", "--replay", from, "--format", "json")
		if replayed.code != live.code {
			t.Fatalf("replay of %s: exit %d: %s", filepath.Base(from), replayed.code, replayed.stderr)
		}
		if a, b := stripTimes(t, live.stdout), stripTimes(t, replayed.stdout); a != b {
			t.Errorf("the replay of %s differs from the live run:\nlive:\n%s\nreplayed:\n%s", filepath.Base(from), a, b)
		}
	}
	if len(srv.Queries()) != asked {
		t.Errorf("a replay asked the resolver")
	}
}

// TestNoDNS: --no-dns makes no query and says so in the coverage; it and
// --resolver contradict.
func TestNoDNS(t *testing.T) {
	t.Parallel()
	f := newFakeProject(t)
	res := f.run(t, "--format", "json", "--no-dns")
	if res.code != report.ExitFindings {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	rep := parseReport(t, res.stdout)
	for _, c := range rep.Coverage {
		if c.Source == "dns.lookups" && (c.Scope != "projects/acme-shop-prod" || c.Status != "skipped" || !strings.HasPrefix(c.Detail, "--no-dns")) {
			t.Errorf("coverage: %+v", c)
		}
	}
	if status, _, _ := gap(rep, "dns.lookups", "projects/acme-shop-prod"); status != "skipped" {
		t.Errorf("no skipped DNS coverage: %q", status)
	}
	if res := f.run(t, "--no-dns", "--resolver", "127.0.0.1:53"); res.code != report.ExitError || !strings.Contains(res.stderr, "--resolver and --no-dns") {
		t.Errorf("--resolver with --no-dns: exit %d: %s", res.code, res.stderr)
	}
}
