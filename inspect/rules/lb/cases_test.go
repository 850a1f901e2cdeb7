package lb

import (
	"strings"
	"testing"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// inventoryCase is an inventory to build and the findings expected.
type inventoryCase struct {
	name string
	inv  func() *inventory.Inventory
	want []string
}

func runInventoryCases(t *testing.T, rule *inspect.Rule, tests []inventoryCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ruletest.Expect(t, ruletest.Run(t, tc.inv(), rule), tc.want...)
		})
	}
}

// expectReason checks that a check's reasons name what could not be read.
func expectReason(t *testing.T, c inspect.Check, what string) {
	t.Helper()
	if !strings.Contains(strings.Join(c.Reasons, "\n"), what) {
		t.Errorf("rule %s: reasons %q do not mention %s", c.Rule, c.Reasons, what)
	}
}

// projectScope is the coverage scope of the test project.
var projectScope = inventory.ProjectScope(ruletest.Project)
