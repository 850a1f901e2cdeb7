package gateway

import (
	"strings"
	"testing"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// gwCase is one case of a rule's table test on the store world: an edit,
// and the findings it gives, one string each: the parts (separated by
// " | ") its ruletest.Messages line contains.
type gwCase struct {
	name string
	edit func(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster)
	want []string
	// gaps is how many "could not check" entries the rule records.
	gaps int
	// counts, when set, are the rule's counts on the world, counted by
	// hand; reason is a part of its reasons, when it could not check.
	counts *ruletest.Counts
	reason string
}

// counts are a check's counts: judged, passed, failed, could not check.
func counts(judged, passed, failed, couldNotCheck int) *ruletest.Counts {
	return &ruletest.Counts{Judged: judged, Passed: passed, Failed: failed, CouldNotCheck: couldNotCheck}
}

// runCases runs a rule on each case's world.
func runCases(t *testing.T, r *inspect.Rule, cases []gwCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv, cl := storeWorld(t)
			if tc.edit != nil {
				tc.edit(t, inv, cl)
			}
			res := ruletest.RunAll(inv, r)
			got := res.Findings
			if len(res.Failures) != tc.gaps {
				t.Errorf("%d gaps, want %d: %+v", len(res.Failures), tc.gaps, res.Failures)
			}
			for _, f := range got {
				if f.Message == "" || f.Remediation == "" || f.Resource.Kind == "" || f.Resource.Name == "" || len(f.Evidence) == 0 {
					t.Errorf("finding lacks message, remediation, resource or evidence: %+v", f)
				}
			}
			if tc.counts != nil {
				c := ruletest.ExpectCounts(t, inv, r, *tc.counts)
				if tc.reason != "" && !strings.Contains(strings.Join(c.Reasons, "\n"), tc.reason) {
					t.Errorf("reasons %q do not mention %q", c.Reasons, tc.reason)
				}
			}
			lines := ruletest.Messages(got)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d findings, want %d:\n%s", len(got), len(tc.want), strings.Join(lines, "\n"))
			}
			for i, w := range tc.want {
				for _, part := range strings.Split(w, " | ") {
					if !strings.Contains(lines[i], part) {
						t.Errorf("finding %d %q does not contain %q", i, lines[i], part)
					}
				}
			}
		})
	}
}

// route returns the cluster's route shop/web.
func route(cl *inventory.Cluster) *inventory.HTTPRoute { return &cl.HTTPRoutes[0] }

// store returns the cluster's Gateway shop/store.
func store(cl *inventory.Cluster) *inventory.Gateway { return &cl.Gateways[0] }

func sp(s string) *string { return &s }
