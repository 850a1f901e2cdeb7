package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lbdiag/lbdiag/report"
)

// Living with lbdiag every night: rule selection, the ignore file across
// runs, checked-and-passed evidence, and lbdiag ignore, end to end through
// the binary.

// nightlyReport is the part of a JSON report these tests read.
type nightlyReport struct {
	Project  string
	Coverage []struct{ Source, Scope, Status, Detail, Error string }
	Findings []struct {
		Rule, Severity, Fingerprint, Status, Message string
		Resource                                     struct{ Kind, Namespace, Name string }
	}
	Suppressed []struct {
		Rule, Fingerprint string
		SuppressedBy      struct {
			File          string
			Line          int
			Reason, Owner string
			Expires       string
		} `json:"suppressedBy"`
	}
	Resolved   *[]struct{ Rule, Fingerprint string }
	IgnoreFile *struct {
		File    string
		Entries int
		Stale   []struct {
			Line int
			Rule string
		}
	} `json:"ignoreFile"`
	Checked *struct {
		Rules, Resources, Problems, Suppressed int
		RulesCouldNotCheck                     int `json:"rulesCouldNotCheck"`
	}
	Checks []struct {
		Rule                                              string
		Judged, Passed, Failed, Suppressed, CouldNotCheck int
		Reasons                                           []string
	}
	ExitCode int `json:"exitCode"`
}

func parseNightly(t *testing.T, out string) nightlyReport {
	t.Helper()
	return decodeOutput[nightlyReport](t, out)
}

func TestRuleSelection(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	all := parseNightly(t, runLbdiag(t, home, "inspect", "--demo", "--format", "json").stdout)
	family := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(runLbdiag(t, home, "rules").stdout), "\n") {
		if f := strings.Fields(l); len(f) > 2 {
			family[f[0]] = f[1]
		}
	}
	network := map[string]bool{}
	for id, fam := range family {
		if fam == "network" {
			network[id] = true
		}
	}
	if len(network) != 8 || family["suppression-expired"] != "config" || family["backend-unhealthy"] != "lb" {
		t.Fatalf("families from lbdiag rules: %v", family)
	}

	// Only the network family (and suppression-expired, which judges the
	// ignore file): only network findings, and the reads no network rule
	// needs are not made.
	net := runLbdiag(t, home, "inspect", "--demo", "--format", "json", "--rules", "network/*")
	r := parseNightly(t, net.stdout)
	if net.code != report.ExitFindings || len(r.Findings) == 0 {
		t.Fatalf("--rules network/*: exit %d, %d findings: %s", net.code, len(r.Findings), net.stderr)
	}
	for _, f := range r.Findings {
		if !network[f.Rule] {
			t.Errorf("--rules network/*: a %s finding", f.Rule)
		}
	}
	want := 0
	for _, f := range all.Findings {
		if network[f.Rule] {
			want++
		}
	}
	if len(r.Findings) != want {
		t.Errorf("--rules network/* found %d, the whole catalogue %d network findings", len(r.Findings), want)
	}
	if len(r.Checks) != len(network)+1 {
		t.Errorf("%d rules ran, want the 8 network rules and suppression-expired", len(r.Checks))
	}
	skipped := map[string]string{}
	for _, c := range r.Coverage {
		if c.Status == "skipped" {
			skipped[c.Source] = c.Detail
		}
	}
	for _, s := range []string{"kubernetes.events", "kubernetes.pods", "logging.requests"} {
		if !strings.Contains(skipped[s], "no selected rule needs it") {
			t.Errorf("%s: %q, want skipped because no selected rule needs it", s, skipped[s])
		}
	}
	// health-check-firewall-missing takes the instances behind backend
	// services GKE did not build from getHealth.
	for _, s := range []string{"compute.effectiveFirewalls", "compute.projects", "compute.regions", "compute.backendServices.getHealth"} {
		if _, ok := skipped[s]; ok {
			t.Errorf("%s was skipped, but a network rule needs it", s)
		}
	}

	// --skip-rules and --min-severity.
	r = parseNightly(t, runLbdiag(t, home, "inspect", "--demo", "--format", "json", "--skip-rules", "lb/*,address-unused", "--min-severity", "warning").stdout)
	for _, f := range r.Findings {
		if f.Rule == "address-unused" || f.Severity == "info" || family[f.Rule] == "lb" {
			t.Errorf("--skip-rules lb/*,address-unused --min-severity warning: a %s %s finding", f.Severity, f.Rule)
		}
	}

	// A name that is not in the catalogue is a usage error with the
	// nearest suggested.
	for _, tc := range []struct{ args, want string }{
		{"--rules adress-unused", `--rules: no rule "adress-unused"; did you mean address-unused?`},
		{"--skip-rules netwrk/*", `--skip-rules: no family "netwrk" (families: config, events, gateway, ingress, lb, network); did you mean network/*?`},
		{"--rules network", `did you mean network/*?`},
		{"--min-severity fatal", `--min-severity "fatal"`},
		{"--rules suppression-expired --skip-rules suppression-expired", "leave no rule"},
	} {
		res := runLbdiag(t, home, append([]string{"inspect", "--demo"}, strings.Fields(tc.args)...)...)
		if res.code != report.ExitError || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
}

// TestSuppressionsAcrossRuns: a suppressed, an expiring and a stale entry
// across two --baseline auto runs, a week apart.
func TestSuppressionsAcrossRuns(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	base := parseNightly(t, runLbdiag(t, home, "inspect", "--demo", "--format", "json").stdout)
	var orphan, probe string
	for _, f := range base.Findings {
		switch f.Rule {
		case "lb-resource-orphaned":
			orphan = f.Fingerprint
		case "readiness-probe-health-check-mismatch":
			probe = f.Resource.Name
		}
	}
	if orphan == "" || probe == "" {
		t.Fatal("the demo lost its lb-resource-orphaned or readiness-probe-health-check-mismatch finding")
	}
	ignore := `suppressions:
  - fingerprint: ` + orphan + `
    reason: "the summer-sale map is kept for next year"
    expires: 2026-12-05
    owner: shop-team@example.com
  - rule: readiness-probe-health-check-mismatch
    resource: Service
    namespace: shop
    name: "` + probe[:3] + `*"
    reason: probes are being reworked in PLAT-88
    expires: 2027-06-01
  - rule: address-unused
    name: does-not-exist-*
    reason: nothing by that name
    expires: 2027-06-01
`
	os.WriteFile(filepath.Join(home, ".lbdiag-ignore.yaml"), []byte(ignore), 0o644)
	out := filepath.Join(home, "out")
	run := func(now, exec string) (runResult, nightlyReport) {
		res := runLbdiagEnv(t, home, []string{"CLOUD_RUN_EXECUTION=" + exec}, "inspect", "--demo", "--format", "json", "--now", now,
			"--output", out, "--baseline", "auto")
		return res, parseNightly(t, res.stdout)
	}
	// 1 December: both entries hold; the third matches nothing.
	first, r1 := run("2026-12-01T02:00:00Z", "nightly-1")
	if first.code != report.ExitFindings || len(r1.Suppressed) != 2 || r1.IgnoreFile == nil || len(r1.IgnoreFile.Stale) != 1 || r1.IgnoreFile.Stale[0].Line != 12 {
		t.Fatalf("first run: exit %d, suppressed %+v, ignore file %+v: %s", first.code, r1.Suppressed, r1.IgnoreFile, first.stderr)
	}
	if len(r1.Findings) != len(base.Findings)-2 {
		t.Errorf("first run: %d findings, want %d less the 2 suppressed", len(r1.Findings), len(base.Findings))
	}
	muted := map[string]bool{}
	for _, s := range r1.Suppressed {
		muted[s.Fingerprint] = true
		if s.SuppressedBy.File != ".lbdiag-ignore.yaml" || s.SuppressedBy.Reason == "" || s.SuppressedBy.Expires == "" {
			t.Errorf("suppressed %s without its entry: %+v", s.Rule, s.SuppressedBy)
		}
		if s.Fingerprint == orphan && (s.SuppressedBy.Line != 2 || s.SuppressedBy.Owner != "shop-team@example.com") {
			t.Errorf("the orphan's entry: %+v", s.SuppressedBy)
		}
	}
	if r1.Checked == nil || r1.Checked.Suppressed != 2 || r1.Checked.Problems != len(r1.Findings) {
		t.Errorf("checked %+v", r1.Checked)
	}
	table := runLbdiagEnv(t, home, nil, "inspect", "--demo", "--now", "2026-12-01T02:00:00Z")
	if strings.Contains(table.stdout, "lb-resource-orphaned") || !strings.Contains(table.stdout, "2 suppressed by .lbdiag-ignore.yaml") ||
		!strings.Contains(table.stdout, ".lbdiag-ignore.yaml:12: rule address-unused, name does-not-exist-* (until 2027-06-01): nothing by that name") {
		t.Errorf("the table shows a suppressed finding, or not the suppressions:\n%s", table.stdout)
	}

	// 8 December: the orphan's entry ended on the 5th. The finding is back
	// as new, suppression-expired says why, the probe stays suppressed and
	// is not resolved, and the third entry is still stale.
	_, r2 := run("2026-12-08T02:00:00Z", "nightly-2")
	statuses := map[string]string{}
	for _, f := range r2.Findings {
		statuses[f.Rule] = f.Status
		if f.Rule == "lb-resource-orphaned" && f.Status != "new" {
			t.Errorf("the orphan is back as %q, want new (it alerts again)", f.Status)
		}
	}
	if statuses["suppression-expired"] != "new" || statuses["lb-resource-orphaned"] != "new" {
		t.Errorf("second run: statuses %v", statuses)
	}
	for _, f := range r2.Findings {
		if f.Rule == "suppression-expired" && !strings.Contains(f.Message, ".lbdiag-ignore.yaml:2 (fingerprint "+orphan+") (owner shop-team@example.com) expired on 2026-12-05") {
			t.Errorf("suppression-expired: %s", f.Message)
		}
		if f.Rule == "readiness-probe-health-check-mismatch" && muted[f.Fingerprint] {
			t.Error("the probe finding is still suppressed but shows")
		}
	}
	if len(r2.Suppressed) != 1 || r2.Resolved == nil || len(*r2.Resolved) != 0 || len(r2.IgnoreFile.Stale) != 1 {
		t.Errorf("second run: suppressed %d, resolved %v, stale %+v", len(r2.Suppressed), r2.Resolved, r2.IgnoreFile.Stale)
	}
}

// TestIgnoreFileErrors: a malformed file is a usage error naming its line;
// nothing runs.
func TestIgnoreFileErrors(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	os.WriteFile(filepath.Join(home, "bad.yaml"), []byte("suppressions:\n  - rule: address-unused\n    reason: r\n    expries: 2027-01-01\n"), 0o644)
	res := runLbdiag(t, home, "inspect", "--demo", "--ignore-file", "bad.yaml")
	if res.code != report.ExitError || !strings.Contains(res.stderr, `bad.yaml:4: unknown key "expries"`) || res.stdout != "" {
		t.Errorf("exit %d, stderr %q, stdout %q", res.code, res.stderr, res.stdout)
	}
	if res := runLbdiag(t, home, "inspect", "--demo", "--ignore-file", "missing.yaml"); res.code != report.ExitError || !strings.Contains(res.stderr, "missing.yaml") {
		t.Errorf("a missing file: exit %d, %q", res.code, res.stderr)
	}
	// The default file is read when present, and its errors are errors too.
	os.WriteFile(filepath.Join(home, ".lbdiag-ignore.yaml"), []byte("suppressions:\n  - fingerprint: 12\n    reason: r\n    expires: 2027-01-01\n"), 0o644)
	if res := runLbdiag(t, home, "inspect", "--demo"); res.code != report.ExitError || !strings.Contains(res.stderr, ".lbdiag-ignore.yaml:2: fingerprint \"12\"") {
		t.Errorf("the default file: exit %d, %q", res.code, res.stderr)
	}
}

func TestIgnoreCommand(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	rep := runLbdiag(t, home, "inspect", "--demo", "--format", "json")
	os.WriteFile(filepath.Join(home, "report.json"), []byte(rep.stdout), 0o644)
	fp := parseNightly(t, rep.stdout).Findings[0].Fingerprint
	// Expiry dates are judged against --now, never the clock.
	const now = "2026-12-01T02:00:00Z"
	res := runLbdiag(t, home, "ignore", fp, "--reason", `kept on purpose: "DR"`, "--expires", "2099-03-01", "--owner", "net@example.com", "--report", "report.json", "--now", now)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if !strings.HasPrefix(res.stdout, "  # ") || !strings.Contains(res.stdout, "  - fingerprint: "+fp+"\n    reason: \"kept on purpose: \\\"DR\\\"\"\n    expires: 2099-03-01\n    owner: \"net@example.com\"\n") {
		t.Errorf("entry:\n%s", res.stdout)
	}
	// Appended under suppressions:, it suppresses exactly that finding.
	os.WriteFile(filepath.Join(home, ".lbdiag-ignore.yaml"), []byte("suppressions:\n"+res.stdout), 0o644)
	r := parseNightly(t, runLbdiag(t, home, "inspect", "--demo", "--format", "json", "--now", now).stdout)
	if len(r.Suppressed) != 1 || r.Suppressed[0].Fingerprint != fp {
		t.Errorf("the printed entry suppresses %+v", r.Suppressed)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ignore", "xyz", "--reason", "r", "--expires", "2099-01-01"}, "is not a fingerprint"},
		{[]string{"ignore", fp, "--expires", "2099-01-01"}, "--reason is required"},
		{[]string{"ignore", fp, "--reason", "r"}, "--expires is required"},
		{[]string{"ignore", fp, "--reason", "r", "--expires", "2020-01-01"}, "is not in the future"},
		{[]string{"ignore", fp, "--reason", "r", "--expires", "soon"}, `expires "soon"`},
		{[]string{"ignore", "0000000000000000", "--reason", "r", "--expires", "2099-01-01", "--report", "report.json"}, "holds no finding with fingerprint 0000000000000000"},
	} {
		if res := runLbdiag(t, home, append(tc.args, "--now", now)...); res.code != report.ExitError || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: exit %d, %q, want %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
}

// TestChecksAndExplainPassed: the report says what each rule judged; the
// table sums it; --explain-passed answers for one resource.
func TestChecksAndExplainPassed(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	r := parseNightly(t, runLbdiag(t, home, "inspect", "--demo", "--format", "json").stdout)
	if r.Checked == nil || r.Checked.Problems != len(r.Findings) || r.Checked.Rules != len(r.Checks) || r.Checked.Resources < len(r.Findings) {
		t.Fatalf("checked %+v, %d findings, %d checks", r.Checked, len(r.Findings), len(r.Checks))
	}
	failed := map[string]int{}
	for _, f := range r.Findings {
		failed[f.Rule]++
	}
	for _, c := range r.Checks {
		// (A rule's failures may be more than its findings: an event
		// folded into the finding of the rule it explains.)
		if c.Judged != c.Passed+c.Failed || (failed[c.Rule] > 0 && c.Failed == 0) {
			t.Errorf("check %+v with %d findings", c, failed[c.Rule])
		}
	}
	table := runLbdiag(t, home, "inspect", "--demo").stdout
	if !strings.Contains(table, "rules judged") {
		t.Errorf("the table does not sum the checks:\n%s", table)
	}

	res := runLbdiag(t, home, "inspect", "--demo", "--explain-passed", "Ingress shop/web")
	if res.code != report.ExitFindings {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, "Ingress shop/web (cluster europe-west1/shop-eu, project acme-shop-prod): judged by") ||
		!strings.Contains(res.stdout, "  passed      ") {
		t.Errorf("--explain-passed:\n%s", res.stdout)
	}
	if res := runLbdiag(t, home, "inspect", "--demo", "--explain-passed", "Ingress shop/no-such-ingress"); !strings.Contains(res.stdout, `No rule of this run judged a resource matching "Ingress shop/no-such-ingress"`) {
		t.Errorf("no match:\n%s", res.stdout)
	}
	if res := runLbdiag(t, home, "inspect", "--demo", "--explain-passed", "a/b/c/d"); res.code != report.ExitError {
		t.Errorf("a malformed resource: exit %d", res.code)
	}
}

// TestFleetPageInChromium runs the organization as two shards, twice, into
// one --output directory, and opens the run's fleet page in headless
// Chromium: it loads without a console message, shows every project with
// its counts, what is new and resolved, the gaps and why, and every link
// resolves to a report that exists. latest/ follows the newest run.
func TestFleetPageInChromium(t *testing.T) {
	t.Parallel()
	browser := chromium(t)
	f := newFakeFleet(t)
	out := t.TempDir()
	// Each night's run starts at 02:00 that day.
	shards := func(exec, night string, which ...int) {
		for _, i := range which {
			env := []string{"CLOUD_RUN_EXECUTION=" + exec, "CLOUD_RUN_TASK_INDEX=" + strconv.Itoa(i), "CLOUD_RUN_TASK_COUNT=2"}
			if res := f.run(t, env, "--organization", fleetOrg, "--format", "log", "--output", out, "--baseline", "auto", "--now", night+"T02:00:00Z"); res.code == report.ExitError {
				t.Fatalf("%s shard %d: %s", exec, i, res.stderr)
			}
		}
	}
	shards("nightly-1", "2026-11-27", 1, 0)
	// Overnight the promo Ingress's static IP is fixed.
	f.mu.Lock()
	f.rewrite["acme-shop-prod"] = map[string]func(map[string]any){"/apis/networking.k8s.io/v1/ingresses": func(body map[string]any) {
		for _, it := range body["items"].([]any) {
			if meta := it.(map[string]any)["metadata"].(map[string]any); meta["name"] == "promo" {
				delete(meta["annotations"].(map[string]any), "kubernetes.io/ingress.global-static-ip-name")
			}
		}
	}}
	f.mu.Unlock()
	shards("nightly-2", "2026-11-28", 0)
	page := filepath.Join(out, "runs", "nightly-2", "index.html")
	b, _ := os.ReadFile(page)
	if !strings.Contains(string(b), "1 of 2 shards reported; not (yet) here: shard 1") {
		t.Errorf("a page of one shard of two does not say a shard is missing")
	}
	shards("nightly-2", "2026-11-28", 1)
	b, _ = os.ReadFile(page)
	html := string(b)
	if strings.Contains(html, "shards reported") {
		t.Error("the page of the whole run still says a shard is missing")
	}
	for _, external := range []string{"<script", "<link", `="http://`, "src=", "@import", "url("} {
		if strings.Contains(html, external) {
			t.Errorf("the page is not self-contained: it has %q", external)
		}
	}

	artifacts := artifactDir(t)
	flags := chromiumFlags(t)
	dump := exec.Command(browser, append(flags, "--dump-dom", "file://"+page)...)
	var stderr strings.Builder
	dump.Stderr = &stderr
	dom, err := dump.Output()
	if err != nil {
		t.Fatalf("dump-dom: %v\n%s", err, stderr.String())
	}
	os.WriteFile(filepath.Join(artifacts, "fleet-page.dom.html"), dom, 0o644)
	if strings.Contains(stderr.String(), "CONSOLE") {
		t.Errorf("the page logged to the console:\n%s", stderr.String())
	}
	shot := exec.Command(browser, append(flags, "--window-size=1280,2400", "--screenshot="+filepath.Join(artifacts, "fleet-page.png"), "file://"+page)...)
	if o, err := shot.CombinedOutput(); err != nil {
		t.Errorf("screenshot: %v\n%s", err, o)
	}

	// Every project of the run, with its counts; what is new and
	// resolved; the projects that could not be read whole.
	var projects []string
	for _, i := range []int{0, 1} {
		b, err := os.ReadFile(filepath.Join(out, "runs", "nightly-2", "shard-"+strconv.Itoa(i)+"-of-2.json"))
		if err != nil {
			t.Fatal(err)
		}
		var s report.ShardSummary
		json.Unmarshal(b, &s)
		for _, p := range s.Projects {
			projects = append(projects, p.Project)
			row := `<tr data-project="` + p.Project + `"><td><a href="../../projects/` + p.Project + `/runs/nightly-2.html">` + p.Project + `</a></td><td class="n">` + strconv.Itoa(p.Counts["error"]) + `</td>`
			if !strings.Contains(string(dom), row) {
				t.Errorf("the page lacks the row %s", row)
			}
		}
	}
	if len(projects) < 4 {
		t.Errorf("the run's shards hold %v", projects)
	}
	for _, want := range []string{"lbdiag run nightly-2", "Resolved since the last run", "static-ip-in-use", "Could not read", "disabled-c", "Could not enumerate"} {
		if !strings.Contains(string(dom), want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}
	// Every link resolves to a page that exists, and each is a report.
	links := regexp.MustCompile(`href="([^"]+)"`).FindAllStringSubmatch(string(dom), -1)
	if len(links) < len(projects) {
		t.Errorf("%d links for %d projects", len(links), len(projects))
	}
	for _, l := range links {
		target := filepath.Join(filepath.Dir(page), filepath.FromSlash(l[1]))
		b, err := os.ReadFile(target)
		if err != nil {
			t.Errorf("link %s: %v", l[1], err)
			continue
		}
		if !strings.Contains(string(b), "Load-balancing report for ") {
			t.Errorf("link %s is not a project's report", l[1])
		}
	}

	// latest/ points at nightly-2; a late shard of an older run does not
	// move it back, a newer run does.
	latest := func() string {
		b, _ := os.ReadFile(filepath.Join(out, "latest", "index.html"))
		return string(b)
	}
	if !strings.Contains(latest(), `href="../runs/nightly-2/index.html"`) {
		t.Errorf("latest/ does not point at nightly-2:\n%s", latest())
	}
	env := []string{"CLOUD_RUN_EXECUTION=nightly-0", "CLOUD_RUN_TASK_INDEX=0", "CLOUD_RUN_TASK_COUNT=2"}
	// The run itself works (findings, no error): only latest/ is at stake.
	if res := f.run(t, env, "--organization", fleetOrg, "--format", "log", "--output", out, "--now", "2026-11-20T02:00:00Z"); res.code == report.ExitError {
		t.Fatalf("the late shard failed: exit %d\n%s", res.code, res.stderr)
	}
	if !strings.Contains(latest(), "nightly-2") {
		t.Error("a late shard of an older run moved latest/ back")
	}
	env = []string{"CLOUD_RUN_EXECUTION=nightly-3", "CLOUD_RUN_TASK_INDEX=0", "CLOUD_RUN_TASK_COUNT=2"}
	if res := f.run(t, env, "--organization", fleetOrg, "--format", "log", "--output", out, "--now", "2026-11-29T02:00:00Z"); res.code == report.ExitError {
		t.Fatalf("the newer run failed: exit %d\n%s", res.code, res.stderr)
	}
	if !strings.Contains(latest(), `href="../runs/nightly-3/index.html"`) {
		t.Error("latest/ does not follow the newest run")
	}
}
