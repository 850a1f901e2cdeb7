package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
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
	for _, width := range []int{80, 120, 200} {
		var buf bytes.Buffer
		if err := WriteTable(&buf, sampleReport(), TableOptions{Width: width}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		table, _, _ := strings.Cut(out, "\n1 error")
		for _, line := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(line); n > width {
				t.Errorf("width %d: line of %d runes: %q", width, n, line)
			}
		}
		// Every character of the fix survives the wrapping.
		var fixColumn strings.Builder
		inFix := false
		for _, line := range strings.Split(table, "\n") {
			if cells := strings.Split(line, "│"); len(cells) == 7 {
				fixColumn.WriteString(strings.ReplaceAll(cells[5], " ", ""))
			}
			// The narrow layout: "  Fix     " and its indented continuation.
			switch {
			case strings.HasPrefix(line, "  Fix     "):
				inFix = true
				fixColumn.WriteString(strings.ReplaceAll(strings.TrimPrefix(line, "  Fix     "), " ", ""))
			case inFix && strings.HasPrefix(line, "          "):
				fixColumn.WriteString(strings.ReplaceAll(line, " ", ""))
			default:
				inFix = false
			}
		}
		want := strings.ReplaceAll(sampleReport().Findings[0].Remediation, " ", "")
		if !strings.Contains(fixColumn.String(), want) {
			t.Errorf("width %d: the remediation was cut:\n%s", width, out)
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
