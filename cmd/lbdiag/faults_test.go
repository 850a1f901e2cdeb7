package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/internal/fakelogging"
	"github.com/lbdiag/lbdiag/report"
)

// A fault of the suite: what is injected into the fake project, how lbdiag
// is run, and what it must do. The README's "Faults and hostile data"
// table lists the same cases.
type faultCase struct {
	name string
	// setup injects the fault; it may return extra flags.
	setup func(t *testing.T, f *fakeProject) []string
	// exit is the exit code lbdiag must end with.
	exit int
	// coverage, when set, is an entry the report must hold: source, a part
	// of its scope, status, and a part of its hint.
	coverage *wantCoverage
	// check asserts the rest.
	check func(t *testing.T, f *fakeProject, res runResult, rep jsonReport)
}

type wantCoverage struct{ source, scope, status, hint string }

const (
	shopScope = "projects/acme-shop-prod/locations/europe-west1/clusters/shop-eu"
	opsScope  = "projects/acme-shop-prod/locations/us-central1-a/clusters/ops-us"
	project   = "projects/acme-shop-prod"
)

func jsonAnswer(w http.ResponseWriter, code int, body string) bool {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	io.WriteString(w, body)
	return true
}

// kubeAnswer writes a Kubernetes Status.
func kubeStatus(w http.ResponseWriter, code int, reason, msg string) bool {
	b, _ := json.Marshal(map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure",
		"message": msg, "reason": reason, "code": code})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b)
	return true
}

// recorded is what the fake project would answer r without faults.
func (f *fakeProject) recorded(api string, r *http.Request) *httptest.ResponseRecorder {
	rw := httptest.NewRecorder()
	f.rec.Handler(api).ServeHTTP(rw, r)
	return rw
}

func hitsOf(f *fakeProject, part string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for k, v := range f.hits {
		if strings.Contains(k, part) {
			n += v
		}
	}
	return n
}

func hasFinding(rep jsonReport, rule, name string) bool {
	for _, f := range rep.Findings {
		if f.Rule == rule && f.Resource.Name == name {
			return true
		}
	}
	return false
}

// rawControl reports the first raw control byte (C0 but newline and tab,
// ESC, BEL, DEL) or C1 character in s.
func rawControl(s string) (rune, bool) {
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) {
			return r, true
		}
	}
	return 0, false
}

var faultCases = []faultCase{
	{
		name: "1 missingZones: orphans are not decided",
		setup: func(t *testing.T, f *fakeProject) []string {
			f.rewrite = map[string]func(map[string]any){"/locations/-/clusters": func(b map[string]any) { b["missingZones"] = []any{"asia-east1-a"} }}
			return nil
		},
		exit:     report.ExitFindings,
		coverage: &wantCoverage{"inspect.lb-resource-orphaned", project, "unknown", "every cluster of the project is listed"},
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			for _, fd := range rep.Findings {
				if fd.Rule == "lb-resource-orphaned" {
					t.Errorf("an orphan was called with a zone missing: %s", fd.Message)
				}
			}
			if status, _, _ := gap(rep, "container.clusters", project+"/locations/asia-east1-a"); status != "error" {
				t.Errorf("the missing zone is not a gap: %q", status)
			}
		},
	},
	{
		name:     "2 --cluster: the orphan rule is skipped by request, not a gap",
		setup:    func(t *testing.T, f *fakeProject) []string { return []string{"--cluster", "us-central1-a/ops-us"} },
		exit:     report.ExitFindings, // ops-us has error findings of its own
		coverage: &wantCoverage{"inspect.lb-resource-orphaned", project, "skipped", ""},
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			for _, c := range rep.Coverage {
				if c.Status != "ok" && c.Status != "skipped" {
					t.Errorf("a fully read --cluster run has a gap: %+v", c)
				}
			}
			if strings.Contains(res.stdout, "could not be read") {
				t.Error("the table would call the run incomplete")
			}
		},
	},
	{
		name: "3 one hung list starves nothing else",
		setup: func(t *testing.T, f *fakeProject) []string {
			f.faults["/aggregated/networkEndpointGroups"] = func(hit int, w http.ResponseWriter, r *http.Request) bool {
				<-r.Context().Done()
				return true
			}
			return []string{"--timeout", "6s"}
		},
		exit:     report.ExitFindings,
		coverage: &wantCoverage{"compute.networkEndpointGroups", project, "error", "not checked: time budget"},
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			for _, scope := range []string{shopScope, opsScope} {
				for _, src := range []string{"kubernetes.api", "kubernetes.ingresses", "kubernetes.services", "kubernetes.events"} {
					if status, errText, _ := gap(rep, src, scope); status != "ok" {
						t.Errorf("%s in %s: %s %s: a hung Compute list held the cluster reads", src, scope, status, errText)
					}
				}
			}
			if hitsOf(f, "/getHealth") == 0 {
				t.Error("no backend health was read while one list hung")
			}
			if !hasFinding(rep, "backendconfig-missing", "frontend") {
				t.Error("findings that need no NEG list are missing")
			}
		},
	},
	{
		name: "4 a repeated page token stops the list",
		setup: func(t *testing.T, f *fakeProject) []string {
			f.faults["/global/firewalls"] = func(hit int, w http.ResponseWriter, r *http.Request) bool {
				return jsonAnswer(w, 200, `{"kind":"compute#firewallList","items":[],"nextPageToken":"Cg1sb29wLWZvcmV2ZXI="}`)
			}
			return nil
		},
		exit:     report.ExitFindings,
		coverage: &wantCoverage{"compute.firewalls", project, "error", "the same page token again"},
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			if n := hitsOf(f, "/global/firewalls"); n > 3 {
				t.Errorf("%d firewall list requests for a looping token", n)
			}
			_, errText, _ := gap(rep, "compute.firewalls", project)
			if !strings.Contains(errText, "the API returned the same page token again") {
				t.Errorf("error %q", errText)
			}
		},
	},
	{
		name: "5 a connection reset in the middle of a body is retried",
		setup: func(t *testing.T, f *fakeProject) []string {
			f.faults["/aggregated/forwardingRules"] = func(hit int, w http.ResponseWriter, r *http.Request) bool {
				if hit > 1 {
					return false
				}
				full := f.recorded("compute", r).Body.Bytes()
				w.Header().Set("Content-Type", "application/json; charset=UTF-8")
				w.Header().Set("Content-Length", fmt.Sprint(len(full)))
				w.WriteHeader(200)
				w.Write(full[:len(full)/2])
				w.(http.Flusher).Flush()
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
				return true
			}
			return nil
		},
		exit:     report.ExitFindings,
		coverage: &wantCoverage{"compute.forwardingRules", project, "ok", ""},
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			if n := hitsOf(f, "/aggregated/forwardingRules"); n != 2 {
				t.Errorf("forwarding rules requested %d times, want 2 (the reset, then the retry)", n)
			}
			if !hasFinding(rep, "static-ip-in-use", "promo") {
				t.Error("the forwarding rules read after the retry were not used")
			}
		},
	},
	{
		name: "6a 410 Expired restarts a Kubernetes list once",
		setup: func(t *testing.T, f *fakeProject) []string {
			f.faults["/api/v1/services"] = func(hit int, w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Query().Get("continue") == "" || hit > 1 {
					return false
				}
				return kubeStatus(w, http.StatusGone, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results.")
			}
			return nil
		},
		exit:     report.ExitFindings,
		coverage: &wantCoverage{"kubernetes.services", opsScope, "ok", ""},
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			// admin-ui is on the second page: read after the restart.
			if !hasFinding(rep, "backendconfig-missing", "admin-ui") {
				t.Error("the Service of the second page was not read after the restart")
			}
		},
	},
	{
		name: "6b 410 Expired twice is a gap that says so",
		setup: func(t *testing.T, f *fakeProject) []string {
			f.faults["/api/v1/services"] = func(hit int, w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Query().Get("continue") == "" {
					return false
				}
				return kubeStatus(w, http.StatusGone, "Expired", "The provided continue parameter is too old to display a consistent list result.")
			}
			return nil
		},
		exit:     report.ExitFindings,
		coverage: &wantCoverage{"kubernetes.services", opsScope, "error", "expired (410 Expired) twice"},
	},
	{
		name: "7 one malformed object does not blind its kind",
		setup: func(t *testing.T, f *fakeProject) []string {
			f.rewrite = map[string]func(map[string]any){"/apis/cloud.google.com/v1/backendconfigs": func(b map[string]any) {
				for _, it := range b["items"].([]any) {
					bc := it.(map[string]any)
					if bc["metadata"].(map[string]any)["name"] == "orders-bc" {
						bc["spec"].(map[string]any)["connectionDraining"] = map[string]any{"drainingTimeoutSec": "sixty"}
					}
				}
			}}
			return nil
		},
		exit:     report.ExitFindings,
		coverage: &wantCoverage{"kubernetes.backendconfigs", shopScope + "/namespaces/shop/backendconfigs/orders-bc", "error", "lbdiag skipped it"},
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			if status, _, _ := gap(rep, "kubernetes.backendconfigs", shopScope); status != "ok" {
				t.Errorf("the kind is %q: one bad object made every BackendConfig unknown", status)
			}
			if !hasFinding(rep, "security-policy-missing", "checkout-bc") {
				t.Error("the other BackendConfigs were not checked")
			}
			for _, fd := range rep.Findings {
				if strings.Contains(fd.Message, "orders-bc") && strings.Contains(fd.Message, "does not exist") {
					t.Errorf("the unreadable orders-bc is called missing: %s", fd.Message)
				}
			}
		},
	},
	{
		name: "8 a cluster that rejects the token is one gap",
		setup: func(t *testing.T, f *fakeProject) []string {
			ops := f.kube["ops-us"]
			inner := ops.Config.Handler
			ops.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				f.mu.Lock()
				f.hits["ops-us-401 "+r.URL.Path]++
				f.mu.Unlock()
				kubeStatus(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized")
			})
			_ = inner
			return nil
		},
		exit:     report.ExitFindings,
		coverage: &wantCoverage{"kubernetes.api", opsScope, "error", "rejected lbdiag's Google access token"},
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			if n := hitsOf(f, "ops-us-401"); n > 3 {
				t.Errorf("%d requests to a cluster that rejects the token", n)
			}
			for _, c := range rep.Coverage {
				if strings.HasPrefix(c.Scope, opsScope) && c.Source != "kubernetes.api" && c.Status != "ok" && c.Status != "skipped" {
					t.Errorf("more than one gap for the rejecting cluster: %+v", c)
				}
			}
		},
	},
	{
		name: "9 a project that does not exist is a usage error",
		setup: func(t *testing.T, f *fakeProject) []string {
			f.faults["*"] = func(hit int, w http.ResponseWriter, r *http.Request) bool {
				if strings.HasPrefix(r.URL.Path, "/v1/") {
					return jsonAnswer(w, 404, `{"error":{"code":404,"message":"Not found: projects/acme-shop-prod.","status":"NOT_FOUND"}}`)
				}
				return jsonAnswer(w, 404, `{"error":{"code":404,"message":"The resource 'projects/acme-shop-prod' was not found","errors":[{"message":"The resource 'projects/acme-shop-prod' was not found","domain":"global","reason":"notFound"}]}}`)
			}
			return nil
		},
		exit: report.ExitError,
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			if !strings.Contains(res.stderr, `project "acme-shop-prod" was not found`) || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 || res.stdout != "" {
				t.Errorf("stderr %q, stdout %d bytes", res.stderr, len(res.stdout))
			}
		},
	},
	{
		// Rules that need neither quotas nor regions: those lists are
		// skipped, and the lists made still tell a missing project.
		name: "9b a project that does not exist, with a rule selection",
		setup: func(t *testing.T, f *fakeProject) []string {
			f.faults["*"] = func(hit int, w http.ResponseWriter, r *http.Request) bool {
				if strings.HasPrefix(r.URL.Path, "/v1/") {
					return jsonAnswer(w, 404, `{"error":{"code":404,"message":"Not found: projects/acme-shop-prod.","status":"NOT_FOUND"}}`)
				}
				return jsonAnswer(w, 404, `{"error":{"code":404,"message":"The resource 'projects/acme-shop-prod' was not found","errors":[{"message":"The resource 'projects/acme-shop-prod' was not found","domain":"global","reason":"notFound"}]}}`)
			}
			return []string{"--rules", "backend-unhealthy"}
		},
		exit: report.ExitError,
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			if !strings.Contains(res.stderr, `project "acme-shop-prod" was not found`) || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 || res.stdout != "" {
				t.Errorf("stderr %q, stdout %d bytes", res.stderr, len(res.stdout))
			}
		},
	},
	{
		name: "11 no terminal escapes from data",
		setup: func(t *testing.T, f *fakeProject) []string {
			osc := "\x1b]52;c;cm0gLXJmIH4K\x07\x1b]0;owned\x07\x1b[2J\u009b31m"
			f.rewrite = map[string]func(map[string]any){
				"/api/v1/events": func(b map[string]any) {
					for _, it := range b["items"].([]any) {
						e := it.(map[string]any)
						e["message"] = e["message"].(string) + osc
					}
				},
				"/apis/gateway.networking.k8s.io/v1/gateways": func(b map[string]any) {
					for _, it := range b["items"].([]any) {
						st := it.(map[string]any)["status"].(map[string]any)
						for _, c := range st["conditions"].([]any) {
							cm := c.(map[string]any)
							cm["message"] = cm["message"].(string) + osc
						}
					}
				},
			}
			f.faults["/aggregated/securityPolicies"] = func(hit int, w http.ResponseWriter, r *http.Request) bool {
				return jsonAnswer(w, 403, `{"error":{"code":403,"message":"Permission denied \u001b]52;c;cm0K\u0007 \u001b[31m","errors":[{"reason":"forbidden"}]}}`)
			}
			return []string{"--evidence", filepath.Join(t.TempDir(), "e.tar.gz")}
		},
		exit: report.ExitFindings,
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			outputs := map[string]string{"json": res.stdout}
			for _, args := range [][]string{{"--format", "table"}, {"--format", "csv"}, {"--format", "html"}} {
				outputs[args[1]] = f.run(t, args...).stdout
			}
			outputs["list layout"] = f.runEnv(t, []string{"COLUMNS=100"}).stdout
			var bundle string
			for i, a := range res.args {
				if a == "--evidence" {
					bundle = res.args[i+1]
				}
			}
			for name, b := range untar(t, bundle) {
				outputs["bundle "+name] = string(b)
			}
			for name, out := range outputs {
				if r, found := rawControl(out); found {
					i := strings.IndexRune(out, r)
					t.Errorf("%s carries a raw %U: …%q…", name, r, out[max(0, i-40):min(len(out), i+20)])
				}
			}
			if !strings.Contains(outputs["table"], `\x1b]52;c;`) {
				t.Error("the escaped sequence should stay visible in the table")
			}
		},
	},
	{
		name: "13 the access token never reaches a report",
		setup: func(t *testing.T, f *fakeProject) []string {
			f.faults["/aggregated/securityPolicies"] = func(hit int, w http.ResponseWriter, r *http.Request) bool {
				auth := r.Header.Get("Authorization")
				return jsonAnswer(w, 403, `{"error":{"code":403,"message":"request with header Authorization: `+auth+` is not allowed (token `+strings.TrimPrefix(auth, "Bearer ")+`)","errors":[{"reason":"forbidden"}]}}`)
			}
			return []string{"--evidence", filepath.Join(t.TempDir(), "e.tar.gz")}
		},
		exit:     report.ExitFindings,
		coverage: &wantCoverage{"compute.securityPolicies", project, "error", "compute.securityPolicies.list"},
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			token := strings.TrimPrefix(testToken, "ya29.")
			if strings.Contains(res.stdout, token) || strings.Contains(res.stderr, token) {
				t.Error("the access token is in lbdiag's output")
			}
			table := f.run(t, "--format", "table").stdout
			if strings.Contains(table, token) {
				t.Error("the access token is in the table")
			}
			for i, a := range res.args {
				if a == "--evidence" {
					raw, _ := os.ReadFile(res.args[i+1])
					for name, b := range untar(t, res.args[i+1]) {
						if bytes.Contains(b, []byte(token)) {
							t.Errorf("the bundle's %s holds the access token", name)
						}
					}
					if bytes.Contains(raw, []byte(token)) {
						t.Error("the bundle holds the access token")
					}
				}
			}
			_, errText, _ := gap(rep, "compute.securityPolicies", project)
			if !strings.Contains(errText, "Authorization: Bearer REDACTED") {
				t.Errorf("the error lost its shape: %q", errText)
			}
		},
	},
	{
		name: "14 --record is private",
		setup: func(t *testing.T, f *fakeProject) []string {
			return []string{"--record", filepath.Join(t.TempDir(), "raw")}
		},
		exit: report.ExitFindings,
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			dir := res.args[len(res.args)-1]
			n := 0
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				st, _ := d.Info()
				want := fs.FileMode(0o600)
				if d.IsDir() {
					want = 0o700
				}
				if st.Mode().Perm() != want {
					t.Errorf("%s has mode %v, want %v", p, st.Mode().Perm(), want)
				}
				n++
				return nil
			})
			if n < 10 {
				t.Errorf("the recording has %d entries", n)
			}
		},
	},
	{
		name: "15 one value costs at most 4 KiB",
		setup: func(t *testing.T, f *fakeProject) []string {
			big := strings.Repeat("x", 1<<20)
			f.rewrite = map[string]func(map[string]any){"/api/v1/services": func(b map[string]any) {
				for _, it := range b["items"].([]any) {
					meta := it.(map[string]any)["metadata"].(map[string]any)
					if meta["name"] != "frontend" {
						continue
					}
					ann := meta["annotations"].(map[string]any)
					ann["cloud.google.com/backend-config"] = `{"default":"frontend-bc","ports":{"` + big + `":"x"}}`
					ann["cloud.google.com/app-protocols"] = `{"http":"` + big + `"}`
					ann["cloud.google.com/neg"] = `{"ingress":true,"exposed_ports":{"` + big + `":{}}}`
				}
			}}
			return nil
		},
		exit: report.ExitFindings,
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			if len(res.stdout) > 256<<10 {
				t.Errorf("the JSON report is %d bytes for three 1 MiB annotations", len(res.stdout))
			}
			if !strings.Contains(res.stdout, "more bytes cut by lbdiag") {
				t.Error("no value was cut with a marker")
			}
		},
	},
	{
		name: "17 --logs without logging.logEntries.list: a gap, never no errors",
		setup: func(t *testing.T, f *fakeProject) []string {
			f.faults["/v2/entries:list"] = func(hit int, w http.ResponseWriter, r *http.Request) bool {
				fakelogging.PermissionDenied(w, "acme-shop-prod")
				return true
			}
			return []string{"--logs", "1h"}
		},
		exit:     report.ExitFindings, // the demo's findings come first; the gap is in the coverage
		coverage: &wantCoverage{"logging.requests", project, "error", "missing IAM permission logging.logEntries.list on project acme-shop-prod: grant roles/logging.viewer"},
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			for _, fd := range rep.Findings {
				if fd.Rule == "lb-traffic-errors" || fd.Evidence["lb-traffic-errors"] != nil {
					t.Errorf("traffic evidence without logs: %s on %s", fd.Rule, fd.Resource.Name)
				}
			}
			if n := hitsOf(f, "entries:list"); n != 4 {
				t.Errorf("%d entries.list calls, want 4: requests, probes, audit logs (a 403 is final)", n)
			}
		},
	},
	{
		name: "18 --logs through Logging's quota: retried, then the evidence",
		setup: func(t *testing.T, f *fakeProject) []string {
			f.faults["/v2/entries:list"] = func(hit int, w http.ResponseWriter, r *http.Request) bool {
				if hit > 1 {
					return false
				}
				fakelogging.QuotaExceeded(w, "acme-shop-prod")
				return true
			}
			return []string{"--logs", "1h"}
		},
		exit:     report.ExitFindings,
		coverage: &wantCoverage{"logging.requests", project, "ok", "52 request log entries of 4 backend services"},
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			if !hasFinding(rep, "lb-traffic-errors", "k8s1-4f7d2b91-shop-checkout-8080-5d03f6e2") {
				t.Error("no traffic finding after the 429")
			}
		},
	},
	{
		name: "19 --logs: a Logging error with escape sequences that echoes the token",
		setup: func(t *testing.T, f *fakeProject) []string {
			f.faults["/v2/entries:list"] = func(hit int, w http.ResponseWriter, r *http.Request) bool {
				if !strings.Contains(readBody(r), "healthchecks") {
					return false
				}
				return jsonAnswer(w, http.StatusBadRequest, `{"error":{"code":400,"status":"INVALID_ARGUMENT","message":"bad filter \u001b]52;c;aGk=\u0007 from `+r.Header.Get("Authorization")+`"}}`)
			}
			return []string{"--logs", "1h"}
		},
		exit:     report.ExitFindings,
		coverage: &wantCoverage{"logging.healthChecks", project, "error", ""},
		check: func(t *testing.T, f *fakeProject, res runResult, rep jsonReport) {
			if strings.Contains(res.stdout, testToken) || strings.Contains(res.stderr, testToken) {
				t.Error("the access token was echoed")
			}
			if r, bad := rawControl(res.stdout); bad {
				t.Errorf("raw control character %U in the report", r)
			}
			if status, _, _ := gap(rep, "logging.requests", project); status != "ok" {
				t.Errorf("the request logs are not read when the probe logs fail: %s", status)
			}
		},
	},
}

// readBody reads a request's body and leaves it readable again.
func readBody(r *http.Request) string {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	return string(b)
}

// TestFaults runs lbdiag against the fake project with each fault injected.
func TestFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range faultCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeProject(t)
			extra := tc.setup(t, f)
			start := time.Now()
			res := f.run(t, append([]string{"--format", "json"}, extra...)...)
			if res.code != tc.exit {
				t.Fatalf("exit %d, want %d; stderr: %s", res.code, tc.exit, res.stderr)
			}
			var rep jsonReport
			if res.code != report.ExitError {
				rep = parseReport(t, res.stdout)
			}
			if c := tc.coverage; c != nil {
				found := false
				for _, got := range rep.Coverage {
					if got.Source == c.source && strings.Contains(got.Scope, c.scope) {
						found = true
						if got.Status != c.status || !strings.Contains(got.Hint+" "+got.Detail, c.hint) {
							t.Errorf("coverage %s in %s: %s, hint %q; want %s, hint containing %q", got.Source, got.Scope, got.Status, got.Hint, c.status, c.hint)
						}
					}
				}
				if !found {
					t.Errorf("no coverage entry %s in %s; coverage: %+v", c.source, c.scope, rep.Coverage)
				}
			}
			if tc.check != nil {
				tc.check(t, f, res, rep)
			}
			t.Logf("%s: exit %d in %s", tc.name, res.code, time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestHealthModesAndFocus checks the getHealth calls each mode makes, and
// that focus flags narrow the report and the health reads.
func TestHealthModesAndFocus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		args      []string
		calls     func(int) bool
		status    string
		detail    string
		exit      int
		onlyRules []string // when set, every finding's rule is one of these
	}{
		{name: "auto within the budget reads every group", args: nil, calls: func(n int) bool { return n == 12 }, status: "ok", detail: "health read for 12 of 12 backend groups", exit: report.ExitFindings},
		{name: "all reads every distinct group once", args: []string{"--health", "all"}, calls: func(n int) bool { return n == 12 }, status: "ok", exit: report.ExitFindings},
		{name: "none reads none, and is no gap", args: []string{"--health", "none"}, calls: func(n int) bool { return n == 0 }, status: "skipped", detail: "--health none", exit: report.ExitFindings},
		{name: "auto over the budget: at most the budget, and no gap", args: []string{"--health-budget", "4"}, calls: func(n int) bool { return n == 4 }, status: "skipped",
			detail: "health read for 4 of 12 backend groups", exit: report.ExitFindings},
		{name: "an Ingress in focus: its own backends only", args: []string{"--ingress", "shop/promo"}, calls: func(n int) bool { return n == 3 }, status: "ok", exit: report.ExitFindings,
			onlyRules: []string{"backendconfig-missing", "ingress-tls-secret-name-missing", "static-ip-in-use", "allow-http-unparsable", "neg-drain-timeout-unset", "prestop-hook-missing",
				"managed-certificate-missing", "readiness-probe-health-check-mismatch"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeProject(t)
			res := f.run(t, append([]string{"--format", "json"}, tc.args...)...)
			if res.code != tc.exit {
				t.Fatalf("exit %d, want %d: %s", res.code, tc.exit, res.stderr)
			}
			rep := parseReport(t, res.stdout)
			if n := hitsOf(f, "/getHealth"); !tc.calls(n) {
				t.Errorf("%d getHealth calls", n)
			}
			for _, c := range rep.Coverage {
				if c.Source == "compute.backendServices.getHealth" && (c.Status != tc.status || !strings.Contains(c.Detail, tc.detail)) {
					t.Errorf("health coverage: %s %q", c.Status, c.Detail)
				}
				if c.Status != "ok" && c.Status != "skipped" {
					t.Errorf("gap: %+v", c)
				}
			}
			if tc.onlyRules != nil {
				for _, fd := range rep.Findings {
					if !contains(tc.onlyRules, fd.Rule) {
						t.Errorf("finding outside the focus: %s on %s %s", fd.Rule, fd.Resource.Kind, fd.Resource.Name)
					}
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// TestQuotaSlowsDown answers every list with 429 once: lbdiag retries,
// slows down for the rest of the run, and says so in coverage.
func TestQuotaSlowsDown(t *testing.T) {
	t.Parallel()
	f := newFakeProject(t)
	f.faults["/aggregated/urlMaps"] = func(hit int, w http.ResponseWriter, r *http.Request) bool {
		if hit > 1 {
			return false
		}
		w.Header().Set("Retry-After", "0")
		return jsonAnswer(w, 429, `{"error":{"code":429,"message":"Quota exceeded for quota metric 'Read requests'","status":"RESOURCE_EXHAUSTED","errors":[{"reason":"rateLimitExceeded"}]}}`)
	}
	res := f.run(t, "--format", "json", "--max-qps", "50")
	rep := parseReport(t, res.stdout)
	found := false
	for _, c := range rep.Coverage {
		if c.Source == "lbdiag.rateLimit" && strings.Contains(c.Detail, "slowed down to 25 requests a second") {
			found = true
		}
	}
	if !found || res.code != report.ExitFindings {
		t.Errorf("exit %d, coverage %+v", res.code, rep.Coverage)
	}
}
