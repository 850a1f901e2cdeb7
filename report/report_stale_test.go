package report

import (
	"strings"
	"testing"
	"time"

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

	whole := rep()
	sum := StaleInRun(ig, []*Report{whole}, "")
	if len(sum.Stale) != 1 || sum.Stale[0].Line != 3 || len(whole.Ignore.Stale) != 1 || sum.StaleNotJudged != "" {
		t.Errorf("a whole run: %+v, report %+v", sum, whole.Ignore)
	}
	part := rep()
	sum = StaleInRun(ig, []*Report{part}, "the run saw part of what the file covers (this is shard 1 of 4)")
	if len(sum.Stale) != 0 || len(part.Ignore.Stale) != 0 || !strings.Contains(part.Ignore.StaleNotJudged, "shard 1 of 4") {
		t.Errorf("a shard: %+v, report %+v", sum, part.Ignore)
	}
}
