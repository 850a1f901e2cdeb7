package rules

import (
	"os"
	"strings"
	"testing"
)

// TestREADMECatalogue keeps the README's rule table in step with the
// registry.
func TestREADMECatalogue(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	// The rule table is the "## Rules" section's.
	_, rest, _ := strings.Cut(readme, "\n## Rules\n")
	section, _, _ := strings.Cut(rest, "\n## ")
	for _, r := range All() {
		row := "| `" + r.ID + "` | " + r.Severity.String() + " | " + r.Title + " |"
		if !strings.Contains(section, row) {
			t.Errorf("README lacks the row %s", row)
		}
	}
	if got, want := strings.Count(section, "\n| `"), len(All()); got != want {
		t.Errorf("README's rule table has %d rows, the registry %d rules", got, want)
	}
}
