package inspect

import (
	"strings"
	"testing"

	"github.com/lbdiag/lbdiag/inventory"
)

// TestDerivedBuiltOnceAcrossRules: rules run side by side; derived data
// is built once for all of them, and a build that crashes makes every
// rule that needs it a crash naming the data, not just the first.
func TestDerivedBuiltOnceAcrossRules(t *testing.T) {
	t.Parallel()
	builds := 0
	good := NewDerived("test.good", func(p *Pass) int { builds++; return 7 })
	bad := NewDerived("test.bad", func(p *Pass) int { panic("boom") })
	var rules []*Rule
	for _, id := range []string{"a", "b", "c", "d"} {
		rules = append(rules, &Rule{ID: "uses-good-" + id, Severity: Error, Check: func(p *Pass) {
			if good.Of(p) != 7 {
				panic("wrong value")
			}
		}})
		rules = append(rules, &Rule{ID: "uses-bad-" + id, Severity: Error, Check: func(p *Pass) { bad.Of(p) }})
	}
	res := Run(&inventory.Inventory{Project: "p"}, rules)
	if builds != 1 {
		t.Errorf("built %d times, want once", builds)
	}
	crashed := map[string]bool{}
	for _, f := range res.Failures {
		if strings.HasPrefix(string(f.Source), "inspect.") {
			crashed[strings.TrimPrefix(string(f.Source), "inspect.")] = true
			if !strings.Contains(f.Error, "derived data test.bad panicked: boom") {
				t.Errorf("%s: %s", f.Source, f.Error)
			}
		}
	}
	for _, id := range []string{"a", "b", "c", "d"} {
		if !crashed["uses-bad-"+id] || crashed["uses-good-"+id] {
			t.Errorf("crashed: %v", crashed)
		}
	}
}
