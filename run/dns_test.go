package run

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inspect/rules"
	"github.com/lbdiag/lbdiag/inventory"
	"github.com/lbdiag/lbdiag/report"
)

// TestNoDNSOptions: --no-dns skips the lookups whatever the rules need,
// and wins over "no selected rule needs it"; DNS and the resolver reach
// the collection.
func TestNoDNSOptions(t *testing.T) {
	t.Parallel()
	cfg := Config{DNS: true, Resolver: "127.0.0.1:5353"}
	if o := cfg.options("p"); !o.DNS || o.Resolver != "127.0.0.1:5353" || o.Skip != nil {
		t.Errorf("options: DNS %v, resolver %q, skip %v", o.DNS, o.Resolver, o.Skip)
	}
	cfg = Config{NoDNS: true}
	if r := cfg.options("p").Skip[inventory.DNSLookups]; !strings.HasPrefix(r, "--no-dns") {
		t.Errorf("--no-dns: %q", r)
	}
	sel, err := rules.Select(rules.All(), rules.Selection{Rules: []string{"network/*"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg = Config{Rules: sel}
	if r := cfg.options("p").Skip[inventory.DNSLookups]; !strings.Contains(r, "no selected rule needs it") {
		t.Errorf("network rules only: %q", r)
	}
	cfg.NoDNS = true
	if r := cfg.options("p").Skip[inventory.DNSLookups]; !strings.HasPrefix(r, "--no-dns") {
		t.Errorf("network rules only and --no-dns: %q", r)
	}
}

// TestNoDNSRecorded: a run with --no-dns records why it made no lookup,
// and its replay says the same.
func TestNoDNSRecorded(t *testing.T) {
	t.Parallel()
	cfg := demoConfig(t)
	cfg.NoDNS = true
	cfg.Record = filepath.Join(t.TempDir(), "rec")
	first, err := Project(context.Background(), cfg, "acme-shop-prod")
	if err != nil {
		t.Fatal(err)
	}
	rec, cleanup, err := recording.LoadPath(cfg.Record)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if rec.Manifest.DNS != nil || !strings.HasPrefix(rec.Manifest.DNSSkipped, "--no-dns") {
		t.Errorf("manifest: dns %v, skipped %q", rec.Manifest.DNS, rec.Manifest.DNSSkipped)
	}
	again := demoConfig(t)
	again.Replay = rec
	second, err := Project(context.Background(), again, "acme-shop-prod")
	if err != nil {
		t.Fatal(err)
	}
	if a, b := dnsCoverage(first), dnsCoverage(second); a == "" || a != b {
		t.Errorf("DNS coverage: live %q, replayed %q", a, b)
	}
}

func dnsCoverage(r *report.Report) string {
	for _, c := range r.Coverage {
		if c.Source == string(inventory.DNSLookups) {
			return c.Status + " " + c.Detail
		}
	}
	return ""
}
