package rules

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
)

// families are the packages that hold rules, one directory each.
var families = []string{"config", "events", "gateway", "ingress", "lb", "network"}

// declaredRule is a rule declared in a family's source: its variable, its
// ID and the file that declares it.
type declaredRule struct {
	family, file, name, id string
}

// declaredRules parses the families' sources and returns every top-level
// `var X = &inspect.Rule{ID: "...", ...}`.
func declaredRules(t *testing.T) []declaredRule {
	t.Helper()
	var out []declaredRule
	for _, fam := range families {
		files, err := filepath.Glob(filepath.Join(fam, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Decls {
				gd, ok := d.(*ast.GenDecl)
				if !ok || gd.Tok != token.VAR {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, v := range vs.Values {
						if id := ruleLiteralID(v); id != "" {
							out = append(out, declaredRule{family: fam, file: filepath.Base(path), name: vs.Names[i].Name, id: id})
						}
					}
				}
			}
		}
	}
	return out
}

// ruleLiteralID returns the ID of an &inspect.Rule{...} expression, or "".
func ruleLiteralID(e ast.Expr) string {
	u, ok := e.(*ast.UnaryExpr)
	if !ok || u.Op != token.AND {
		return ""
	}
	cl, ok := u.X.(*ast.CompositeLit)
	if !ok {
		return ""
	}
	if sel, ok := cl.Type.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Rule" {
		return ""
	}
	for _, el := range cl.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "ID" {
				if lit, ok := kv.Value.(*ast.BasicLit); ok {
					s, _ := strconv.Unquote(lit.Value)
					return s
				}
			}
		}
	}
	return ""
}

// TestLayout holds the catalogue's layout: every file of a family that
// declares a rule declares exactly one, named after its ID, with its test
// beside it, and every rule of All is declared so.
func TestLayout(t *testing.T) {
	t.Parallel()
	declared := declaredRules(t)
	perFile := map[string][]string{}
	byID := map[string]declaredRule{}
	for _, d := range declared {
		key := d.family + "/" + d.file
		perFile[key] = append(perFile[key], d.id)
		if prev, dup := byID[d.id]; dup {
			t.Errorf("rule %s is declared in %s/%s and %s", d.id, prev.family, prev.file, key)
		}
		byID[d.id] = d
	}
	for file, ids := range perFile {
		if len(ids) != 1 {
			t.Errorf("%s declares %d rules (%s): one rule per file", file, len(ids), strings.Join(ids, ", "))
		}
	}
	for _, d := range declared {
		want := strings.ReplaceAll(d.id, "-", "_") + ".go"
		if d.file != want {
			t.Errorf("rule %s is declared in %s/%s, want %s/%s", d.id, d.family, d.file, d.family, want)
		}
		test := filepath.Join(d.family, strings.TrimSuffix(want, ".go")+"_test.go")
		b, err := os.ReadFile(test)
		if err != nil {
			t.Errorf("rule %s has no test beside it: %v", d.id, err)
			continue
		}
		// The test runs this rule.
		if !strings.Contains(string(b), "func Test") || !strings.Contains(string(b), d.name) {
			t.Errorf("%s does not test %s", test, d.name)
		}
	}
	for _, r := range All() {
		if _, ok := byID[r.ID]; !ok {
			t.Errorf("rule %s of All is not declared in a family's file named after it", r.ID)
		}
	}
	if len(byID) != len(All()) {
		t.Errorf("%d rules declared, %d in All: every declared rule must be listed", len(byID), len(All()))
	}
}

// TestFamiliesAreIndependent: no family imports another (tests included);
// what two families share lives in core.
func TestFamiliesAreIndependent(t *testing.T) {
	t.Parallel()
	const prefix = "github.com/lbdiag/lbdiag/inspect/rules/"
	for _, fam := range families {
		files, _ := filepath.Glob(filepath.Join(fam, "*.go"))
		for _, path := range files {
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				other, ok := strings.CutPrefix(p, prefix)
				if ok && other != "core" && other != "ruletest" {
					t.Errorf("%s imports %s: families do not import each other (move what they share to core)", path, p)
				}
			}
		}
	}
}

// TestRuleReferences checks every rule ID that code names rather than
// declares: the causes of controller messages and request logs, the
// rules failing probes point to, and every `Rule: "id"` field literal (an
// attachment, a cause) in the families and core. A typo fails here, not
// silently at run time.
func TestRuleReferences(t *testing.T) {
	t.Parallel()
	known := map[string]bool{}
	for _, r := range All() {
		known[r.ID] = true
	}
	check := func(where, id string) {
		if id != "" && !known[id] {
			t.Errorf("%s names rule %q, which does not exist", where, id)
		}
	}
	for _, c := range core.SyncCauses {
		check("core.SyncCauses["+c.Label+"]", c.Rule)
	}
	for _, c := range core.L4SyncCauses {
		check("core.L4SyncCauses["+c.Label+"]", c.Rule)
	}
	details := make([]string, 0, len(core.TrafficCauses))
	for d := range core.TrafficCauses {
		details = append(details, d)
	}
	sort.Strings(details)
	for _, d := range details {
		for _, id := range core.TrafficCauses[d].Rules {
			check("core.TrafficCauses["+d+"]", id)
		}
	}
	for _, timedOut := range []bool{true, false} {
		_, ids := core.ProbeExplanation(timedOut)
		for _, id := range ids {
			check("core.ProbeExplanation", id)
		}
	}
	n := 0
	for _, dir := range append(append([]string{}, families...), "core") {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(node ast.Node) bool {
				kv, ok := node.(*ast.KeyValueExpr)
				if !ok {
					return true
				}
				if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Rule" {
					if lit, ok := kv.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						id, _ := strconv.Unquote(lit.Value)
						check(path, id)
						n++
					}
				}
				return true
			})
		}
	}
	if n == 0 {
		t.Error("found no Rule: literal at all: the scan is broken")
	}
}

// TestRegistryValidates: All passes inspect.Validate (IDs, titles, docs,
// sources).
func TestRegistryValidates(t *testing.T) {
	t.Parallel()
	if err := inspect.Validate(All()); err != nil {
		t.Fatal(err)
	}
}
