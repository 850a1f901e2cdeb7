package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The BigQuery recipe (deploy/bigquery) is checked against the log lines
// lbdiag writes: the table schema a Cloud Logging sink makes of them, by
// the rules Google documents for it ("BigQuery schema for logs",
// cloud.google.com/logging/docs/export/bigquery), must be the recipe's
// schema.json, must have one type per column whatever the rule (a sink
// drops lines whose types conflict with the table's), and must hold every
// column the example queries read. No BigQuery runs here: the queries'
// column references are checked, not their results.

// bqField is a column of a BigQuery schema, as bq show --schema prints it.
type bqField struct {
	Name   string     `json:"name"`
	Type   string     `json:"type"`
	Mode   string     `json:"mode"`
	Fields []*bqField `json:"fields,omitempty"`
}

var nonAlnum = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// bqName is a user-supplied field's column name: unsupported characters
// become underscores, leading underscores go, and the name is lower case.
func bqName(k string) string {
	return strings.ToLower(strings.TrimLeft(nonAlnum.ReplaceAllString(k, "_"), "_"))
}

// merge adds a JSON value's columns under parent, failing on a type
// conflict. jsonPayload is a protobuf Struct: every number is a double.
func merge(t *testing.T, parent *bqField, path, key string, v any) {
	t.Helper()
	var typ string
	var mode = "NULLABLE"
	switch x := v.(type) {
	case nil:
		return
	case string:
		typ = "STRING"
	case float64, json.Number:
		typ = "FLOAT"
	case bool:
		typ = "BOOLEAN"
	case map[string]any:
		typ = "RECORD"
	case []any:
		if len(x) == 0 {
			return
		}
		mode = "REPEATED"
		for _, el := range x {
			merge(t, parent, path, key, el)
		}
		f := find(parent, key)
		if f != nil {
			f.Mode = mode
		}
		return
	}
	f := find(parent, key)
	if f == nil {
		f = &bqField{Name: key, Type: typ, Mode: mode}
		parent.Fields = append(parent.Fields, f)
	} else if f.Type != typ {
		t.Errorf("column %s is %s in one line and %s in another: the sink would drop lines", path, f.Type, typ)
		return
	}
	if m, ok := v.(map[string]any); ok {
		for k, sub := range m {
			merge(t, f, path+"."+bqName(k), bqName(k), sub)
		}
	}
}

func find(parent *bqField, name string) *bqField {
	for _, f := range parent.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func sortFields(f *bqField) {
	sort.Slice(f.Fields, func(i, j int) bool { return f.Fields[i].Name < f.Fields[j].Name })
	for _, c := range f.Fields {
		sortFields(c)
	}
}

// logSchema is the schema a sink makes of lbdiag's lines: the LogEntry's
// timestamp and severity, its labels (logging.googleapis.com/labels), and
// jsonPayload (the rest of the line).
func logSchema(t *testing.T, lines []map[string]any) *bqField {
	t.Helper()
	root := &bqField{Fields: []*bqField{{Name: "timestamp", Type: "TIMESTAMP", Mode: "NULLABLE"}, {Name: "severity", Type: "STRING", Mode: "NULLABLE"}}}
	labels := &bqField{Name: "labels", Type: "RECORD", Mode: "NULLABLE"}
	payload := &bqField{Name: "jsonPayload", Type: "RECORD", Mode: "NULLABLE"}
	root.Fields = append(root.Fields, labels, payload)
	for _, line := range lines {
		for k, v := range line {
			switch k {
			case "severity":
			case "logging.googleapis.com/labels":
				for lk, lv := range v.(map[string]any) {
					merge(t, labels, "labels."+bqName(lk), bqName(lk), lv)
				}
			default:
				merge(t, payload, "jsonPayload."+bqName(k), bqName(k), v)
			}
		}
	}
	sortFields(root)
	return root
}

func logLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("a log line is not JSON: %v", err)
		}
		lines = append(lines, m)
	}
	return lines
}

func TestBigQueryRecipe(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	// Lines of every kind: findings new and ongoing (a baseline), a
	// coverage gap (the ingress guide has one), a summary, a stale
	// suppression.
	base := runLbdiag(t, home, "inspect", "--demo", "--format", "json", "--skip-rules", "address-unused")
	if err := os.WriteFile(filepath.Join(home, "base.json"), []byte(base.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(home, "ignore.yaml"), []byte("suppressions:\n  - rule: address-unused\n    name: nothing-by-this-name\n    reason: stale on purpose\n    expires: 2099-01-01\n"), 0o644)
	demo := runLbdiagEnv(t, home, []string{"CLOUD_RUN_EXECUTION=lbdiag-nightly-x7k2p"}, "inspect", "--demo", "--format", "log", "--baseline", "base.json", "--ignore-file", "ignore.yaml", "--now", "2026-12-01T02:00:00Z")
	guide, _ := filepath.Abs("../../fixtures/ingress-guide")
	gaps := runLbdiagEnv(t, home, []string{"CLOUD_RUN_EXECUTION=lbdiag-nightly-x7k2p"}, "inspect", "--replay", guide, "--format", "log")
	lines := append(logLines(t, demo.stdout), logLines(t, gaps.stdout)...)
	kinds := map[string]int{}
	for _, l := range lines {
		for _, k := range []string{"finding", "coverage", "summary", "staleSuppression"} {
			if l[k] != nil {
				kinds[k]++
			}
		}
		labels, _ := l["logging.googleapis.com/labels"].(map[string]any)
		if l["runId"] != "lbdiag-nightly-x7k2p" || labels["run_id"] != "lbdiag-nightly-x7k2p" {
			t.Errorf("a line lacks the run's ID: %v", l)
		}
		if l["finding"] != nil && (labels["fingerprint"] == nil || labels["fingerprint"] != l["finding"].(map[string]any)["fingerprint"]) {
			t.Errorf("a finding line lacks its fingerprint label: %v", labels)
		}
	}
	if kinds["finding"] < 10 || kinds["coverage"] == 0 || kinds["summary"] != 2 || kinds["staleSuppression"] != 1 {
		t.Fatalf("line kinds %v", kinds)
	}
	schema := logSchema(t, lines)
	got, _ := json.MarshalIndent(schema.Fields, "", "  ")
	got = append(got, '\n')
	const file = "../../deploy/bigquery/schema.json"
	if *updateREADME {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(got) {
		t.Errorf("deploy/bigquery/schema.json is not the schema of lbdiag's log lines (go test ./cmd/lbdiag -run BigQuery -update):\n%s", got)
	}

	// Every column the queries read is in the schema, with the type the
	// query uses it as.
	columns := map[string]string{}
	var walk func(prefix string, fs []*bqField)
	walk = func(prefix string, fs []*bqField) {
		for _, f := range fs {
			columns[prefix+f.Name] = f.Type
			walk(prefix+f.Name+".", f.Fields)
		}
	}
	walk("", schema.Fields)
	ref := regexp.MustCompile(`\b(?:[a-z]\.)?((?:labels|jsonPayload)(?:\.[a-z0-9_]+)+)`)
	queries, _ := filepath.Glob("../../deploy/bigquery/queries/*.sql")
	if len(queries) != 3 {
		t.Fatalf("%d queries, want 3", len(queries))
	}
	for _, q := range queries {
		b, err := os.ReadFile(q)
		if err != nil {
			t.Fatal(err)
		}
		sql := regexp.MustCompile(`--[^\n]*`).ReplaceAllString(string(b), "") // comments are prose
		if !strings.Contains(sql, "`OPS_PROJECT.lbdiag.run_googleapis_com_stdout`") {
			t.Errorf("%s does not read the sink's table", q)
		}
		refs := ref.FindAllStringSubmatch(sql, -1)
		if len(refs) == 0 {
			t.Errorf("%s reads no column", q)
		}
		for _, m := range refs {
			typ, ok := columns[m[1]]
			switch {
			case !ok:
				t.Errorf("%s reads %s, which lbdiag's lines do not have", filepath.Base(q), m[1])
			case typ == "RECORD":
				t.Errorf("%s reads %s, a record, as a value", filepath.Base(q), m[1])
			}
		}
	}
	for _, col := range []string{"labels.fingerprint", "labels.run_id", "labels.project", "labels.rule", "labels.severity", "jsonPayload.runid",
		"jsonPayload.finding.evidence", "jsonPayload.summary.exitcode"} {
		if _, ok := columns[col]; !ok {
			t.Errorf("the schema lacks %s", col)
		}
	}
	if columns["jsonPayload.finding.evidence"] != "STRING" {
		t.Errorf("evidence is %s: it must be a JSON string, whose shape no rule can change", columns["jsonPayload.finding.evidence"])
	}
}
