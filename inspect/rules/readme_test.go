package rules

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var updateREADME = flag.Bool("update", false, "rewrite the README's rule table from the registry")

// TestREADMECatalogue keeps the README's rule table in step with the
// registry; -update rewrites it.
func TestREADMECatalogue(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	const head = "| ID | Severity | Good state |\n|---|---|---|\n"
	before, rest, ok := strings.Cut(readme, head)
	if !ok {
		t.Fatal("the README has no rule table")
	}
	table, after, _ := strings.Cut(rest, "\n\n")
	var want strings.Builder
	for i, r := range All() {
		if i > 0 {
			want.WriteString("\n")
		}
		want.WriteString("| `" + r.ID + "` | " + r.Severity.String() + " | " + r.Title + " |")
	}
	if table == want.String() {
		return
	}
	if *updateREADME {
		if err := os.WriteFile("../../README.md", []byte(before+head+want.String()+"\n\n"+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the README's rule table differs from the registry; run go test ./inspect/rules -run README -update\nwant:\n%s", want.String())
}
