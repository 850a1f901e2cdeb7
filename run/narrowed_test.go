package run

import (
	"strings"
	"testing"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
	"github.com/lbdiag/lbdiag/report"
)

// TestNarrowed: a run sees all an ignore file covers only without rule
// selection, severity floor, focus or --cluster.
func TestNarrowed(t *testing.T) {
	t.Parallel()
	if why := (&Config{Shard: report.Shard{Index: 0, Count: 1}}).narrowed(); why != "" {
		t.Errorf("a whole run is narrowed: %s", why)
	}
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Rules: []*inspect.Rule{}}, "rules were selected"},
		{Config{MinSeverity: inspect.Error}, "findings below error"},
		{Config{Focus: inventory.Focus{Namespaces: []string{"shop"}}}, "focused"},
		{Config{Clusters: []string{"prod"}}, "clusters were selected"},
	} {
		if why := tc.cfg.narrowed(); !strings.Contains(why, tc.want) {
			t.Errorf("%+v: %q, want %q", tc.cfg, why, tc.want)
		}
	}
}

// TestStaleJudgement: a whole run judges every entry; a narrowed one none;
// a shard the entries naming one project it inspected, and says so.
func TestStaleJudgement(t *testing.T) {
	t.Parallel()
	reports := []*report.Report{{Project: "shop-prod"}, {Project: "shop-dev"}}
	mine, other, glob := inventory.IgnoreEntry{Project: "shop-prod"}, inventory.IgnoreEntry{Project: "bank-prod"}, inventory.IgnoreEntry{Project: "shop-*"}
	judge, why := (&Config{}).staleJudgement(reports)
	if why != "" || !judge(mine) || !judge(other) || !judge(glob) {
		t.Errorf("a whole run: %q", why)
	}
	judge, why = (&Config{Shard: report.Shard{Index: 1, Count: 4}}).staleJudgement(reports)
	if !judge(mine) || judge(other) || judge(glob) || !strings.Contains(why, "shard 1 of 4") {
		t.Errorf("a shard: %q", why)
	}
	// An entry of a rule that judges only what --logs reads: not judged by
	// a run that did not read the logs; judged by one that did.
	logsEntry := inventory.IgnoreEntry{Rule: "lb-traffic-errors", Project: "shop-prod"}
	cfg := &Config{Ignores: &inventory.Ignores{Entries: []inventory.IgnoreEntry{logsEntry, mine}}}
	judge, why = cfg.staleJudgement(reports)
	if judge(logsEntry) || !judge(mine) || !strings.Contains(why, "entries of lb-traffic-errors are not judged") {
		t.Errorf("without --logs: judged %v, %q", judge(logsEntry), why)
	}
	withLogs := []*report.Report{{Project: "shop-prod", Coverage: []report.Coverage{{Source: string(inventory.LoggingRequests), Scope: "projects/shop-prod", Status: "ok"}}}}
	judge, why = cfg.staleJudgement(withLogs)
	if !judge(logsEntry) || why != "" {
		t.Errorf("with --logs: judged %v, %q", judge(logsEntry), why)
	}
	judge, why = (&Config{Shard: report.Shard{Index: 1, Count: 4}, MinSeverity: inspect.Error}).staleJudgement(reports)
	if judge != nil || !strings.Contains(why, "no entry is called stale") {
		t.Errorf("a narrowed shard: %q", why)
	}
}
