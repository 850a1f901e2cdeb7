package report

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// TestStaleInRunNarrowed: an entry no finding of the run used is stale in
// a run that saw everything the file covers; in a narrowed run (another
// shard's projects, a rule selection, ...) it may be in use elsewhere, so
// none is called stale, and the reports say why.
func TestStaleInRunNarrowed(t *testing.T) {
	t.Parallel()
	ig := &inventory.Ignores{File: "lbdiag-ignore.yaml", Now: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		Entries: []inventory.IgnoreEntry{{Line: 3, Rule: "neg-missing", Reason: "migrating", Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	rep := func() *Report {
		return &Report{Ignore: &IgnoreSummary{File: ig.File, Entries: 1}, IgnoreUsed: map[int]bool{}}
	}

	all := func(inventory.IgnoreEntry) bool { return true }
	whole := rep()
	sum := StaleInRun(ig, []*Report{whole}, all, "")
	if len(sum.Stale) != 1 || sum.Stale[0].Line != 3 || len(whole.Ignore.Stale) != 1 || sum.StaleNotJudged != "" {
		t.Errorf("a whole run: %+v, report %+v", sum, whole.Ignore)
	}
	part := rep()
	sum = StaleInRun(ig, []*Report{part}, nil, "no entry is called stale: the run saw part of what the file covers (the rules were selected)")
	if len(sum.Stale) != 0 || len(part.Ignore.Stale) != 0 || !strings.Contains(part.Ignore.StaleNotJudged, "rules were selected") {
		t.Errorf("a narrowed run: %+v, report %+v", sum, part.Ignore)
	}
	// Judged in part: only the entries judge accepts can be stale, and
	// every output says so.
	ig.Entries = append(ig.Entries, inventory.IgnoreEntry{Line: 7, Rule: "neg-missing", Project: "shop-prod", Reason: "r", Expires: ig.Entries[0].Expires})
	part = rep()
	part.Project = "shop-prod"
	sum = StaleInRun(ig, []*Report{part}, func(e inventory.IgnoreEntry) bool { return e.Project == "shop-prod" }, "only entries naming one project of this shard are called stale")
	if len(sum.Stale) != 1 || sum.Stale[0].Line != 7 {
		t.Errorf("a shard: %+v", sum)
	}
	fleet := &Fleet{Projects: []*Report{part}, Ignore: sum}
	var table, log, html strings.Builder
	if err := WriteTable(&table, part, TableOptions{Width: 120}); err != nil {
		t.Fatal(err)
	}
	if err := WriteLog(&log, fleet); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, part); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"table": table.String(), "log": log.String(), "html": html.String()} {
		if !strings.Contains(out, "only entries naming one project of this shard are called stale") {
			t.Errorf("%s does not say which entries were judged:\n%s", name, out)
		}
	}
}

// TestStaleInRunUnknown: an entry whose rule could not check in a project
// it applies to is not called stale (the finding it names may be one the
// run could not make), nor is a fingerprint entry when any rule could not
// check; the reports say how many were left unjudged.
func TestStaleInRunUnknown(t *testing.T) {
	t.Parallel()
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	ig := &inventory.Ignores{File: "lbdiag-ignore.yaml", Now: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), Entries: []inventory.IgnoreEntry{
		{Line: 3, Rule: "neg-missing", Project: "shop-*", Reason: "r", Expires: exp},
		{Line: 7, Rule: "address-unused", Reason: "r", Expires: exp},
		{Line: 11, Fingerprint: "0123456789abcdef", Reason: "r", Expires: exp},
		{Line: 15, Rule: "neg-missing", Project: "bank-prod", Reason: "r", Expires: exp},
	}}
	rep := &Report{Project: "shop-prod", Ignore: &IgnoreSummary{File: ig.File, Entries: 4}, IgnoreUsed: map[int]bool{},
		Checks: []inspect.Check{{Rule: "neg-missing", CouldNotCheck: 1}, {Rule: "address-unused", Judged: 3, Passed: 3}}}
	all := func(inventory.IgnoreEntry) bool { return true }
	sum := StaleInRun(ig, []*Report{rep}, all, "")
	var lines []int
	for _, e := range sum.Stale {
		lines = append(lines, e.Line)
	}
	// 7: its rule checked everything; 15: names another project, where
	// neg-missing could check.
	if !slices.Equal(lines, []int{7, 15}) || !strings.Contains(sum.StaleNotJudged, "2 suppressions whose rule could not check") {
		t.Errorf("stale %v, not judged %q", lines, sum.StaleNotJudged)
	}
}
