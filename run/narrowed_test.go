package run

import (
	"strings"
	"testing"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
	"github.com/lbdiag/lbdiag/report"
)

// TestNarrowed: a run sees all an ignore file covers only without shards,
// rule selection, severity floor, focus or --cluster.
func TestNarrowed(t *testing.T) {
	t.Parallel()
	if why := (&Config{Shard: report.Shard{Index: 0, Count: 1}}).narrowed(); why != "" {
		t.Errorf("a whole run is narrowed: %s", why)
	}
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Shard: report.Shard{Index: 1, Count: 4}}, "shard 1 of 4"},
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
