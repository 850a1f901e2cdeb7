package lb

import (
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// certificateCase builds a project without clusters, collected at Now,
// and expects these findings.
type certificateCase struct {
	name  string
	build func(inv *inventory.Inventory)
	want  []string
}

func runCertificateCases(t *testing.T, rule *inspect.Rule, tests []certificateCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv := ruletest.LBProject()
			tc.build(inv)
			ruletest.Expect(t, ruletest.Run(t, inv, rule), tc.want...)
		})
	}
}

var (
	threeDaysAgo = ruletest.Now.Add(-72 * time.Hour).Format(time.RFC3339)
	anHourAgo    = ruletest.Now.Add(-time.Hour).Format(time.RFC3339)
	stuckDomains = map[string]string{"www.example.com": "FAILED_NOT_VISIBLE", "example.com": "ACTIVE"}
)
