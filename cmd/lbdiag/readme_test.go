package main

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/lbdiag/lbdiag/report"
)

var updateREADME = flag.Bool("update", false, "rewrite the README's demo output block and deploy/bigquery/schema.json")

// TestREADMEInStep keeps what the README shows equal to what lbdiag does:
// the demo's output, the version a build prints, and the Go version of
// go.mod.
func TestREADMEInStep(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)

	const marker = "<!-- demo-output: a test keeps this block equal to the demo's output -->\n```\n"
	_, rest, ok := strings.Cut(readme, marker)
	block, _, ok2 := strings.Cut(rest, "```\n")
	if !ok || !ok2 {
		t.Fatal("the README has no demo-output block")
	}
	res := runLbdiagEnv(t, t.TempDir(), []string{"COLUMNS=140"}, "inspect", "--demo")
	if res.code != report.ExitFindings {
		t.Errorf("the demo exits %d; the README says it exits 1", res.code)
	}
	if block != res.stdout && *updateREADME {
		readme = strings.Replace(readme, marker+block, marker+res.stdout, 1)
		if err := os.WriteFile("../../README.md", []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if block != res.stdout {
		t.Errorf("the README's demo output differs from the demo's; run go test ./cmd/lbdiag -run README -update (it pastes the output of COLUMNS=140 lbdiag inspect --demo):\n%s", res.stdout)
	}
	if !strings.Contains(readme, "exits with code 1") {
		t.Error("the README does not say that the demo exits 1")
	}

	v := runLbdiag(t, t.TempDir(), "version")
	printed := strings.TrimSpace(v.stdout)
	if !strings.Contains(readme, `prints "`+printed+`"`) {
		t.Errorf("the README does not show what version prints (%q)", printed)
	}
	for _, m := range regexp.MustCompile(`"version": "([^"]+)"`).FindAllStringSubmatch(readme, -1) {
		if "lbdiag "+m[1] != printed {
			t.Errorf("the README shows version %s, a build prints %q", m[1], printed)
		}
	}

	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(string(mod))
	if goVersion == nil || !strings.Contains(readme, "needs Go "+goVersion[1]+" or later") {
		t.Errorf("the README does not name go.mod's Go version %v", goVersion)
	}
	if !strings.Contains(readme, "about 2 minutes on 2 cores") || !strings.Contains(readme, "`GOCACHE=$(mktemp -d) go build\n./cmd/lbdiag`") {
		t.Error("the README does not say how long the first build takes, and how it was measured")
	}
}

// TestREADMETraceInStep keeps the README's trace example equal to what
// lbdiag trace prints on the demo.
func TestREADMETraceInStep(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	const marker = "<!-- trace-output: a test keeps this block equal to the demo's trace -->\n```\n"
	_, rest, ok := strings.Cut(readme, marker)
	block, _, ok2 := strings.Cut(rest, "```\n")
	if !ok || !ok2 {
		t.Fatal("the README has no trace-output block")
	}
	res := runLbdiagEnv(t, t.TempDir(), []string{"COLUMNS=140"}, "trace", "--demo", "https://shop.example.com/checkout/cart")
	if res.code != 1 {
		t.Errorf("the demo's trace exits %d: %s", res.code, res.stderr)
	}
	if block != res.stdout && *updateREADME {
		readme = strings.Replace(readme, marker+block, marker+res.stdout, 1)
		if err := os.WriteFile("../../README.md", []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if block != res.stdout {
		t.Errorf("the README's trace differs from the demo's; run go test ./cmd/lbdiag -run README -update:\n%s", res.stdout)
	}
}
