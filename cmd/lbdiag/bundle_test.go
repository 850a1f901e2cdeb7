package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/report"
)

// stripTimes removes the run's timestamps from a JSON report.
func stripTimes(t *testing.T, report string) string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(report), &v); err != nil {
		t.Fatalf("not a JSON report: %v", err)
	}
	delete(v, "startedAt")
	delete(v, "finishedAt")
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}

// gunzipFile returns the content of a gzipped file.
func gunzipFile(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s is not gzipped: %v", path, err)
	}
	b, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// untar returns the files of a bundle.
func untar(t *testing.T, path string) map[string][]byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(gunzipFile(t, path)))
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			out[h.Name], _ = io.ReadAll(tr)
		}
	}
}

// TestEvidenceBundleReplaysIdentically records a live run in a bundle and
// replays it offline: the same JSON report, timestamps aside.
func TestEvidenceBundleReplaysIdentically(t *testing.T) {
	t.Parallel()
	f := newFakeProject(t)
	bundle := filepath.Join(t.TempDir(), "evidence.tar.gz")
	live := f.run(t, "--format", "json", "--evidence", bundle)
	if live.code != report.ExitFindings || !strings.Contains(live.stderr, "wrote the evidence bundle") {
		t.Fatalf("live: exit %d: %s", live.code, live.stderr)
	}
	f.compute.Close()
	f.container.Close()
	for _, s := range f.kube {
		s.Close()
	}
	start := time.Now()
	replayed := runLbdiag(t, t.TempDir(), "inspect", "--replay", bundle, "--format", "json")
	if st, err := os.Stat(bundle); err == nil {
		t.Logf("demo bundle: %d bytes; replaying it took %s (process start included)", st.Size(), time.Since(start).Round(time.Millisecond))
	}
	if replayed.code != live.code {
		t.Fatalf("replay: exit %d: %s", replayed.code, replayed.stderr)
	}
	if a, b := stripTimes(t, live.stdout), stripTimes(t, replayed.stdout); a != b {
		t.Errorf("the replayed report differs from the live one:\nlive:\n%s\nreplayed:\n%s", a, b)
	}

	files := untar(t, bundle)
	for _, n := range []string{"manifest.json", "report.json", "report.txt", "report.html", "SHA256SUMS"} {
		if len(files[n]) == 0 {
			t.Errorf("bundle lacks %s", n)
		}
	}
	if stripTimes(t, string(files["report.json"])) != stripTimes(t, live.stdout) {
		t.Error("report.json differs from the report on stdout")
	}
	var m struct {
		Project  string            `json:"project"`
		Flags    map[string]string `json:"flags"`
		Clusters []string          `json:"clusters"`
		Coverage []map[string]any  `json:"coverage"`
		Calls    []struct {
			Method, URL string
			Status      int
			DurationMs  float64
			Bytes       int64
		} `json:"calls"`
		FinishedAt string `json:"finishedAt"`
	}
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	if m.Project != "acme-shop-prod" || len(m.Clusters) != 2 || len(m.Coverage) == 0 || m.FinishedAt == "" {
		t.Errorf("manifest: %+v", m)
	}
	if _, ok := m.Flags["access-token-file"]; ok || strings.Contains(string(files["manifest.json"]), "token") {
		t.Error("the manifest names the credentials")
	}
	posts, total := 0, 0
	for _, c := range m.Calls {
		total++
		if c.Method == "POST" {
			posts++
		}
		if c.Status == 0 || c.URL == "" {
			t.Errorf("incomplete call log entry %+v", c)
		}
	}
	if posts != 12 || total < 60 {
		t.Errorf("call log: %d calls, %d POSTs", total, posts)
	}
	for name, b := range files {
		if bytes.Contains(b, []byte(testToken)) {
			t.Errorf("%s holds the access token", name)
		}
	}
}

// TestRefusedBundles: damaged bundles are refused with one line and exit 2.
func TestRefusedBundles(t *testing.T) {
	t.Parallel()
	f := newFakeProject(t)
	dir := t.TempDir()
	bundle := filepath.Join(dir, "evidence.tar.gz")
	if res := f.run(t, "--format", "json", "--evidence", bundle); res.code != report.ExitFindings {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	good, _ := os.ReadFile(bundle)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	// Re-pack with one report file altered.
	files := untar(t, bundle)
	files["report.json"] = []byte(`{"findings":[]}`)
	var altered bytes.Buffer
	gw := gzip.NewWriter(&altered)
	tw := tar.NewWriter(gw)
	for n, b := range files {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	tw.Close()
	gw.Close()
	for _, tc := range []struct{ name, path, want string }{
		{"truncated", write("truncated.tar.gz", good[:len(good)*2/3]), "truncated or corrupt"},
		{"not a bundle", write("garbage.tar.gz", []byte("hello")), "not a gzipped bundle"},
		{"altered", write("altered.tar.gz", altered.Bytes()), "does not match SHA256SUMS"},
	} {
		res := runLbdiag(t, dir, "inspect", "--replay", tc.path, "--format", "json")
		if res.code != report.ExitError || !strings.Contains(res.stderr, tc.want) || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 || res.stdout != "" {
			t.Errorf("%s: exit %d, stdout %d bytes, stderr %q", tc.name, res.code, len(res.stdout), res.stderr)
		}
	}
}

// TestBundleRedaction plants secret-looking values in every field the
// bundle must not carry and checks that none of their bytes is in it.
func TestBundleRedaction(t *testing.T) {
	t.Parallel()
	f := newFakeProject(t)
	secrets := []string{"s3cr3t-env-9f2a", "s3cr3t-arg-77c1", "s3cr3t-cmd-a0b4", "s3cr3t-lastapplied-51de", "s3cr3t-data-0c9e", "s3cr3t-stringdata-e7f3",
		"s3cr3t-startup-44aa", "s3cr3t-clientkey-b2c8", "s3cr3t-nodemeta-6d1f", "s3cr3t-init-2e90",
		// 10: probe header, 11: BackendConfig custom header, 12: backend
		// service custom header, 13: preStop command text, 14: URL
		// credentials in an annotation, 15: a URL query value there, 16: a
		// free-form Service annotation, 17: a free-form pod template
		// annotation, 18: an access_token in an event message.
		"s3cr3t-probe-hdr-31aa", "s3cr3t-bc-hdr-8c21", "s3cr3t-bs-hdr-5e02", "s3cr3t-prestop-d7e1", "s3cr3t-userinfo-4b4b",
		"s3cr3t-query-90f3", "s3cr3t-svc-ann-1c6d", "s3cr3t-tpl-ann-f00d", "s3cr3t-evtoken-aa17",
		// 19, 20: the request logs' client address and URL query (--logs).
		logClientIP, logQuerySecret}
	f.rewrite = map[string]func(map[string]any){
		"/apis/cloud.google.com/v1/backendconfigs": func(body map[string]any) {
			for _, item := range body["items"].([]any) {
				spec := item.(map[string]any)["spec"].(map[string]any)
				spec["customRequestHeaders"] = map[string]any{"headers": []any{"X-Upstream-Key:" + secrets[11]}}
			}
		},
		"/aggregated/backendServices": func(body map[string]any) {
			for _, scoped := range body["items"].(map[string]any) {
				list, _ := scoped.(map[string]any)["backendServices"].([]any)
				for _, bs := range list {
					bs.(map[string]any)["customRequestHeaders"] = []any{"X-Edge-Auth:" + secrets[12]}
				}
			}
		},
		"/api/v1/services": func(body map[string]any) {
			for _, item := range body["items"].([]any) {
				meta := item.(map[string]any)["metadata"].(map[string]any)
				ann, _ := meta["annotations"].(map[string]any)
				if ann == nil {
					ann = map[string]any{}
					meta["annotations"] = ann
				}
				ann["team.example.com/oncall-webhook"] = "https://hooks.example.com/" + secrets[16]
				ann["networking.gke.io/example-hook"] = "https://ops:" + secrets[14] + "@hooks.example.com/x?sig=" + secrets[15]
			}
		},
		"/api/v1/events": func(body map[string]any) {
			for _, item := range body["items"].([]any) {
				e := item.(map[string]any)
				e["message"] = e["message"].(string) + " (while calling https://oauth2.example.com/v1/check?access_token=" + secrets[18] + ")"
			}
		},
		"/apis/apps/v1/deployments": func(body map[string]any) {
			for _, item := range body["items"].([]any) {
				d := item.(map[string]any)
				meta := d["metadata"].(map[string]any)
				ann, _ := meta["annotations"].(map[string]any)
				if ann == nil {
					ann = map[string]any{}
					meta["annotations"] = ann
				}
				ann["kubectl.kubernetes.io/last-applied-configuration"] = `{"env":"` + secrets[3] + `"}`
				spec := d["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
				spec["initContainers"] = []any{map[string]any{"name": "init", "image": "busybox", "command": []any{"sh", "-c", "echo " + secrets[9]}}}
				tmeta := d["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)
				tann, _ := tmeta["annotations"].(map[string]any)
				if tann == nil {
					tann = map[string]any{}
					tmeta["annotations"] = tann
				}
				tann["vault.example.com/role-token"] = secrets[17]
				for _, c := range spec["containers"].([]any) {
					cm := c.(map[string]any)
					cm["env"] = append(cm["env"].([]any), map[string]any{"name": "API_KEY", "value": secrets[0]})
					cm["args"] = []any{"--password=" + secrets[1]}
					cm["command"] = []any{"/app/server", "--token", secrets[2]}
					cm["readinessProbe"] = map[string]any{"httpGet": map[string]any{"path": "/ready", "port": 8080,
						"httpHeaders": []any{map[string]any{"name": "X-Probe-Key", "value": secrets[10]}}}}
					if lc, ok := cm["lifecycle"].(map[string]any); ok {
						if ps, ok := lc["preStop"].(map[string]any); ok && ps["exec"] != nil {
							ps["exec"] = map[string]any{"command": []any{"sh", "-c", "sleep 40 && curl -H 'Authorization: Bearer " + secrets[13] + "' localhost:8080/quit"}}
						}
					}
				}
			}
			body["data"] = map[string]any{"k": secrets[4]}
			body["stringData"] = map[string]any{"k": secrets[5]}
		},
		"/aggregated/instances": func(body map[string]any) {
			for _, scoped := range body["items"].(map[string]any) {
				list, _ := scoped.(map[string]any)["instances"].([]any)
				for _, in := range list {
					in.(map[string]any)["metadata"] = map[string]any{"kind": "compute#metadata", "items": []any{map[string]any{"key": "startup-script", "value": "export KEY=" + secrets[6]}}}
				}
			}
		},
		"/locations/-/clusters": func(body map[string]any) {
			for _, c := range body["clusters"].([]any) {
				cm := c.(map[string]any)
				cm["masterAuth"].(map[string]any)["clientKey"] = secrets[7]
				cm["nodeConfig"].(map[string]any)["metadata"] = map[string]any{"user-data": secrets[8]}
			}
		},
	}
	// The clusters list is rewritten after the endpoints are pointed at the
	// fake servers; its handler applies f.rewrite through serve.
	bundle := filepath.Join(t.TempDir(), "evidence.tar.gz")
	recorded := filepath.Join(t.TempDir(), "raw")
	res := f.run(t, "--format", "json", "--evidence", bundle, "--record", recorded, "--logs", "1h")
	if res.code != report.ExitFindings {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	// --record keeps the answers as received: the planted values were served.
	var rawRecording bytes.Buffer
	filepath.WalkDir(recorded, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			rawRecording.Write(b)
		}
		return nil
	})
	for _, s := range secrets {
		if !bytes.Contains(rawRecording.Bytes(), []byte(s)) {
			t.Errorf("%q was not served, so its absence from the bundle proves nothing", s)
		}
	}
	raw, _ := os.ReadFile(bundle)
	files := untar(t, bundle)
	var all bytes.Buffer
	for _, b := range files {
		all.Write(b)
	}
	for _, s := range secrets {
		if bytes.Contains(raw, []byte(s)) || bytes.Contains(all.Bytes(), []byte(s)) {
			t.Errorf("the bundle holds %q", s)
		}
	}
	// What the rules need stays: env names, header names, the preStop
	// hook's sleep, the annotations lbdiag reads.
	compacted := regexp.MustCompile(`\s+`).ReplaceAll(all.Bytes(), nil)
	for _, keep := range []string{`"API_KEY"`, `"command":["sleep","40"]`, `"X-Probe-Key"`, `"X-Upstream-Key:REDACTED"`, `"X-Edge-Auth:REDACTED"`,
		`"cloud.google.com/backend-config"`, `"networking.gke.io/example-hook":"https://REDACTED@hooks.example.com/x?sig=REDACTED"`,
		`"statusDetails":"backend_connection_closed_before_data_sent_to_client"`, `"requestUrl":"https://shop.example.com/cart"`} {
		if !bytes.Contains(compacted, []byte(keep)) {
			t.Errorf("the bundle lost %s", keep)
		}
	}
	// The reports never carried them either (stdout, and the bundle's
	// report files were checked above), and the rules read the redacted
	// data: the preStop finding sees the same 40 s hook.
	for _, s := range secrets {
		if strings.Contains(res.stdout, s) {
			t.Errorf("the JSON report holds %q", s)
		}
	}
	if !strings.Contains(res.stdout, "access_token=REDACTED") {
		t.Error("the event message lost its place in the report, or kept its token")
	}
	if !strings.Contains(res.stdout, "(checkout: exec: sleep 40)") {
		t.Error("the preStop rule no longer reads the hook's duration")
	}
	// The bundle replays to the same findings as the live run, with the
	// logs' window it was recorded with.
	replayed := runLbdiag(t, t.TempDir(), "inspect", "--replay", bundle, "--format", "json")
	if !strings.Contains(replayed.stdout, `"lb-traffic-errors"`) {
		t.Error("the replayed bundle lost the traffic evidence")
	}
	if a, b := findingKeys(parseReport(t, res.stdout)), findingKeys(parseReport(t, replayed.stdout)); strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("the bundle replays to other findings:\n%v\n%v", a, b)
	}
}

// chromium returns headless Chromium's path; without it the test skips,
// or fails in CI, which installs it.
func chromium(t *testing.T) string {
	t.Helper()
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs it")
		}
		t.Skip("chromium is not installed (apt-get install chromium)")
	}
	return browser
}

// chromiumFlags run Chromium headless, offline and in its own profile,
// logging the page's console to stderr.
func chromiumFlags(t *testing.T) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
		"--user-data-dir=" + t.TempDir()}
}

// TestHTMLReportInChromium renders the demo's HTML report in headless
// Chromium, keeps a screenshot and the DOM under test-artifacts/, and checks
// every finding is in the rendered page.
func TestHTMLReportInChromium(t *testing.T) {
	t.Parallel()
	browser := chromium(t)
	home := t.TempDir()
	res := runLbdiag(t, home, "inspect", "--demo", "--format", "html")
	if res.code != report.ExitFindings {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	html := res.stdout
	// (Evidence may quote plain-HTTP URLs, such as a logged request to an
	// internal load balancer: text, not a link.)
	for _, external := range []string{"<script", "<link", `="http://`, "src=", "@import", "url("} {
		if strings.Contains(html, external) {
			t.Errorf("the page is not self-contained: it has %q", external)
		}
	}
	artifacts := artifactDir(t)
	page := filepath.Join(artifacts, "demo-report.html")
	os.WriteFile(page, []byte(html), 0o644)
	flags := chromiumFlags(t)
	png := filepath.Join(artifacts, "demo-report.png")
	shot := exec.Command(browser, append(flags, "--window-size=1280,4000", "--screenshot="+png, "file://"+page)...)
	if out, err := shot.CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v\n%s", err, out)
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 10000 {
		t.Errorf("screenshot missing or empty: %v", err)
	}
	dump := exec.Command(browser, append(flags, "--dump-dom", "file://"+page)...)
	dom, err := dump.Output()
	if err != nil {
		t.Fatalf("dump-dom: %v", err)
	}
	os.WriteFile(filepath.Join(artifacts, "demo-report.dom.html"), dom, 0o644)

	var rep jsonReport
	demoJSON := runLbdiag(t, home, "inspect", "--demo", "--format", "json")
	rep = parseReport(t, demoJSON.stdout)
	if n := strings.Count(string(dom), `class="finding sev-`); n != len(rep.Findings) {
		t.Errorf("rendered %d findings, the report has %d", n, len(rep.Findings))
	}
	for _, f := range rep.Findings {
		if !strings.Contains(string(dom), `data-rule="`+f.Rule+`"`) {
			t.Errorf("finding %s is not in the rendered page", f.Rule)
		}
	}
	for _, s := range []string{"Load-balancing report for acme-shop-prod", "What lbdiag followed", "Cluster europe-west1/shop-eu", "Ingress shop/web",
		// The "—" cells are explained, and the unhealthy group stands out.
		"in the backend service column: lbdiag found no backend service", `<span class="group unhealthy">k8s1-4f7d2b91-shop-checkout-8080-5d03f6e2 (europe-west1-d, 0 of 1 healthy)`} {
		if !strings.Contains(string(dom), s) {
			t.Errorf("the rendered page lacks %q", s)
		}
	}
	// Every finding links its documentation.
	if n := strings.Count(string(dom), `<p class="meta">More: <a href="https://`); n != len(rep.Findings) {
		t.Errorf("%d clickable docs links, want %d", n, len(rep.Findings))
	}
	// With this many findings the evidence starts folded.
	if strings.Contains(string(dom), "<details open") || !strings.Contains(string(dom), "<details>") {
		t.Error("the evidence of the demo's 18 findings should start folded")
	}
}

// TestDemoEvidenceBundle makes a sample bundle offline from the demo and
// opens it again: anyone can try --evidence without a project.
func TestDemoEvidenceBundle(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	bundle := filepath.Join(home, "demo.tar.gz")
	made := runLbdiag(t, home, "inspect", "--demo", "--evidence", bundle, "--format", "json")
	if made.code != report.ExitFindings {
		t.Fatalf("--demo --evidence: exit %d: %s", made.code, made.stderr)
	}
	replayed := runLbdiag(t, home, "inspect", "--replay", bundle, "--format", "json")
	if replayed.code != report.ExitFindings {
		t.Fatalf("--replay of the demo bundle: exit %d: %s", replayed.code, replayed.stderr)
	}
	a, b := findingKeys(parseReport(t, made.stdout)), findingKeys(parseReport(t, replayed.stdout))
	if strings.Join(a, "\n") != strings.Join(b, "\n") || len(a) == 0 {
		t.Errorf("the demo bundle replays differently:\n%v\n%v", a, b)
	}
	// The demo's metrics and audit logs travel in the bundle and replay to
	// the same impact and changes; the bundle keeps no caller's address
	// and only the domain of a caller's email.
	for _, want := range []string{`"impact": {`, `"requestsPerSecond": 3`, `"method": "v1.compute.firewalls.patch"`, `"by": "…@acme-shop.example"`} {
		if !strings.Contains(made.stdout, want) || !strings.Contains(replayed.stdout, want) {
			t.Errorf("made or replayed report lacks %s", want)
		}
	}
	files := untar(t, bundle)
	var raw []byte
	for _, b := range files {
		raw = append(raw, b...)
	}
	// The README's cost of the demo ("What a night costs") is what the
	// bundle's call log counts.
	var m struct {
		Calls []struct{ API, URL string }
	}
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	byAPI, health := map[string]int{}, 0
	for _, c := range m.Calls {
		byAPI[strings.SplitN(c.API, "/", 2)[0]]++
		if strings.Contains(c.URL, "/getHealth") {
			health++
		}
	}
	if want := map[string]int{"compute": 33, "container": 1, "kubernetes": 56, "logging": 4, "monitoring": 6}; len(m.Calls) != 100 || health != 12 || !maps.Equal(byAPI, want) {
		t.Errorf("the demo made %d calls (%d getHealth): %v; the README says 100 (12): %v", len(m.Calls), health, byAPI, want)
	}
	if !bytes.Contains(raw, []byte("timeSeries")) || !bytes.Contains(raw, []byte("cloudaudit.googleapis.com")) {
		t.Error("the bundle lacks the metrics or the audit entries")
	}
	for _, secret := range []string{"dana@acme-shop.example", "ci-deployer@", "203.0.113.77"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the bundle keeps %s", secret)
		}
	}
	os.Remove(bundle)
}

// artifactDir is where a test keeps what a person may want to look at (a
// rendered report, its screenshot): LBDIAG_TEST_ARTIFACTS when set (.ci/run
// sets it to the checkout's test-artifacts/), else the test's own temporary
// directory.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("LBDIAG_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestEvidenceBundleStaleAsTheRun: the bundle's report says which
// suppressions are stale as the run's own report does. A run narrowed
// to some rules calls no entry stale, in the bundle too: it used to tell
// the support engineer to delete an entry the run never judged.
func TestEvidenceBundleStaleAsTheRun(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	os.WriteFile(filepath.Join(home, "ignore.yaml"), []byte("suppressions:\n  - rule: address-unused\n    name: nothing-by-this-name\n    reason: kept on purpose\n    expires: 2099-01-01\n"), 0o644)
	bundle := filepath.Join(home, "b.tar.gz")
	run := runLbdiag(t, home, "inspect", "--demo", "--format", "json", "--rules", "backend-unhealthy", "--ignore-file", "ignore.yaml", "--evidence", bundle, "--now", "2026-12-01T02:00:00Z")
	if run.code != report.ExitFindings && run.code != report.ExitOK {
		t.Fatalf("exit %d: %s", run.code, run.stderr)
	}
	type ignoreFile struct {
		IgnoreFile struct {
			Stale          []any  `json:"stale"`
			StaleNotJudged string `json:"staleNotJudged"`
		} `json:"ignoreFile"`
	}
	var out, bundled ignoreFile
	if err := json.Unmarshal([]byte(run.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(untar(t, bundle)["report.json"], &bundled); err != nil {
		t.Fatal(err)
	}
	if len(out.IgnoreFile.Stale) != 0 || !strings.Contains(out.IgnoreFile.StaleNotJudged, "no entry is called stale") {
		t.Fatalf("the run's report: %+v", out.IgnoreFile)
	}
	if len(bundled.IgnoreFile.Stale) != 0 || bundled.IgnoreFile.StaleNotJudged != out.IgnoreFile.StaleNotJudged {
		t.Fatalf("the bundle's report: %+v, the run's: %+v", bundled.IgnoreFile, out.IgnoreFile)
	}
}
