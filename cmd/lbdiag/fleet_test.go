package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/lbdiag/lbdiag/fixtures"
	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/internal/fakelogging"
	"github.com/lbdiag/lbdiag/internal/fakemonitoring"
	"github.com/lbdiag/lbdiag/report"
)

// fakeFleet serves an organization of projects: Cloud Resource Manager v3
// (nested folders, one item per page, a project being deleted, a folder
// lbdiag may not list), and Compute Engine, GKE and each cluster's
// Kubernetes API for the projects: two recorded ones (the demo and the
// ingress guide), two empty ones and one whose APIs are disabled.
type fakeFleet struct {
	t         *testing.T
	recs      map[string]*recording.Recording // project -> recording
	crm       *httptest.Server
	compute   *httptest.Server
	container *httptest.Server
	logging   *httptest.Server            // Cloud Logging, with no entries
	monitor   *httptest.Server            // Cloud Monitoring, with no series
	kube      map[string]*httptest.Server // "project/location/name"

	mu       sync.Mutex
	requests []string // "api path?query"
	// rewrite edits JSON answers of paths ending in a key, per project.
	rewrite map[string]map[string]func(map[string]any)
}

const fleetOrg = "123456789012"

// The organization's tree: parent -> children (projects by ID, folders by
// name) and their states.
var fleetTree = map[string][]struct{ name, state string }{
	"organizations/" + fleetOrg: {{"project:empty-b", "ACTIVE"}, {"project:disabled-c", "ACTIVE"}, {"folders/10", "ACTIVE"}, {"folders/20", "ACTIVE"}, {"folders/30", "ACTIVE"}},
	"folders/10":                {{"project:acme-shop-prod", "ACTIVE"}, {"project:empty-a", "ACTIVE"}, {"folders/11", "ACTIVE"}},
	"folders/11":                {{"project:guide-proj", "ACTIVE"}, {"project:deleted-d", "DELETE_REQUESTED"}},
	"folders/20":                {},
}

// fleetProjects are the ACTIVE projects of the tree, sorted.
var fleetProjects = []string{"acme-shop-prod", "disabled-c", "empty-a", "empty-b", "guide-proj"}

func newFakeFleet(t *testing.T) *fakeFleet {
	t.Helper()
	f := &fakeFleet{t: t, recs: map[string]*recording.Recording{}, kube: map[string]*httptest.Server{}, rewrite: map[string]map[string]func(map[string]any){}}
	demo, err := recording.Load(fixtures.Demo())
	if err != nil {
		t.Fatal(err)
	}
	guide, err := recording.Load(os.DirFS("../../fixtures/ingress-guide"))
	if err != nil {
		t.Fatal(err)
	}
	f.recs["acme-shop-prod"], f.recs["guide-proj"] = demo, guide
	for project, rec := range f.recs {
		for _, cl := range recordedClusters(t, rec) {
			api := recording.KubeAPI(cl.location, cl.name)
			f.kube[project+"/"+cl.location+"/"+cl.name] = serveTLS(t, f.serveRecorded(project, api, rec.Handler(api)))
		}
	}
	f.crm = serveHTTP(t, http.HandlerFunc(f.serveCRM))
	f.compute = serveHTTP(t, http.HandlerFunc(f.serveCompute))
	f.container = serveHTTP(t, http.HandlerFunc(f.serveContainer))
	logs := fakelogging.New(fleetProjects[0], nil)
	logs.Allow(fleetProjects[1:]...)
	f.logging = serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.note(recording.APILogging, r)
		logs.ServeHTTP(w, r)
	}))
	monitors := map[string]*fakemonitoring.Server{}
	for _, p := range fleetProjects {
		monitors[p] = fakemonitoring.New(p, nil)
	}
	f.monitor = serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.note(recording.APIMonitoring, r)
		if m := monitors[projectOfPath(r.URL.Path, "/v3/projects/")]; m != nil {
			m.ServeHTTP(w, r)
			return
		}
		jsonAnswer(w, 403, `{"error":{"code":403,"message":"Permission monitoring.timeSeries.list denied (or the resource may not exist).","status":"PERMISSION_DENIED"}}`)
	}))
	return f
}

type clusterRef struct{ location, name string }

func recordedClusters(t *testing.T, rec *recording.Recording) []clusterRef {
	rw := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/v1/projects/"+rec.Manifest.Project+"/locations/-/clusters", nil)
	rec.Handler(recording.APIContainer).ServeHTTP(rw, req)
	var body struct {
		Clusters []struct{ Name, Location string }
	}
	if err := json.Unmarshal(rw.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	var out []clusterRef
	for _, c := range body.Clusters {
		out = append(out, clusterRef{c.Location, c.Name})
	}
	return out
}

func (f *fakeFleet) note(api string, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, api+" "+r.URL.Path+"?"+r.URL.RawQuery)
}

func (f *fakeFleet) requested(part string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if strings.Contains(r, part) {
			n++
		}
	}
	return n
}

// serveRecorded answers from a recording, applying the project's rewrites.
func (f *fakeFleet) serveRecorded(project, api string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.note(api, r)
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		var edit func(map[string]any)
		for suffix, fn := range f.rewrite[project] {
			if strings.HasSuffix(r.URL.Path, suffix) {
				edit = fn
			}
		}
		f.mu.Unlock()
		if edit == nil {
			h.ServeHTTP(w, r)
			return
		}
		rw := httptest.NewRecorder()
		h.ServeHTTP(rw, r)
		var body map[string]any
		json.Unmarshal(rw.Body.Bytes(), &body)
		edit(body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
	})
}

// serveCRM answers folders.list and projects.list by parent, one item per
// page; folders/30 may not be listed.
func (f *fakeFleet) serveCRM(w http.ResponseWriter, r *http.Request) {
	f.note("crm", r)
	q := r.URL.Query()
	parent := q.Get("parent")
	if parent == "folders/30" {
		jsonAnswer(w, 403, `{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"IAM_PERMISSION_DENIED"}]}}`)
		return
	}
	kind := strings.TrimPrefix(r.URL.Path, "/v3/")
	var items []map[string]any
	for _, c := range fleetTree[parent] {
		switch {
		case kind == "projects" && strings.HasPrefix(c.name, "project:"):
			id := strings.TrimPrefix(c.name, "project:")
			items = append(items, map[string]any{"name": "projects/" + strconv.Itoa(len(id)*1000+int(id[0])), "projectId": id, "parent": parent, "state": c.state, "displayName": id})
		case kind == "folders" && strings.HasPrefix(c.name, "folders/"):
			items = append(items, map[string]any{"name": c.name, "parent": parent, "state": c.state, "displayName": "folder " + c.name})
		}
	}
	page, _ := strconv.Atoi(q.Get("pageToken"))
	body := map[string]any{}
	if page < len(items) {
		body[kind] = items[page : page+1]
		if page+1 < len(items) {
			body["nextPageToken"] = strconv.Itoa(page + 1)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(body)
}

func projectOfPath(path, prefix string) string {
	rest := strings.TrimPrefix(path, prefix)
	p, _, _ := strings.Cut(rest, "/")
	return p
}

var disabled = func(api string) string {
	return `{"error":{"code":403,"message":"` + api + ` has not been used in project disabled-c before or it is disabled.","status":"PERMISSION_DENIED","errors":[{"message":"disabled","domain":"usageLimits","reason":"accessNotConfigured"}]}}`
}

func (f *fakeFleet) serveCompute(w http.ResponseWriter, r *http.Request) {
	project := projectOfPath(r.URL.Path, "/compute/v1/projects/")
	if rec, ok := f.recs[project]; ok {
		f.serveRecorded(project, recording.APICompute, rec.Handler(recording.APICompute)).ServeHTTP(w, r)
		return
	}
	f.note(recording.APICompute, r)
	switch {
	case project == "disabled-c":
		jsonAnswer(w, 403, disabled("Compute Engine API"))
	case strings.Contains(r.URL.Path, "/aggregated/"):
		jsonAnswer(w, 200, `{"kind":"compute#aggregatedList","items":{}}`)
	default:
		jsonAnswer(w, 200, `{"kind":"compute#list","items":[]}`)
	}
}

// serveContainer answers clusters.list, pointing each recorded cluster at
// its fake API server and CA.
func (f *fakeFleet) serveContainer(w http.ResponseWriter, r *http.Request) {
	project := projectOfPath(r.URL.Path, "/v1/projects/")
	rec, ok := f.recs[project]
	if !ok {
		f.note(recording.APIContainer, r)
		if project == "disabled-c" {
			jsonAnswer(w, 403, disabled("Kubernetes Engine API"))
			return
		}
		jsonAnswer(w, 200, `{}`)
		return
	}
	rw := httptest.NewRecorder()
	f.serveRecorded(project, recording.APIContainer, rec.Handler(recording.APIContainer)).ServeHTTP(rw, r)
	var body map[string]any
	json.Unmarshal(rw.Body.Bytes(), &body)
	for _, c := range body["clusters"].([]any) {
		cl := c.(map[string]any)
		srv := f.kube[project+"/"+cl["location"].(string)+"/"+cl["name"].(string)]
		cl["endpoint"] = strings.TrimPrefix(srv.URL, "https://")
		auth, _ := cl["masterAuth"].(map[string]any)
		if auth == nil {
			auth = map[string]any{}
			cl["masterAuth"] = auth
		}
		auth["clusterCaCertificate"] = base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}

// run executes lbdiag against the fleet.
func (f *fakeFleet) run(t *testing.T, env []string, args ...string) runResult {
	t.Helper()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte(testToken+"\n"), 0o600)
	base := []string{"inspect", "--compute-endpoint", f.compute.URL + "/compute/v1/", "--container-endpoint", f.container.URL + "/",
		"--resourcemanager-endpoint", f.crm.URL + "/", "--logging-endpoint", f.logging.URL + "/", "--monitoring-endpoint", f.monitor.URL + "/", "--access-token-file", tokenFile, "--now", "2026-11-27T02:12:00Z",
		"--no-dns"} // no test resolves through the system's resolver
	return runLbdiagEnv(t, dir, env, append(base, args...)...)
}

type fleetJSON struct {
	SchemaVersion int    `json:"schemaVersion"`
	RunID         string `json:"runId"`
	Shard         struct{ Index, Count int }
	ExitCode      int `json:"exitCode"`
	Coverage      []struct{ Source, Scope, Status, Error, Hint string }
	Projects      []struct {
		Project  string
		ExitCode int `json:"exitCode"`
		Coverage []struct{ Source, Scope, Status, Error, Hint string }
		Findings []struct{ Rule, Severity, Fingerprint, Status, Message string }
		Resolved *[]struct{ Rule, Fingerprint string }
	}
}

func parseFleet(t *testing.T, out string) fleetJSON {
	t.Helper()
	return decodeOutput[fleetJSON](t, out)
}

// TestFleetOrganizationAndShards enumerates the organization, inspects each
// ACTIVE project once, and splits the work over 2 and 3 shards.
func TestFleetOrganizationAndShards(t *testing.T) {
	t.Parallel()
	f := newFakeFleet(t)
	res := f.run(t, nil, "--organization", fleetOrg, "--format", "json")
	if res.code != report.ExitFindings {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	all := parseFleet(t, res.stdout)
	var got []string
	fingerprints := map[string]bool{}
	for _, p := range all.Projects {
		got = append(got, p.Project)
		for _, fd := range p.Findings {
			fingerprints[p.Project+"/"+fd.Fingerprint] = true
		}
	}
	if strings.Join(got, ",") != strings.Join(fleetProjects, ",") {
		t.Errorf("projects %v, want %v", got, fleetProjects)
	}
	if n := f.requested("deleted-d"); n != 0 {
		t.Errorf("the project being deleted was requested %d times", n)
	}
	if n := f.requested("pageToken="); n < 4 {
		t.Errorf("Resource Manager pages read: %d; every page must be followed", n)
	}
	// The folder lbdiag may not list is a gap of the run; the rest of the
	// tree is inspected.
	found := false
	for _, c := range all.Coverage {
		if c.Scope == "folders/30" && c.Status == "error" && strings.Contains(c.Hint, "roles/browser") {
			found = true
		}
	}
	if !found {
		t.Errorf("no gap for folders/30: %+v", all.Coverage)
	}
	// The project with its APIs disabled is a gap of that project only.
	for _, p := range all.Projects {
		gaps := 0
		for _, c := range p.Coverage {
			if c.Status == "error" {
				gaps++
				if !strings.HasPrefix(c.Scope, "projects/"+p.Project) {
					t.Errorf("%s: gap scoped %s", p.Project, c.Scope)
				}
			}
		}
		switch p.Project {
		case "disabled-c":
			if gaps == 0 || p.ExitCode != report.ExitIncomplete {
				t.Errorf("disabled-c: %d gaps, exit %d", gaps, p.ExitCode)
			}
			for _, c := range p.Coverage {
				if c.Source == "compute.backendServices" && !strings.Contains(c.Hint, "gcloud services enable compute.googleapis.com --project disabled-c") {
					t.Errorf("disabled-c hint: %q", c.Hint)
				}
			}
		case "empty-a", "empty-b":
			if gaps != 0 || p.ExitCode != report.ExitOK || len(p.Findings) != 0 {
				t.Errorf("%s: %d gaps, exit %d, %d findings", p.Project, gaps, p.ExitCode, len(p.Findings))
			}
		case "acme-shop-prod":
			if p.ExitCode != report.ExitFindings {
				t.Errorf("acme-shop-prod: exit %d", p.ExitCode)
			}
		}
	}

	for _, n := range []int{2, 3} {
		seen := map[string]int{}
		union := map[string]bool{}
		for i := 0; i < n; i++ {
			env := []string{"CLOUD_RUN_TASK_INDEX=" + strconv.Itoa(i), "CLOUD_RUN_TASK_COUNT=" + strconv.Itoa(n)}
			sr := f.run(t, env, "--organization", fleetOrg, "--format", "json")
			shard := parseFleet(t, sr.stdout)
			if shard.Shard.Index != i || shard.Shard.Count != n {
				t.Errorf("shard %d/%d reported as %+v", i, n, shard.Shard)
			}
			for _, p := range shard.Projects {
				seen[p.Project]++
				for _, fd := range p.Findings {
					union[p.Project+"/"+fd.Fingerprint] = true
				}
			}
		}
		for _, p := range fleetProjects {
			if seen[p] != 1 {
				t.Errorf("%d shards: %s inspected %d times", n, p, seen[p])
			}
		}
		if len(union) != len(fingerprints) {
			t.Errorf("%d shards found %d findings, the single run %d", n, len(union), len(fingerprints))
		}
		for fp := range fingerprints {
			if !union[fp] {
				t.Errorf("%d shards miss %s", n, fp)
			}
		}
	}
	// --shard overrides the variables, and bad values are usage errors.
	if r := f.run(t, []string{"CLOUD_RUN_TASK_INDEX=0", "CLOUD_RUN_TASK_COUNT=2"}, "--organization", fleetOrg, "--format", "json", "--shard", "1/2"); parseFleet(t, r.stdout).Shard.Index != 1 {
		t.Error("--shard does not win over the Cloud Run variables")
	}
	if r := f.run(t, nil, "--organization", fleetOrg, "--shard", "3/2"); r.code != report.ExitError {
		t.Errorf("--shard 3/2: exit %d", r.code)
	}
	if r := f.run(t, nil, "--organization", "acme"); r.code != report.ExitError || !strings.Contains(r.stderr, "numeric") {
		t.Errorf("--organization acme: exit %d %s", r.code, r.stderr)
	}
}

// TestFleetLogFormat checks the Cloud Logging lines: every line parses,
// severities are Cloud Logging's, one line per finding, a WARNING line per
// gap and a NOTICE summary per project.
func TestFleetLogFormat(t *testing.T) {
	t.Parallel()
	f := newFakeFleet(t)
	js := parseFleet(t, f.run(t, nil, "--folder", "10", "--format", "json").stdout)
	res := f.run(t, nil, "--folder", "10", "--format", "log")
	if res.code != report.ExitFindings {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	findings, notices, warnings := 0, map[string]bool{}, 0
	sc := bufio.NewScanner(strings.NewReader(res.stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("a line is not JSON: %v: %s", err, sc.Text())
		}
		sev, _ := line["severity"].(string)
		labels, _ := line["logging.googleapis.com/labels"].(map[string]any)
		for k, v := range labels {
			if _, ok := v.(string); !ok {
				t.Errorf("label %s is not a string: %v", k, v)
			}
		}
		if msg, _ := line["message"].(string); msg == "" {
			t.Errorf("a line has no message: %s", sc.Text())
		}
		switch {
		case line["finding"] != nil:
			findings++
			fd := line["finding"].(map[string]any)
			if sev != strings.ToUpper(fd["severity"].(string)) || labels["rule"] != fd["rule"] || labels["project"] == "" {
				t.Errorf("finding line: severity %s, labels %v", sev, labels)
			}
		case line["summary"] != nil:
			if sev != "NOTICE" {
				t.Errorf("summary severity %s", sev)
			}
			notices[labels["project"].(string)] = true
		case line["coverage"] != nil:
			if sev != "WARNING" {
				t.Errorf("coverage severity %s", sev)
			}
			warnings++
		default:
			t.Errorf("unknown line %s", sc.Text())
		}
		switch sev {
		case "ERROR", "WARNING", "INFO", "NOTICE":
		default:
			t.Errorf("severity %q", sev)
		}
	}
	want := 0
	for _, p := range js.Projects {
		want += len(p.Findings)
		if !notices[p.Project] {
			t.Errorf("no NOTICE line for %s", p.Project)
		}
	}
	if findings != want || want == 0 {
		t.Errorf("%d finding lines, the report has %d findings", findings, want)
	}
	if len(notices) != 3 {
		t.Errorf("NOTICE lines for %v, want the 3 projects of folders/10", notices)
	}
}

// TestFleetOutputAndBaseline writes each project's reports to a directory
// and compares two runs: statuses, resolved, and exit codes.
func TestFleetOutputAndBaseline(t *testing.T) {
	t.Parallel()
	f := newFakeFleet(t)
	out := t.TempDir()
	env := []string{"CLOUD_RUN_EXECUTION=nightly-001"}
	args := []string{"--projects", "acme-shop-prod,empty-a", "--format", "json", "--output", out, "--baseline", "auto"}
	first := f.run(t, env, args...)
	if first.code != report.ExitFindings {
		t.Fatalf("first run: exit %d: %s", first.code, first.stderr)
	}
	rep := parseFleet(t, first.stdout)
	for _, p := range rep.Projects {
		for _, fd := range p.Findings {
			if fd.Status != "new" {
				t.Errorf("first run: %s is %q, want new", fd.Rule, fd.Status)
			}
		}
		if p.Resolved == nil || len(*p.Resolved) != 0 {
			t.Errorf("first run: resolved must be present and empty: %v", p.Resolved)
		}
	}
	for _, name := range []string{"projects/acme-shop-prod/latest.json", "projects/acme-shop-prod/runs/nightly-001.json", "projects/empty-a/latest.json", "runs/nightly-001/shard-0-of-1.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	var summary struct {
		RunID    string `json:"runId"`
		Shard    struct{ Index, Count int }
		ExitCode int `json:"exitCode"`
		Projects []struct {
			Project  string
			ExitCode int `json:"exitCode"`
			Counts   map[string]int
		}
	}
	b, _ := os.ReadFile(filepath.Join(out, "runs/nightly-001/shard-0-of-1.json"))
	if err := json.Unmarshal(b, &summary); err != nil || summary.RunID != "nightly-001" || summary.ExitCode != 1 || len(summary.Projects) != 2 || summary.Projects[0].Counts["error"] == 0 {
		t.Errorf("shard summary %s: %v", b, err)
	}

	// The promo Ingress's static IP is fixed overnight.
	f.mu.Lock()
	f.rewrite["acme-shop-prod"] = map[string]func(map[string]any){"/apis/networking.k8s.io/v1/ingresses": func(body map[string]any) {
		for _, it := range body["items"].([]any) {
			meta := it.(map[string]any)["metadata"].(map[string]any)
			if meta["name"] == "promo" {
				delete(meta["annotations"].(map[string]any), "kubernetes.io/ingress.global-static-ip-name")
			}
		}
	}}
	f.mu.Unlock()
	env[0] = "CLOUD_RUN_EXECUTION=nightly-002"
	second := f.run(t, env, args...)
	rep2 := parseFleet(t, second.stdout)
	// Nothing new at or above error: exit 0 although errors remain.
	if second.code != report.ExitOK {
		t.Errorf("second run: exit %d, want 0 (no new error)", second.code)
	}
	acme := rep2.Projects[0]
	if acme.Resolved == nil || len(*acme.Resolved) != 1 || (*acme.Resolved)[0].Rule != "static-ip-in-use" {
		t.Errorf("second run: resolved %+v", acme.Resolved)
	}
	for _, fd := range acme.Findings {
		if fd.Status != "ongoing" {
			t.Errorf("second run: %s is %q", fd.Rule, fd.Status)
		}
	}
	// A new problem: a FrontendConfig that does not exist.
	f.mu.Lock()
	f.rewrite["acme-shop-prod"]["/apis/networking.k8s.io/v1/ingresses"] = func(body map[string]any) {
		for _, it := range body["items"].([]any) {
			meta := it.(map[string]any)["metadata"].(map[string]any)
			if meta["name"] == "promo" {
				ann := meta["annotations"].(map[string]any)
				delete(ann, "kubernetes.io/ingress.global-static-ip-name")
				ann["networking.gke.io/v1beta1.FrontendConfig"] = "promo-redirect"
			}
		}
	}
	f.mu.Unlock()
	env[0] = "CLOUD_RUN_EXECUTION=nightly-003"
	third := f.run(t, env, append(args[:len(args):len(args)], "--format", "table")...)
	if third.code != report.ExitFindings {
		t.Errorf("third run: exit %d, want 1 (a new error)", third.code)
	}
	if !strings.Contains(third.stdout, "Compared with the last run: 1 new finding, 0 resolved.") || !strings.Contains(third.stdout, "│    │ new      │") {
		t.Errorf("the table does not show what is new:\n%s", third.stdout)
	}
	b, _ = os.ReadFile(filepath.Join(out, "projects/acme-shop-prod/latest.json"))
	var latest struct {
		Findings []struct{ Rule, Status string }
		Resolved []any
	}
	json.Unmarshal(b, &latest)
	newOnes := 0
	for _, fd := range latest.Findings {
		if fd.Status == "new" {
			newOnes++
			if fd.Rule != "frontendconfig-missing" {
				t.Errorf("new in latest.json: %s", fd.Rule)
			}
		}
	}
	if newOnes != 1 || latest.Resolved == nil {
		t.Errorf("latest.json: %d new, resolved %v", newOnes, latest.Resolved)
	}
}

// TestFleetOutputToGCS writes the reports to fake-gcs-server, run
// in-process, through the real storage client.
// newFakeGCS starts fake-gcs-server in-process with one bucket.
func newFakeGCS(t *testing.T, bucket string) *fakestorage.Server {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Port: 0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
	return srv
}

func TestFleetOutputToGCS(t *testing.T) {
	t.Parallel()
	srv := newFakeGCS(t, "acme-lbdiag")
	f := newFakeFleet(t)
	env := []string{"STORAGE_EMULATOR_HOST=" + srv.URL(), "CLOUD_RUN_EXECUTION=exec-7", "CLOUD_RUN_TASK_INDEX=1", "CLOUD_RUN_TASK_COUNT=2"}
	res := f.run(t, env, "--organization", fleetOrg, "--format", "log", "--output", "gs://acme-lbdiag/reports", "--baseline", "auto")
	if res.code == report.ExitError {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	list, err := srv.ListObjectsWithOptionsPaginated("acme-lbdiag", fakestorage.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range list.Objects {
		names = append(names, o.Name)
	}
	sort.Strings(names)
	mine := (&shardOf{1, 2}).of(fleetProjects)
	want := []string{}
	for _, p := range mine {
		want = append(want, "reports/projects/"+p+"/latest.json", "reports/projects/"+p+"/runs/exec-7.json", "reports/projects/"+p+"/runs/exec-7.html")
	}
	want = append(want, "reports/runs/exec-7/shard-1-of-2.json", "reports/runs/exec-7/index.html", "reports/latest/index.html", "reports/latest/run.json")
	sort.Strings(want)
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("objects:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	obj, err := srv.GetObject("acme-lbdiag", "reports/runs/exec-7/shard-1-of-2.json")
	if err != nil || !bytes.Contains(obj.Content, []byte(`"runId": "exec-7"`)) {
		t.Errorf("shard summary: %s %v", obj.Content, err)
	}
	// The fleet page, of this shard only (shard 0 has not run), served as
	// HTML.
	obj, err = srv.GetObject("acme-lbdiag", "reports/runs/exec-7/index.html")
	if err != nil || obj.ContentType != "text/html; charset=utf-8" || !bytes.Contains(obj.Content, []byte("1 of 2 shards reported; not (yet) here: shard 0")) {
		t.Errorf("fleet page (%s): %.300s %v", obj.ContentType, obj.Content, err)
	}
}

// shardOf is the contract's assignment, written out independently of
// lbdiag's: sorted by ID in byte order, the k-th belongs to shard k mod n.
type shardOf struct{ i, n int }

func (s *shardOf) of(projects []string) []string {
	sorted := append([]string(nil), projects...)
	sort.Strings(sorted)
	var out []string
	for k, p := range sorted {
		if k%s.n == s.i {
			out = append(out, p)
		}
	}
	return out
}

// TestBaselineFile compares a single project with a saved report.
func TestBaselineFile(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	saved := runLbdiag(t, home, "inspect", "--demo", "--format", "json")
	path := filepath.Join(home, "yesterday.json")
	os.WriteFile(path, []byte(saved.stdout), 0o600)
	res := runLbdiag(t, home, "inspect", "--demo", "--format", "json", "--baseline", path)
	if res.code != report.ExitOK {
		t.Errorf("nothing new: exit %d, want 0: %s", res.code, res.stderr)
	}
	rep := parseReport(t, res.stdout)
	if len(rep.Findings) == 0 {
		t.Fatal("no findings")
	}
	var raw struct {
		Findings []struct{ Status string }
		Resolved []any
	}
	json.Unmarshal([]byte(res.stdout), &raw)
	for _, f := range raw.Findings {
		if f.Status != "ongoing" {
			t.Errorf("status %q", f.Status)
		}
	}
	if raw.Resolved == nil || len(raw.Resolved) != 0 {
		t.Errorf("resolved = %v", raw.Resolved)
	}
	// A baseline of another project, or not a report, is refused.
	os.WriteFile(path, []byte(strings.Replace(saved.stdout, `"project": "acme-shop-prod"`, `"project": "other"`, 1)), 0o600)
	if r := runLbdiag(t, home, "inspect", "--demo", "--baseline", path); r.code != report.ExitError || !strings.Contains(r.stderr, "not acme-shop-prod") {
		t.Errorf("baseline of another project: exit %d %s", r.code, r.stderr)
	}
	if r := runLbdiag(t, home, "inspect", "--demo", "--baseline", "auto"); r.code != report.ExitError || !strings.Contains(r.stderr, "--output") {
		t.Errorf("--baseline auto without --output: exit %d %s", r.code, r.stderr)
	}
}
