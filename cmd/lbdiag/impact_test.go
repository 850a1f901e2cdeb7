package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/report"
)

func TestParseWindow(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"1h": time.Hour, "7d": 7 * 24 * time.Hour, "1d12h": 36 * time.Hour, "90m": 90 * time.Minute, "0d": 0} {
		if got, err := parseWindow(in); err != nil || got != want {
			t.Errorf("parseWindow(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"d", "7x", "-1d", "1d-", "week"} {
		if _, err := parseWindow(bad); err == nil {
			t.Errorf("parseWindow(%q) succeeded", bad)
		}
	}
}

// TestDemoImpactAndChanges: the demo with an hour of metrics and a week of
// audit logs puts what hurts first and says what changed.
func TestDemoImpactAndChanges(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	res := runLbdiag(t, home, "inspect", "--demo", "--metrics", "1h", "--changes", "7d", "--format", "json")
	if res.code != report.ExitFindings {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	for _, want := range []string{`"requestsPerSecond": 3,`, `"ratio5xx": 0.08,`,
		"last change: firewalls allow-proxy-only-europe-west1 was changed at 2026-11-25T03:12Z by …@acme-shop.example (v1.compute.firewalls.patch)",
		"Cloud Monitoring counts 8.0% server errors (864 of 10800 requests)", "(idle: UrlMap k8s2-um-dmqbrr78-shop-summer-sale-2rmwpzbz served no request in the last 1h"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	// The table shows the impact under the severity, the busiest
	// load balancer's errors first.
	table := runLbdiag(t, home, "inspect", "--demo", "--metrics", "1h", "--changes", "7d").stdout
	if i, j := strings.Index(table, "│ 30 rps   │"), strings.Index(table, "l4-service-pending"); i < 0 || j < 0 || i > j || !strings.Contains(table, "│ 8.0% 5xx │") {
		t.Errorf("the table does not sort by or show the impact:\n%s", table)
	}
	// --show-principals shows whole emails (the demo's recording has them).
	if res := runLbdiag(t, home, "inspect", "--demo", "--show-principals", "--format", "json"); !strings.Contains(res.stdout, `"by": "dana@acme-shop.example"`) {
		t.Error("--show-principals did not show the caller's email")
	}
	// Windows the recording does not hold: its queries have no answer, a
	// gap (exit 1 for the findings all the same), never "no change".
	res = runLbdiag(t, home, "inspect", "--demo", "--changes", "8d", "--format", "json")
	if status, errText, _ := gap(parseReport(t, res.stdout), "logging.auditChanges", "projects/acme-shop-prod"); status != "error" || errText == "" {
		t.Errorf("--changes 8d on the demo: %s %q", status, errText)
	}
	for _, tc := range []struct{ args, want string }{
		{"--metrics 10d", "--metrics 240h0m0s: give a window from 1m to 7d"},
		{"--metrics 30s", "give a window from 1m to 7d"},
		{"--changes 31d", "--changes 744h0m0s: give a window up to 30d"},
		{"--changes soon", `"soon" is not a duration such as 1h, 7d or 1d12h`},
		{"--max-5xx-ratio 2", "--max-5xx-ratio 2: give a ratio between 0 and 1"},
		// A bundle never holds a caller's whole email.
		{"--changes 7d --show-principals --evidence " + filepath.Join(t.TempDir(), "b.tar.gz"), "an evidence bundle keeps only the callers' domains"},
	} {
		res := runLbdiag(t, home, append([]string{"inspect", "--demo"}, strings.Fields(tc.args)...)...)
		if res.code != report.ExitError || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%s: exit %d, %q, want %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
}
