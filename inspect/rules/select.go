package rules

import (
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// familyPrefix is the import path the families live under.
const familyPrefix = "github.com/lbdiag/lbdiag/inspect/rules/"

// Family is the family a rule belongs to: the package that declares it
// (ingress, network, lb, gateway, events), read from its check's symbol,
// so that it cannot disagree with where the rule lives.
func Family(r *inspect.Rule) string {
	if r.Check == nil {
		return ""
	}
	fn := runtime.FuncForPC(reflect.ValueOf(r.Check).Pointer())
	if fn == nil {
		return ""
	}
	name, ok := strings.CutPrefix(fn.Name(), familyPrefix)
	if !ok {
		return ""
	}
	family, _, _ := strings.Cut(name, ".")
	return family
}

// Families lists the families of the catalogue, sorted.
func Families() []string {
	var out []string
	for _, r := range All() {
		if f := Family(r); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// Selection says which rules a run judges with: Rules (IDs or FAMILY/*;
// empty: every rule), less Skip (the same forms), at or above MinSeverity
// (0: every severity).
type Selection struct {
	Rules       []string
	Skip        []string
	MinSeverity inspect.Severity
}

// Empty reports whether the selection keeps the whole catalogue.
func (s Selection) Empty() bool {
	return len(s.Rules) == 0 && len(s.Skip) == 0 && s.MinSeverity <= inspect.Info
}

// SelectionError is a selection that names no rule or family of the
// catalogue.
type SelectionError struct {
	Flag, Name, Suggestion string
}

func (e *SelectionError) Error() string {
	msg := fmt.Sprintf("%s: no rule %q", e.Flag, e.Name)
	if fam, ok := strings.CutSuffix(e.Name, "/*"); ok {
		msg = fmt.Sprintf("%s: no family %q (families: %s)", e.Flag, fam, strings.Join(Families(), ", "))
	}
	if e.Suggestion != "" {
		msg += fmt.Sprintf("; did you mean %s?", e.Suggestion)
	}
	return msg + " (lbdiag rules lists them)"
}

// Select returns the rules of all the selection keeps, in catalogue
// order. A name that is neither a rule's ID nor FAMILY/* is an error that
// suggests the nearest.
func Select(all []*inspect.Rule, s Selection) ([]*inspect.Rule, error) {
	ids := make([]string, 0, len(all))
	for _, r := range all {
		ids = append(ids, r.ID)
	}
	resolve := func(flag string, names []string) (map[string]bool, error) {
		out := map[string]bool{}
		for _, name := range names {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			if fam, ok := strings.CutSuffix(name, "/*"); ok {
				n := 0
				for _, r := range all {
					if Family(r) == fam {
						out[r.ID] = true
						n++
					}
				}
				if n == 0 {
					return nil, &SelectionError{Flag: flag, Name: name, Suggestion: suggestFamily(fam)}
				}
				continue
			}
			if !slices.Contains(ids, name) {
				sug := core.Nearest(name, ids)
				if sug == "" && slices.Contains(Families(), name) {
					sug = name + "/*"
				}
				return nil, &SelectionError{Flag: flag, Name: name, Suggestion: sug}
			}
			out[name] = true
		}
		return out, nil
	}
	keep, err := resolve("--rules", s.Rules)
	if err != nil {
		return nil, err
	}
	skip, err := resolve("--skip-rules", s.Skip)
	if err != nil {
		return nil, err
	}
	var out []*inspect.Rule
	for _, r := range all {
		if (len(keep) > 0 && !keep[r.ID]) || skip[r.ID] || r.Severity < s.MinSeverity {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

func suggestFamily(name string) string {
	if f := core.Nearest(name, Families()); f != "" {
		return f + "/*"
	}
	return ""
}

// SkippedReads are the optional reads (inspect.OptionalReads) no rule of
// selected needs, each with the reason its coverage gives.
func SkippedReads(selected []*inspect.Rule) map[inventory.Source]string {
	needed := map[inventory.Source]bool{}
	for _, r := range selected {
		for _, n := range r.Needs {
			needed[n] = true
		}
	}
	out := map[inventory.Source]string{}
	for _, s := range inspect.OptionalReads {
		if !needed[s] {
			out[s] = "not read: no selected rule needs it (--rules, --skip-rules, --min-severity)"
		}
	}
	return out
}
