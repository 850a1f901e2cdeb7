package gke

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// keysSpelledElsewhere are the files outside gke allowed to spell an
// annotation key or prefix as a string of its own, and why.
var keysSpelledElsewhere = map[string]string{
	// The redaction list names the annotation namespaces whose values are
	// kept in recordings: a security list, reviewed on its own.
	"gcp/recording/redact.go": "the redaction prefix list",
}

// TestKeysSpelledOnlyHere: outside this package, no non-test Go file has a
// string that is an annotation key (or prefix) this package declares.
// Controller messages that quote a key inside a longer text are the
// controller's words, not a lookup, and pass.
func TestKeysSpelledOnlyHere(t *testing.T) {
	t.Parallel()
	keys := map[string]string{} // value -> constant
	files, _ := filepath.Glob("*.go")
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
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				for i, v := range vs.Values {
					name := vs.Names[i].Name
					lit, ok := v.(*ast.BasicLit)
					if !ok || !(strings.HasPrefix(name, "Ann") || strings.HasPrefix(name, "Opt")) {
						continue
					}
					val, _ := strconv.Unquote(lit.Value)
					keys[val] = name
				}
			}
		}
	}
	if len(keys) < 20 {
		t.Fatalf("found %d annotation keys: the scan is broken", len(keys))
	}
	root := ".."
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "gke" || (rel != "." && strings.HasPrefix(d.Name(), ".")) || d.Name() == "testdata" || d.Name() == "tools" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		if _, ok := keysSpelledElsewhere[filepath.ToSlash(rel)]; ok {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			if c, ok := keys[v]; ok {
				t.Errorf("%s spells %q: use gke.%s", rel, v, c)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Errorf("checked %d files: the walk is broken", checked)
	}
}
