package inspect

import (
	"strings"
	"testing"

	"github.com/lbdiag/lbdiag/inventory"
)

func validRule(id string) *Rule {
	return &Rule{ID: id, Severity: Warning, Title: "Everything is fine",
		Doc:   Doc{Why: "why", Fix: "fix", Sources: []string{"a doc"}, URL: "https://example.com"},
		Check: func(p *Pass) {}}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		rules []*Rule
		want  string
	}{
		{name: "valid", rules: []*Rule{validRule("a-b"), validRule("c")}},
		{name: "duplicate", rules: []*Rule{validRule("a"), validRule("a")}, want: "declared twice"},
		{name: "not kebab-case", rules: []*Rule{validRule("Bad_ID")}, want: "kebab-case"},
		{name: "empty title", rules: []*Rule{func() *Rule { r := validRule("a"); r.Title = " "; return r }()}, want: "no title"},
		{name: "empty doc", rules: []*Rule{func() *Rule { r := validRule("a"); r.Doc.Why = ""; return r }()}, want: "empty doc"},
		{name: "no source", rules: []*Rule{func() *Rule { r := validRule("a"); r.Doc.Sources = nil; return r }()}, want: "no source"},
		{name: "no check", rules: []*Rule{func() *Rule { r := validRule("a"); r.Check = nil; return r }()}, want: "no check"},
		{name: "needs a list every run reads", rules: []*Rule{func() *Rule { r := validRule("a"); r.Needs = []inventory.Source{inventory.ComputeFirewalls}; return r }()}, want: "not an optional read"},
		{name: "needs an optional read", rules: []*Rule{func() *Rule { r := validRule("a"); r.Needs = []inventory.Source{inventory.KubeEvents}; return r }()}},
		{name: "bad severity", rules: []*Rule{func() *Rule { r := validRule("a"); r.Severity = 0; return r }()}, want: "severity"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Validate(tc.rules)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestRunContainsPanicsAndSorts(t *testing.T) {
	t.Parallel()
	crash := validRule("crash")
	crash.Check = func(p *Pass) { panic("boom") }
	warn := validRule("warns")
	warn.Check = func(p *Pass) {
		p.Report(Finding{Message: "b", Resource: Resource{Kind: "Service", Name: "b"}})
		p.Report(Finding{Message: "a", Resource: Resource{Kind: "Service", Name: "a"}})
	}
	errs := validRule("errs")
	errs.Severity = Error
	errs.Check = func(p *Pass) { p.Report(Finding{Message: "e", Resource: Resource{Kind: "Ingress", Name: "z"}}) }

	res := Run(&inventory.Inventory{Project: "p"}, []*Rule{crash, warn, errs})
	if len(res.Failures) != 1 || res.Failures[0].Source != "inspect.crash" || !strings.Contains(res.Failures[0].Error, "boom") {
		t.Fatalf("failures = %+v", res.Failures)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Rule+":"+f.Resource.Name)
	}
	if strings.Join(got, ",") != "errs:z,warns:a,warns:b" {
		t.Errorf("findings order = %v", got)
	}
	if f := res.Findings[0]; f.Severity != Error || f.Title != errs.Title || f.Docs != errs.Doc.URL {
		t.Errorf("finding not filled from its rule: %+v", f)
	}
}

func TestParseSeverity(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"error", "WARNING", "info"} {
		v, err := ParseSeverity(s)
		if err != nil || !strings.EqualFold(v.String(), s) {
			t.Errorf("ParseSeverity(%q) = %v, %v", s, v, err)
		}
	}
	if _, err := ParseSeverity("fatal"); err == nil {
		t.Error("ParseSeverity(fatal) succeeded")
	}
}

func TestDerivedIsComputedOncePerRun(t *testing.T) {
	t.Parallel()
	builds := 0
	answer := NewDerived("answer", func(p *Pass) int { builds++; return 42 })
	// Another value of the same type and name is another key.
	other := NewDerived("answer", func(p *Pass) int { return 7 })
	use := func(id string) *Rule {
		r := validRule(id)
		r.Check = func(p *Pass) {
			if answer.Of(p) != 42 || other.Of(p) != 7 {
				t.Error("wrong derived value")
			}
		}
		return r
	}
	Run(&inventory.Inventory{}, []*Rule{use("a"), use("b")})
	Run(&inventory.Inventory{}, []*Rule{use("a")})
	if builds != 2 {
		t.Errorf("built %d times for two runs, want 2", builds)
	}
}

// TestWholeProjectRulesSkipPartialInventories: a rule that judges the
// project's lists whole does not run on a trace's partial inventory; the
// others do.
func TestWholeProjectRulesSkipPartialInventories(t *testing.T) {
	t.Parallel()
	ran := map[string]bool{}
	whole := validRule("absent-thing")
	whole.WholeProject = true
	whole.Check = func(p *Pass) { ran["absent-thing"] = true }
	each := validRule("per-object")
	each.Check = func(p *Pass) { ran["per-object"] = true }
	Run(&inventory.Inventory{Project: "p", Partial: true}, []*Rule{whole, each})
	if ran["absent-thing"] || !ran["per-object"] {
		t.Errorf("on a partial inventory, ran %v", ran)
	}
	ran = map[string]bool{}
	Run(&inventory.Inventory{Project: "p"}, []*Rule{whole, each})
	if !ran["absent-thing"] || !ran["per-object"] {
		t.Errorf("on a whole inventory, ran %v", ran)
	}
}
