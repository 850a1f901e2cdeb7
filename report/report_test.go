package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

func sampleReport() *Report {
	inv := &inventory.Inventory{Project: "acme", Coverage: inventory.CoverageSet{
		{Source: inventory.ComputeBackendServices, Scope: "projects/acme", Status: inventory.StatusOK},
		{Source: inventory.KubeGCPGatewayPolicies, Scope: "projects/acme/locations/l/clusters/c", Status: inventory.StatusNotInstalled},
		{Source: inventory.ComputeSecurityPolicies, Scope: "projects/acme", Status: inventory.StatusError, Error: "googleapi: Error 403: forbidden", Hint: "grant roles/compute.viewer"},
	}}
	res := inspect.Result{Findings: []inspect.Finding{
		{Rule: "proxy-only-subnet-missing", Severity: inspect.Error, Title: "t", Message: "Class gce-internal needs an ACTIVE proxy-only subnet " + strings.Repeat("and more words ", 12),
			Resource:    inspect.Resource{Kind: "Ingress", Project: "acme", Location: "us-central1-a", Cluster: "ops", Namespace: "ops", Name: "admin"},
			Evidence:    map[string]any{"region": "us-central1"},
			Remediation: `kubectl patch backendconfig web -n shop --type merge -p '{"spec":{"securityPolicy":{"name":"a-very-long-policy-name-that-cannot-wrap"}}}'`},
		{Rule: "x-warning", Severity: inspect.Warning, Title: "t", Message: "m", Resource: inspect.Resource{Kind: "Subnetwork", Project: "acme", Location: "us-central1", Name: "s"}, Remediation: "r"},
	}}
	return New(Tool{Name: "lbdiag", Version: "test"}, inv, res, time.Unix(0, 0), time.Unix(2, 0))
}

func TestTableWrapsWithoutLosingText(t *testing.T) {
	t.Parallel()
	rep := sampleReport()
	rep.Findings[1].Remediation = "kubectl apply -f - <<'EOF'\napiVersion: cloud.google.com/v1\nkind: BackendConfig\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  connectionDraining:\n    drainingTimeoutSec: 60\nEOF"
	for _, width := range []int{80, 120, 140, 200, 100000} {
		var buf bytes.Buffer
		if err := WriteTable(&buf, rep, TableOptions{Width: width}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		lines := strings.Split(out, "\n")
		fixLines := map[string]bool{}
		for _, f := range rep.Findings {
			for _, l := range strings.Split(f.Remediation, "\n") {
				fixLines[l] = true
			}
		}
		// Every line of every fix is a whole line of the output, leading
		// spaces included: it pastes as it is.
		for l := range fixLines {
			if !contains(lines, l) {
				t.Errorf("width %d: the fix line %q is not printed whole:\n%s", width, l, out)
			}
		}
		// Everything else fits the width (capped at MaxWidth).
		for _, line := range lines {
			if n := utf8.RuneCountInString(line); n > min(width, MaxWidth) && !fixLines[line] {
				t.Errorf("width %d: line of %d runes: %q", width, n, line)
			}
		}
		if len(out) > 20000 {
			t.Errorf("width %d: %d bytes of output for two findings", width, len(out))
		}
		for _, s := range []string{"1 error, 1 warning, 0 info findings in project", "Could not check:", "compute.securityPolicies in projects/acme: error:", "→ grant roles/compute.viewer", "cluster us-central1-a/ops"} {
			if !strings.Contains(out, s) {
				t.Errorf("width %d: table lacks %q:\n%s", width, s, out)
			}
		}
		if strings.Contains(out, "\x1b[") {
			t.Error("colour codes without Color")
		}
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

func TestWrapBreaksAtSeparators(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		width    int
		want     string
	}{
		{"words", "one two three", 7, "one two\nthree"},
		{"long name at a dash", "k8s1-4f7d2b91-shop-checkout-8080-5d03f6e2", 34, "k8s1-4f7d2b91-shop-checkout-8080-\n5d03f6e2"},
		{"path at a slash", "projects/acme/global/forwardingRules/k8s2-fr-x", 30, "projects/acme/global/\nforwardingRules/k8s2-fr-x"},
		{"no separator", "abcdefghij", 4, "abcd\nefgh\nij"},
	} {
		if got := wrap(tc.in, tc.width); got != tc.want {
			t.Errorf("%s: wrap(%q, %d) = %q, want %q", tc.name, tc.in, tc.width, got, tc.want)
		}
	}
}

func TestNothingRead(t *testing.T) {
	t.Parallel()
	inv := &inventory.Inventory{Project: "acme", Coverage: inventory.CoverageSet{
		{Source: inventory.ComputeBackendServices, Scope: "projects/acme", Status: inventory.StatusError, Error: "403"},
		{Source: inventory.GKEClusters, Scope: "projects/acme", Status: inventory.StatusError, Error: "403"},
	}}
	var buf bytes.Buffer
	WriteTable(&buf, New(Tool{}, inv, inspect.Result{}, time.Time{}, time.Time{}), TableOptions{})
	if !strings.HasPrefix(buf.String(), "Nothing could be checked in project acme") {
		t.Errorf("headline: %q", buf.String())
	}
}

func TestTableColour(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	WriteTable(&buf, sampleReport(), TableOptions{Width: 160, Color: true})
	if !strings.Contains(buf.String(), "\x1b[31;1merror\x1b[0m") {
		t.Errorf("no red severity:\n%s", buf.String())
	}
}

func TestNoFindings(t *testing.T) {
	t.Parallel()
	r := New(Tool{}, &inventory.Inventory{Project: "acme"}, inspect.Result{}, time.Time{}, time.Time{})
	var buf bytes.Buffer
	WriteTable(&buf, r, TableOptions{})
	if got := buf.String(); got != "No problems found in project acme (0 clusters inspected; every source was read).\n" {
		t.Errorf("got %q", got)
	}
	var js bytes.Buffer
	WriteJSON(&js, r)
	if !strings.Contains(js.String(), `"findings": []`) || !strings.Contains(js.String(), `"coverage": []`) {
		t.Errorf("empty lists must be [] not null:\n%s", js.String())
	}
}

func TestJSONContract(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schemaVersion", "tool", "project", "startedAt", "finishedAt", "coverage", "findings"} {
		if _, ok := v[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
	f := v["findings"].([]any)[0].(map[string]any)
	for _, k := range []string{"rule", "severity", "title", "message", "resource", "evidence", "remediation"} {
		if _, ok := f[k]; !ok {
			t.Errorf("finding lacks %q", k)
		}
	}
	if f["severity"] != "error" {
		t.Errorf("severity = %v", f["severity"])
	}
	cov := v["coverage"].([]any)
	notInstalled := cov[1].(map[string]any)
	if notInstalled["status"] != "ok" || notInstalled["detail"] != "not installed" {
		t.Errorf("not-installed entry = %v", notInstalled)
	}
	if len(sampleReport().Gaps()) != 1 {
		t.Errorf("gaps = %v", sampleReport().Gaps())
	}
}

func TestCSV(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("rows = %v", rows)
	}
	if rows[1][0] != "error" || rows[1][5] != "us-central1-a" || rows[1][7] != "ops" || rows[1][11] != `{"region":"us-central1"}` {
		t.Errorf("row = %v", rows[1])
	}
}

// TestNewCleansEveryFindingAndVerdict: a big run's findings and verdicts
// are cleaned in parts, side by side; each is cleaned, once, whatever
// evidence they share.
func TestNewCleansEveryFindingAndVerdict(t *testing.T) {
	t.Parallel()
	shared := map[string]any{"path": "/a\x1b[2Jb", "list": []any{"x\x07"}}
	var res inspect.Result
	// Two rules' verdicts share each resource, as inspect.Run's do.
	judged := make([]inspect.Resource, 4321)
	for i := range 4321 {
		res.Findings = append(res.Findings, inspect.Finding{Rule: "r", Message: fmt.Sprintf("finding %d \x1b]0;t\x07", i),
			Resource: inspect.Resource{Kind: "Service", Name: fmt.Sprintf("s%d\r", i)}, Evidence: shared})
		judged[i] = inspect.Resource{Kind: "Service", Name: fmt.Sprintf("s%d\r", i)}
		res.Verdicts = append(res.Verdicts, inspect.Verdict{Rule: "r", Resource: &judged[i]}, inspect.Verdict{Rule: "q", Resource: &judged[i]})
	}
	r := New(Tool{}, &inventory.Inventory{Project: "acme"}, res, time.Time{}, time.Time{})
	for i, f := range r.Findings {
		if want := fmt.Sprintf(`finding %d \x1b]0;t\x07`, i); f.Message != want || f.Resource.Name != fmt.Sprintf(`s%d\x0d`, i) {
			t.Fatalf("finding %d: %q on %q", i, f.Message, f.Resource.Name)
		}
		if f.Evidence["path"] != `/a\x1b[2Jb` || f.Evidence["list"].([]any)[0] != `x\x07` {
			t.Fatalf("finding %d: evidence %v", i, f.Evidence)
		}
	}
	for i, v := range r.Verdicts {
		if v.Resource.Name != fmt.Sprintf(`s%d\x0d`, i/2) {
			t.Fatalf("verdict %d: %q", i, v.Resource.Name)
		}
	}
	if judged[7].Name != "s7\r" {
		t.Fatalf("the shared resource was changed: %q", judged[7].Name)
	}
	if shared["path"] != "/a\x1b[2Jb" {
		t.Fatalf("the shared evidence was changed: %q", shared["path"])
	}
}

// TestSplitInto: however many parts, every index is visited once.
func TestSplitInto(t *testing.T) {
	t.Parallel()
	for _, parts := range []int{1, 2, 3, 7} {
		for _, n := range []int{0, 1, 5, 1000, 4321} {
			seen := make([]atomic.Int32, n)
			splitInto(parts, n, func(i int) { seen[i].Add(1) })
			for i := range seen {
				if c := seen[i].Load(); c != 1 {
					t.Fatalf("%d parts of %d: index %d visited %d times", parts, n, i, c)
				}
			}
		}
	}
}
