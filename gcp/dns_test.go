package gcp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/internal/dnstest"
	"github.com/lbdiag/lbdiag/inventory"
)

// asked are the queries a zone got, sorted.
func asked(z *dnstest.Zone) []string {
	out := z.Queries()
	slices.Sort(out)
	return out
}

// dnsWorld is the zone of most tests: www.example.com (a certificate's
// domain) points elsewhere and its parent's CAA records allow another
// authority; shop.example.com (an Ingress host) is an alias of the load
// balancer; broken.example.com fails; gone.example.com does not exist.
func dnsWorld() *dnstest.Zone {
	return &dnstest.Zone{Records: []string{
		"www.example.com. 60 IN A 198.51.100.7",
		"example.com. 60 IN A 34.1.1.1",
		`example.com. 60 IN CAA 0 issue "digicert.com"`,
		`example.com. 60 IN CAA 0 iodef "mailto:sec@example.com"`,
		"shop.example.com. 60 IN CNAME lb.example.net.",
		"lb.example.net. 60 IN A 34.2.2.2",
		"lb.example.net. 60 IN AAAA 2600:1901::2",
	}, ServFail: []string{"broken.example.com"}}
}

// dnsCollector is a collector of a live run whose certificate www (not
// ACTIVE) has www.example.com and gone.example.com, and whose cluster
// serves Ingress hosts.
func dnsCollector(opts Options, hosts ...string) (*collector, []*inventory.Cluster) {
	opts.Project = "p"
	c := newCollector(opts)
	c.compute.SSLCertificates = []*compute.SslCertificate{
		{Name: "www", Type: "MANAGED", Managed: &compute.SslCertificateManagedSslCertificate{Status: "PROVISIONING", Domains: []string{"www.example.com", "gone.example.com"}}},
		{Name: "ok", Type: "MANAGED", Managed: &compute.SslCertificateManagedSslCertificate{Status: "ACTIVE", Domains: []string{"ok.example.com"}}},
	}
	ing := networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}
	for _, h := range hosts {
		ing.Spec.Rules = append(ing.Spec.Rules, networkingv1.IngressRule{Host: h})
	}
	cl := &inventory.Cluster{Ingresses: []networkingv1.Ingress{ing}}
	// Everything the names come from was read.
	c.coverage = append(c.coverage, inventory.Coverage{Source: inventory.ComputeSSLCertificates, Scope: inventory.ProjectScope("p"), Status: inventory.StatusOK})
	for _, s := range []inventory.Source{inventory.KubeIngresses, inventory.KubeGateways, inventory.KubeHTTPRoutes, inventory.KubeManagedCertificates} {
		c.coverage = append(c.coverage, inventory.Coverage{Source: s, Scope: cl.Scope(), Status: inventory.StatusOK})
	}
	return c, []*inventory.Cluster{cl}
}

// dnsEntries are the DNS entries a collector recorded.
func dnsEntries(c *collector) []inventory.Coverage {
	var out []inventory.Coverage
	for _, cov := range c.coverage {
		if cov.Source == inventory.DNSLookups {
			out = append(out, cov)
		}
	}
	return out
}

func coverageOf(c *collector, scope string) inventory.Coverage {
	for _, cov := range c.coverage {
		if cov.Source == inventory.DNSLookups && cov.Scope == scope {
			return cov
		}
	}
	return inventory.Coverage{}
}

// TestCollectDNS resolves a run's names at a loopback server: the
// certificate's domains with their CAA records up the tree, the Ingress
// hosts' addresses through an alias, NXDOMAIN as an answer and SERVFAIL
// as a gap.
func TestCollectDNS(t *testing.T) {
	t.Parallel()
	z := dnsWorld()
	addr := z.Serve(t)
	c, clusters := dnsCollector(Options{DNS: true, Resolver: addr}, "shop.example.com", "broken.example.com", "*.example.com", "10.0.0.1")
	c.collectDNS(context.Background(), clusters)

	d := c.dns
	if d == nil || d.Resolver != addr {
		t.Fatalf("dns: %+v", d)
	}
	a, _ := d.Answer("www.example.com", inventory.DNSTypeA)
	if !a.Answered() || strings.Join(a.Addresses, ",") != "198.51.100.7" {
		t.Errorf("www A: %+v", a)
	}
	a, _ = d.Answer("shop.example.com", inventory.DNSTypeAAAA)
	if !a.Answered() || strings.Join(a.Addresses, ",") != "2600:1901::2" || strings.Join(a.CNAMEs, ",") != "lb.example.net" {
		t.Errorf("shop AAAA through its alias: %+v", a)
	}
	a, _ = d.Answer("gone.example.com", inventory.DNSTypeA)
	if !a.Answered() || a.RCode != inventory.RCodeNXDomain || len(a.Addresses) > 0 {
		t.Errorf("gone A: %+v", a)
	}
	owner, records, _, ok := d.RelevantCAA("www.example.com")
	if !ok || owner != "example.com" || len(records) != 2 || records[0].String() != `0 issue "digicert.com"` {
		t.Errorf("www's relevant CAA: %s %v %v", owner, records, ok)
	}
	// gone.example.com: NXDOMAIN, then its parent's.
	if owner, _, _, ok := d.RelevantCAA("gone.example.com"); !ok || owner != "example.com" {
		t.Errorf("gone's relevant CAA: %s %v", owner, ok)
	}

	// Coverage: each name answered is a read, the SERVFAIL a gap with
	// its hint; the project's entry says where.
	for _, n := range []string{"www.example.com", "gone.example.com", "shop.example.com"} {
		if cov := coverageOf(c, inventory.DNSScope("p", n)); cov.Status != inventory.StatusOK {
			t.Errorf("%s: %+v", n, cov)
		}
	}
	for _, n := range []string{"www.example.com", "gone.example.com"} {
		if cov := coverageOf(c, inventory.CAAScope("p", n)); cov.Status != inventory.StatusOK {
			t.Errorf("%s CAA: %+v", n, cov)
		}
	}
	cov := coverageOf(c, inventory.DNSScope("p", "broken.example.com"))
	if cov.Status != inventory.StatusError || cov.Error != "A broken.example.com: the resolver answered SERVFAIL" || !strings.Contains(cov.Hint, "dig broken.example.com A") {
		t.Errorf("SERVFAIL coverage: %+v", cov)
	}
	if cov := coverageOf(c, inventory.ProjectScope("p")); cov.Status != inventory.StatusOK || cov.Detail != "4 names at "+addr {
		t.Errorf("project coverage: %+v", cov)
	}
	// Only hosts are asked for addresses, certificate domains for CAA too
	// (each name of the tree once), and nothing else: no ACTIVE
	// certificate, wildcard or address.
	want := []string{"A broken.example.com udp", "A gone.example.com udp", "A shop.example.com udp", "A www.example.com udp",
		"AAAA broken.example.com udp", "AAAA gone.example.com udp", "AAAA shop.example.com udp", "AAAA www.example.com udp",
		"CAA example.com udp", "CAA gone.example.com udp", "CAA www.example.com udp"}
	if got := asked(z); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("queries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestDNSClient: a truncated answer is asked again over TCP, a server
// that does not answer is a timeout, and the next server is asked.
func TestDNSClient(t *testing.T) {
	t.Parallel()
	z := &dnstest.Zone{Records: []string{"big.example.com. 60 IN A 203.0.113.1", "big.example.com. 60 IN A 203.0.113.2"},
		Truncate: []string{"big.example.com"}, Silent: []string{"slow.example.com"}}
	addr := z.Serve(t)
	ctx := context.Background()
	// A second's timeout where an answer is expected: a live server must
	// not seem dead on a loaded machine.
	cl := &dnsClient{servers: []string{addr}, timeout: time.Second}
	a := cl.query(ctx, "big.example.com", inventory.DNSTypeA)
	if !a.Answered() || strings.Join(a.Addresses, ",") != "203.0.113.1,203.0.113.2" {
		t.Errorf("truncated answer: %+v", a)
	}
	if got := asked(z); strings.Join(got, ",") != "A big.example.com tcp,A big.example.com udp" {
		t.Errorf("queries: %v", got)
	}
	quick := &dnsClient{servers: []string{addr}, timeout: 200 * time.Millisecond}
	a = quick.query(ctx, "slow.example.com", inventory.DNSTypeA)
	if a.Answered() || a.RCode != "" || !strings.Contains(a.Error, addr+": no answer within 200ms") {
		t.Errorf("timeout: %+v", a)
	}
	// A dead server first: the next one answers.
	dead := &dnstest.Zone{Silent: []string{"big.example.com"}}
	cl = &dnsClient{servers: []string{dead.Serve(t), addr}, timeout: time.Second}
	if a := cl.query(ctx, "big.example.com", inventory.DNSTypeA); !a.Answered() || len(a.Addresses) != 2 {
		t.Errorf("second server: %+v", a)
	}
	// It timed out once: for the rest of the run it is asked after the
	// one that answers, so the next queries cost no timeout.
	for range 5 {
		if a := cl.query(ctx, "big.example.com", inventory.DNSTypeA); !a.Answered() {
			t.Errorf("later query: %+v", a)
		}
	}
	if got := asked(dead); len(got) != 1 {
		t.Errorf("the dead server was asked %d times: %v", len(got), got)
	}
	// A server that once timed out is still asked: last, never skipped,
	// here where it is the only one.
	slow := &dnsClient{servers: []string{addr}, timeout: time.Second}
	slow.heard(addr, false)
	if a := slow.query(ctx, "big.example.com", inventory.DNSTypeA); !a.Answered() {
		t.Errorf("a server that once timed out is no longer asked: %+v", a)
	}
}

// TestDNSUntrustedAnswers: what a server says is bounded and escaped.
func TestDNSUntrustedAnswers(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 300)
	a := sanitizeAnswer(inventory.DNSAnswer{Name: "evil", Type: "MX", RCode: inventory.RCodeNoError,
		CNAMEs:    []string{"a\x1b[31m.example."},
		Addresses: []string{"not-an-ip", "2001:db8::1", "192.0.2.1"},
		CAA:       []inventory.CAARecord{{Tag: "issue", Value: "pki.goog\x07" + long}}}, "www.example.com", inventory.DNSTypeA)
	if a.Name != "www.example.com" || a.Type != inventory.DNSTypeA || strings.Join(a.Addresses, ",") != "192.0.2.1" {
		t.Errorf("sanitized: %+v", a)
	}
	if strings.ContainsAny(a.CNAMEs[0], "\x1b") || strings.ContainsAny(a.CAA[0].Value, "\x07") || len(a.CAA[0].Value) > 300 {
		t.Errorf("not escaped or bounded: %q %q", a.CNAMEs[0], a.CAA[0].Value)
	}
	var many []string
	for i := 0; i < 100; i++ {
		many = append(many, "192.0.2.1")
	}
	if a := sanitizeAnswer(inventory.DNSAnswer{RCode: inventory.RCodeNoError, Addresses: many}, "x.example", inventory.DNSTypeA); len(a.Addresses) != maxDNSRecords {
		t.Errorf("kept %d addresses", len(a.Addresses))
	}
}

// TestDNSSkipAndReplay: --no-dns and a recording without answers skip the
// lookups (no gap); a library run that asks for none says so (skipped); a
// replay answers from the recording and makes no query; a query the
// recording lacks is a gap.
func TestDNSSkipAndReplay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, clusters := dnsCollector(Options{DNS: true, Resolver: "127.0.0.1:9", Skip: map[inventory.Source]string{inventory.DNSLookups: "--no-dns"}})
	c.collectDNS(ctx, clusters)
	if cov := coverageOf(c, inventory.ProjectScope("p")); cov.Status != inventory.StatusSkipped || cov.Detail != "--no-dns" || c.dns != nil || len(dnsEntries(c)) != 1 {
		t.Errorf("--no-dns: %+v %v", c.coverage, c.dns)
	}
	c, clusters = dnsCollector(Options{})
	c.collectDNS(ctx, clusters)
	if cov := coverageOf(c, inventory.ProjectScope("p")); cov.Status != inventory.StatusSkipped || !strings.Contains(cov.Detail, "not asked") || c.dns != nil {
		t.Errorf("no DNS asked: %+v", c.coverage)
	}
	// Nothing to resolve: no query, no resolver needed, a complete read.
	c = newCollector(Options{Project: "p", DNS: true})
	c.collectDNS(ctx, nil)
	if cov := coverageOf(c, inventory.ProjectScope("p")); cov.Status != inventory.StatusOK || !strings.HasPrefix(cov.Detail, "no name to resolve") || c.dns == nil || len(c.dns.Answers) != 0 {
		t.Errorf("nothing to resolve: %+v %+v", c.coverage, c.dns)
	}
	c, clusters = dnsCollector(Options{DNS: true, Replay: &recording.Recording{Manifest: recording.Manifest{Project: "p"}}})
	c.collectDNS(ctx, clusters)
	if cov := coverageOf(c, inventory.ProjectScope("p")); cov.Status != inventory.StatusSkipped || !strings.Contains(cov.Detail, "the recording holds no DNS answers") {
		t.Errorf("recording without answers: %+v", c.coverage)
	}

	// Record a live run's answers, then replay them with no server.
	z := dnsWorld()
	addr := z.Serve(t)
	live, clusters := dnsCollector(Options{DNS: true, Resolver: addr}, "shop.example.com")
	live.collectDNS(ctx, clusters)
	n := len(asked(z))
	// In any order: a hand-made recording need not sort its answers.
	recorded := *live.dns
	recorded.Answers = append([]inventory.DNSAnswer(nil), live.dns.Answers...)
	slices.Reverse(recorded.Answers)
	rec := &recording.Recording{Manifest: recording.Manifest{Project: "p", DNS: &recorded}}
	replay, clusters := dnsCollector(Options{Replay: rec, Resolver: addr}, "shop.example.com", "new.example.com")
	replay.collectDNS(ctx, clusters)
	if len(asked(z)) != n {
		t.Errorf("the replay asked the server: %v", asked(z)[n:])
	}
	for _, name := range []string{"www.example.com", "shop.example.com"} {
		for _, qt := range []string{inventory.DNSTypeA, inventory.DNSTypeAAAA} {
			a, _ := live.dns.Answer(name, qt)
			b, _ := replay.dns.Answer(name, qt)
			if strings.Join(a.Addresses, ",") != strings.Join(b.Addresses, ",") || a.RCode != b.RCode || !b.Answered() {
				t.Errorf("%s %s: live %+v, replayed %+v", qt, name, a, b)
			}
		}
	}
	if replay.dns.Resolver != addr {
		t.Errorf("replayed resolver: %q", replay.dns.Resolver)
	}
	if cov := coverageOf(replay, inventory.DNSScope("p", "new.example.com")); cov.Status != inventory.StatusError || !strings.Contains(cov.Error, "the recording holds no answer") ||
		!strings.Contains(cov.Hint, "record the run again") {
		t.Errorf("a name the recording lacks: %+v", cov)
	}
	if a, b := coverageOf(live, inventory.ProjectScope("p")), coverageOf(replay, inventory.ProjectScope("p")); a.Detail != "3 names at "+addr || b.Detail != "4 names at "+addr {
		t.Errorf("coverage: live %+v, replayed %+v", a, b)
	}
	// The Ingresses unread: no name is not "no Ingress names a host".
	c, clusters = dnsCollector(Options{Replay: rec, Resolver: addr})
	c.compute.SSLCertificates = nil
	c.coverage = slices.DeleteFunc(c.coverage, func(cov inventory.Coverage) bool { return cov.Source == inventory.KubeIngresses })
	c.collectDNS(ctx, clusters)
	if cov := coverageOf(c, inventory.ProjectScope("p")); !strings.HasPrefix(cov.Detail, "no name to resolve in what was read") {
		t.Errorf("names from unread lists: %+v", cov)
	}
	// A recording of a run with --no-dns says so again.
	c, clusters = dnsCollector(Options{Replay: &recording.Recording{Manifest: recording.Manifest{Project: "p", DNSSkipped: "--no-dns: off"}}})
	c.collectDNS(ctx, clusters)
	if cov := coverageOf(c, inventory.ProjectScope("p")); cov.Status != inventory.StatusSkipped || cov.Detail != "--no-dns: off" {
		t.Errorf("recording made with --no-dns: %+v", cov)
	}
}

// TestDNSCap: at most MaxDNSNames names a run, certificates' domains
// first; the rest are unknown (gaps), and say why.
func TestDNSCap(t *testing.T) {
	t.Parallel()
	z := &dnstest.Zone{}
	addr := z.Serve(t)
	var hosts []string
	for i := 0; i < MaxDNSNames+5; i++ {
		hosts = append(hosts, fmt.Sprintf("h%03d.example.com", i))
	}
	c, clusters := dnsCollector(Options{DNS: true, Resolver: addr}, hosts...)
	c.collectDNS(context.Background(), clusters)
	if c.dns.Capped != 7 {
		t.Errorf("capped %d, want 7 (205 hosts and 2 domains, 200 resolved)", c.dns.Capped)
	}
	if cov := coverageOf(c, inventory.DNSScope("p", "www.example.com")); cov.Status != inventory.StatusOK {
		t.Errorf("a certificate's domain was left out: %+v", cov)
	}
	// Not resolved is unknown, a gap: never "no record".
	if cov := coverageOf(c, inventory.DNSScope("p", "h204.example.com")); cov.Status != inventory.StatusUnknown || !cov.Gap() || !strings.Contains(cov.Error, "at most 200 names") {
		t.Errorf("capped name: %+v", cov)
	}
	if cov := coverageOf(c, inventory.ProjectScope("p")); !strings.Contains(cov.Detail, "7 more not resolved") {
		t.Errorf("project coverage: %+v", cov)
	}
}

// TestDNSServers reads the system's servers from a resolv.conf, and
// --resolver's instead.
func TestDNSServers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "resolv.conf")
	os.WriteFile(conf, []byte("search example.internal\nnameserver 10.0.0.2\nnameserver 2001:db8::53\noptions ndots:5\n"), 0o644)
	got, err := dnsServers("", conf)
	if err != nil || strings.Join(got, ",") != "10.0.0.2:53,[2001:db8::53]:53" {
		t.Errorf("servers: %v %v", got, err)
	}
	if got, err := dnsServers("127.0.0.1:5353", conf); err != nil || strings.Join(got, ",") != "127.0.0.1:5353" {
		t.Errorf("--resolver: %v %v", got, err)
	}
	if _, err := dnsServers("", filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing resolv.conf is no error")
	}
}

// TestCoverCancelledKeepsSkips: a run that ran out of time before a read
// records it as a gap, but a read it skipped on purpose (--no-dns) stays
// skipped, as the README promises.
func TestCoverCancelledKeepsSkips(t *testing.T) {
	t.Parallel()
	c := newCollector(Options{Project: "p", Skip: map[inventory.Source]string{inventory.DNSLookups: "--no-dns"}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.coverCancelled(ctx, inventory.DNSLookups, inventory.MonitoringTraffic)
	got := map[inventory.Source]inventory.Coverage{}
	for _, cov := range c.coverage {
		got[cov.Source] = cov
	}
	if cov := got[inventory.DNSLookups]; cov.Status != inventory.StatusSkipped || cov.Detail != "--no-dns" {
		t.Errorf("skipped DNS after the timeout: %+v", cov)
	}
	if cov := got[inventory.MonitoringTraffic]; cov.Status != inventory.StatusError || !strings.Contains(cov.Error, "context canceled") {
		t.Errorf("cancelled Monitoring read: %+v", cov)
	}
}

// TestDNSSkipped: the one account of why a run makes no lookups, which
// collectDNS and a run cut short both give.
func TestDNSSkipped(t *testing.T) {
	t.Parallel()
	withDNS := &recording.Recording{}
	withDNS.Manifest.DNS = &inventory.DNS{}
	noDNS, saidWhy := &recording.Recording{}, &recording.Recording{}
	saidWhy.Manifest.DNSSkipped = "--no-dns"
	for _, tc := range []struct {
		name string
		opts Options
		want string // "" when the run makes lookups
	}{
		{"live, asked", Options{DNS: true}, ""},
		{"a rule selection", Options{DNS: true, Skip: map[inventory.Source]string{inventory.DNSLookups: "no rule of this run needs it"}}, "no rule of this run needs it"},
		{"a library caller that did not ask", Options{}, "not asked to resolve names"},
		{"a replay with answers", Options{Replay: withDNS}, ""},
		{"a replay without", Options{Replay: noDNS}, "holds no DNS answers"},
		{"a replay of a --no-dns run", Options{Replay: saidWhy}, "--no-dns"},
	} {
		reason, skipped := tc.opts.dnsSkipped()
		if skipped != (tc.want != "") || !strings.Contains(reason, tc.want) {
			t.Errorf("%s: %q, %v", tc.name, reason, skipped)
		}
	}
}

// TestCollectorReadAsTheRules: a source read in a scope twice, once
// whole and once not, is not read, as the rules will judge it.
func TestCollectorReadAsTheRules(t *testing.T) {
	t.Parallel()
	c := newCollector(Options{Project: "p"})
	c.cover(inventory.Coverage{Source: inventory.ComputeSSLCertificates, Scope: "projects/p", Status: inventory.StatusOK})
	if !c.read(inventory.ComputeSSLCertificates, "projects/p") {
		t.Fatal("read whole, said not read")
	}
	c.cover(inventory.Coverage{Source: inventory.ComputeSSLCertificates, Scope: "projects/p", Status: inventory.StatusError, Error: "403"})
	if c.read(inventory.ComputeSSLCertificates, "projects/p") {
		t.Fatal("a failed second read, said read")
	}
}
