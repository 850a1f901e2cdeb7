package main

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/fixtures"
	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/internal/fakelogging"
	"github.com/lbdiag/lbdiag/report"
)

// binary is the lbdiag executable built once for the end-to-end tests.
var binary string

// dockerBuildFlags are the go build flags of deploy/cloud-run/Dockerfile.
var dockerBuildFlags = []string{"-trimpath", "-ldflags=-s -w"}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lbdiag-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "lbdiag")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	// The binary the Cloud Run image ships: static, no cgo, the flags of
	// deploy/cloud-run/Dockerfile (TestCloudRunJob checks both agree).
	build := exec.Command("go", append(append([]string{"build"}, dockerBuildFlags...), "-o", binary, ".")...)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building lbdiag:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const testToken = "ya29.e2e-test-token"

// fakeProject serves the demo recording the way Google's APIs would: a
// Compute Engine API, a GKE API whose clusters point at one TLS Kubernetes
// API server per cluster, and faults injected on top.
type fakeProject struct {
	t         *testing.T
	rec       *recording.Recording
	compute   *httptest.Server
	container *httptest.Server
	kube      map[string]*httptest.Server // by cluster name
	// logging is a Cloud Logging API holding the recording's log entries
	// as the real API returns them (client addresses, query strings),
	// moved by shift; logs counts its calls.
	logging  *httptest.Server
	logs     *fakelogging.Server
	logsOnce sync.Once

	mu     sync.Mutex
	hits   map[string]int // "api METHOD path?query" -> count
	noAuth []string       // requests without the expected bearer token
	// auths are the Authorization headers each host received.
	auths map[string][]string

	// faults: path suffix -> handler deciding the answer from the hit
	// count and the request; false means "serve the recording". The
	// suffix "*" matches every path of every API.
	faults map[string]func(hit int, w http.ResponseWriter, r *http.Request) bool
	// unreachable adds a cluster whose endpoint refuses connections.
	unreachable string
	// rewrite edits the JSON answers of paths ending in a key.
	rewrite map[string]func(body map[string]any)
	// shift moves the run's clock and every event the clusters serve by
	// the same amount: the outcome must not depend on the date.
	shift time.Duration
	// tokens are bearer tokens accepted besides testToken.
	tokens map[string]bool
	// realKube points clusters at real API servers instead of the fakes.
	realKube map[string]kubeEndpoint
	// replace rewrites the text of every Compute Engine answer.
	replace *strings.Replacer
	// kubeEdit edits the JSON answers of the clusters' API servers.
	kubeEdit func(api, path string, body map[string]any)
	// clusterEdit edits each cluster of clusters.list, after its endpoint
	// and CA point at its fake API server.
	clusterEdit func(cl map[string]any)
	// index, when set, answers Compute Engine gets and filtered lists.
	index *computeIndex
}

// kubeEndpoint is where a cluster's API server listens, and its CA.
type kubeEndpoint struct {
	host  string
	caPEM []byte
}

// now is the clock lbdiag runs with: the recording's time, shifted.
func (f *fakeProject) now() time.Time {
	return f.rec.Manifest.RecordedAt.Add(f.shift)
}

// shiftEvents moves the times of an event list by d, as if the controllers
// had written them d later.
func shiftEvents(body map[string]any, d time.Duration) {
	items, _ := body["items"].([]any)
	for _, it := range items {
		ev, _ := it.(map[string]any)
		for _, obj := range []map[string]any{ev, asMap(ev["metadata"]), asMap(ev["series"])} {
			for _, k := range []string{"lastTimestamp", "firstTimestamp", "eventTime", "lastObservedTime", "creationTimestamp"} {
				s, _ := obj[k].(string)
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					obj[k] = t.Add(d).Format(time.RFC3339Nano)
				}
			}
		}
	}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func newFakeProject(t *testing.T) *fakeProject {
	t.Helper()
	rec, err := recording.Load(fixtures.Demo())
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeProject{t: t, rec: rec, hits: map[string]int{}, kube: map[string]*httptest.Server{}, faults: map[string]func(int, http.ResponseWriter, *http.Request) bool{}}
	f.compute = serveHTTP(t, f.serve(recording.APICompute))
	f.container = serveHTTP(t, f.serveClusters())
	for _, cl := range []struct{ location, name string }{{"europe-west1", "shop-eu"}, {"us-central1-a", "ops-us"}} {
		f.kube[cl.name] = serveTLS(t, f.serve(recording.KubeAPI(cl.location, cl.name)))
	}
	f.logging = serveHTTP(t, f.serveLogging())
	return f
}

// serveHTTP and serveTLS start a loopback server closed when the test
// ends (a test may close it before).
func serveHTTP(t testing.TB, h http.Handler) *httptest.Server {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func serveTLS(t testing.TB, h http.Handler) *httptest.Server {
	s := httptest.NewTLSServer(h)
	t.Cleanup(s.Close)
	return s
}

func (f *fakeProject) serve(api string) http.Handler {
	rh := f.rec.Handler(api)
	// With gets on, Compute Engine answers gets and filtered lists from
	// every object of the recording (and those a test adds).
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if api == recording.APICompute && f.index != nil && f.index.serve(w, r) {
			return
		}
		rh.ServeHTTP(w, r)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := api + " " + r.Method + " " + r.URL.Path + "?" + recording.CanonicalQuery(r.URL.RawQuery)
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			key += " " + string(body)
		}
		hit, authorized, fault := f.arrive(key, r)
		if !authorized {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`)
			return
		}
		if fault != nil && fault(hit, w, r) {
			return
		}
		edits := map[string]func(map[string]any){}
		for k, v := range f.rewrite {
			edits[k] = v
		}
		if f.shift != 0 && strings.HasPrefix(api, "kubernetes/") {
			edits["/events"] = func(body map[string]any) { shiftEvents(body, f.shift) }
		}
		if f.kubeEdit != nil && strings.HasPrefix(api, "kubernetes/") {
			edits[""] = func(body map[string]any) { f.kubeEdit(api, r.URL.Path, body) }
		}
		if f.replace != nil && api == recording.APICompute {
			rw := httptest.NewRecorder()
			h.ServeHTTP(rw, r)
			w.Header().Set("Content-Type", rw.Header().Get("Content-Type"))
			w.WriteHeader(rw.Code)
			io.WriteString(w, f.replace.Replace(rw.Body.String()))
			return
		}
		for suffix, edit := range edits {
			if strings.HasSuffix(r.URL.Path, suffix) {
				rw := httptest.NewRecorder()
				h.ServeHTTP(rw, r)
				var body map[string]any
				if err := json.Unmarshal(rw.Body.Bytes(), &body); err != nil {
					f.t.Errorf("rewriting %s: %v", r.URL.Path, err)
				}
				edit(body)
				w.Header().Set("Content-Type", rw.Header().Get("Content-Type"))
				w.WriteHeader(rw.Code)
				json.NewEncoder(w).Encode(body)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// Client details the real request logs carry and lbdiag must drop.
const (
	logClientIP    = "203.0.113.77"
	logQuerySecret = "session=tok-5ecr3t-91"
)

// serveLogging answers entries.list over the recording's log entries,
// evaluating each query's filter, paging and all; faults apply as to the
// other APIs.
func (f *fakeProject) serveLogging() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.logsOnce.Do(func() {
			var entries []map[string]any
			for _, e := range f.rec.Manifest.Exchanges {
				if e.API != recording.APILogging {
					continue
				}
				b, err := fs.ReadFile(fixtures.Demo(), e.File)
				if err != nil {
					f.t.Error(err)
					continue
				}
				var page struct {
					Entries []map[string]any `json:"entries"`
				}
				json.Unmarshal(b, &page)
				for _, en := range page.Entries {
					if t, err := time.Parse(time.RFC3339Nano, en["timestamp"].(string)); err == nil {
						en["timestamp"] = t.Add(f.shift).Format(time.RFC3339Nano)
					}
					if h := asMap(en["httpRequest"]); h != nil {
						h["remoteIp"] = logClientIP
						h["requestUrl"] = h["requestUrl"].(string) + "?" + logQuerySecret
						asMap(en["jsonPayload"])["remoteIp"] = logClientIP
					}
					entries = append(entries, en)
				}
			}
			f.logs = fakelogging.New("acme-shop-prod", entries)
		})
		hit, _, fault := f.arrive("logging "+r.Method+" "+r.URL.Path, r)
		if fault != nil && fault(hit, w, r) {
			return
		}
		f.logs.ServeHTTP(w, r)
	})
}

// arrive counts a request under key, notes it when it lacks the bearer
// token, and returns its hit count and the fault that applies to it.
func (f *fakeProject) arrive(key string, r *http.Request) (hit int, authorized bool, fault func(int, http.ResponseWriter, *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[key]++
	if f.auths == nil {
		f.auths = map[string][]string{}
	}
	f.auths[r.Host] = append(f.auths[r.Host], r.Header.Get("Authorization"))
	authorized = r.Header.Get("Authorization") == "Bearer "+testToken || f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	if !authorized {
		f.noAuth = append(f.noAuth, key)
	}
	for suffix, fn := range f.faults {
		if strings.HasSuffix(r.URL.Path, suffix) || suffix == "*" {
			fault = fn
		}
	}
	return f.hits[key], authorized, fault
}

// serveClusters answers clusters.list from the recording, pointing each
// cluster at its fake API server and CA, and adds the unreachable cluster.
func (f *fakeProject) serveClusters() http.Handler {
	inner := f.serve(recording.APIContainer)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := httptest.NewRecorder()
		inner.ServeHTTP(rw, r)
		if rw.Code != http.StatusOK {
			for k, v := range rw.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rw.Code)
			w.Write(rw.Body.Bytes())
			return
		}
		var body map[string]any
		if err := json.Unmarshal(rw.Body.Bytes(), &body); err != nil {
			f.t.Errorf("clusters.list body: %v", err)
		}
		clusters := body["clusters"].([]any)
		for _, c := range clusters {
			cl := c.(map[string]any)
			ep, ok := f.realKube[cl["name"].(string)]
			if !ok {
				srv := f.kube[cl["name"].(string)]
				ep = kubeEndpoint{host: strings.TrimPrefix(srv.URL, "https://"), caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})}
			}
			cl["endpoint"] = ep.host
			auth, _ := cl["masterAuth"].(map[string]any)
			if auth == nil {
				auth = map[string]any{}
				cl["masterAuth"] = auth
			}
			auth["clusterCaCertificate"] = base64.StdEncoding.EncodeToString(ep.caPEM)
			if f.clusterEdit != nil {
				f.clusterEdit(cl)
			}
		}
		if f.unreachable != "" {
			// A copy of a real cluster whose endpoint refuses connections.
			b, _ := json.Marshal(clusters[0])
			var dead map[string]any
			json.Unmarshal(b, &dead)
			dead["name"], dead["location"], dead["zone"] = "legacy-eu", "europe-west4", "europe-west4"
			dead["selfLink"] = "https://container.googleapis.com/v1/projects/acme-shop-prod/locations/europe-west4/clusters/legacy-eu"
			dead["endpoint"] = f.unreachable
			// Its private endpoint does not answer either (lbdiag runs
			// outside the VPC).
			dead["privateClusterConfig"] = map[string]any{"privateEndpoint": f.unreachable}
			body["clusters"] = append(clusters, dead)
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		json.NewEncoder(w).Encode(body)
	})
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

type runResult struct {
	code           int
	stdout, stderr string
	// args are the arguments lbdiag ran with.
	args []string
}

// run executes lbdiag against the fake project with a clean environment:
// no credentials but the token file, no gcloud configuration, and a
// metadata server address that refuses connections.
func (f *fakeProject) run(t *testing.T, args ...string) runResult {
	t.Helper()
	return f.runEnv(t, nil, args...)
}

// runEnv is run with more environment variables.
func (f *fakeProject) runEnv(t *testing.T, env []string, args ...string) runResult {
	t.Helper()
	return f.runAs(t, testToken, env, args...)
}

// runAs is runEnv with another access token.
func (f *fakeProject) runAs(t *testing.T, token string, env []string, args ...string) runResult {
	t.Helper()
	return f.runCommand(t, "inspect", token, env, args...)
}

// runCommand runs an lbdiag command (inspect, trace) against the fake
// project.
func (f *fakeProject) runCommand(t *testing.T, command, token string, env []string, args ...string) runResult {
	t.Helper()
	dir := t.TempDir()
	t.Cleanup(func() {
		// lbdiag writes nothing but what it was asked to.
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Name() != "token" {
				t.Errorf("lbdiag left %s in its working directory", e.Name())
			}
		}
	})
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte(token+"\n"), 0o600)
	base := []string{command, "--project", "acme-shop-prod",
		"--compute-endpoint", f.compute.URL + "/compute/v1/",
		"--container-endpoint", f.container.URL + "/",
		"--logging-endpoint", f.logging.URL + "/",
		"--access-token-file", tokenFile, "--now", f.now().Format(time.RFC3339)}
	// No test asks the system's resolver: an inspect without --resolver
	// or --no-dns asks a loopback server that knows no name (NXDOMAIN).
	if command == "inspect" && !slices.Contains(args, "--resolver") && !slices.Contains(args, "--no-dns") {
		base = append(base, "--resolver", serveZone(t, nil).addr)
	}
	return runLbdiagEnv(t, dir, env, append(base, args...)...)
}

func runLbdiag(t *testing.T, home string, args ...string) runResult {
	t.Helper()
	return runLbdiagEnv(t, home, nil, args...)
}

// runLbdiagEnv is runLbdiag with more environment variables.
func runLbdiagEnv(t *testing.T, home string, env []string, args ...string) runResult {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = home
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "CLOUDSDK_CONFIG=" + filepath.Join(home, "gcloud"),
		"GCE_METADATA_HOST=127.0.0.1:9", "NO_COLOR=1", "TZ=UTC"}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return runResult{code: code, stdout: stdout.String(), stderr: stderr.String(), args: args}
}

type jsonReport struct {
	SchemaVersion int    `json:"schemaVersion"`
	Project       string `json:"project"`
	Coverage      []struct {
		Source, Scope, Status, Detail, Error, Hint string
	} `json:"coverage"`
	Findings []struct {
		Rule, Severity, Message, Remediation string
		Resource                             struct{ Kind, Project, Location, Cluster, Namespace, Name string }
		Evidence                             map[string]any
	} `json:"findings"`
}

func parseReport(t *testing.T, out string) jsonReport {
	t.Helper()
	return decodeOutput[jsonReport](t, out)
}

func findingKeys(r jsonReport) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Rule+" "+f.Resource.Kind+" "+f.Resource.Cluster+"/"+f.Resource.Namespace+"/"+f.Resource.Name)
	}
	sort.Strings(out)
	return out
}

func gap(r jsonReport, source, scope string) (status, errText, hint string) {
	for _, c := range r.Coverage {
		if c.Source == source && c.Scope == scope {
			return c.Status, c.Error, c.Hint
		}
	}
	return "", "", ""
}

// TestLiveRunAgainstFakeAPIs runs the binary in live mode against loopback
// Compute Engine, GKE and Kubernetes APIs, with a 403 on one collection, a
// 429 before success, multi-page lists and a cluster that cannot be reached.
func TestLiveRunAgainstFakeAPIs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		shift time.Duration
	}{
		{"at the recording's time", 0},
		// Years later, with events as fresh relative to the clock.
		{"seven years ahead", 7*365*24*time.Hour + 13*time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testLiveRun(t, tc.shift)
		})
	}
}

func testLiveRun(t *testing.T, shift time.Duration) {
	f := newFakeProject(t)
	f.shift = shift
	f.unreachable = closedPort(t)
	f.faults["/aggregated/securityPolicies"] = func(hit int, w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"error":{"code":403,"message":"Required 'compute.securityPolicies.list' permission for 'projects/acme-shop-prod'","errors":[{"message":"Required 'compute.securityPolicies.list' permission for 'projects/acme-shop-prod'","domain":"global","reason":"forbidden"}]}}`)
		return true
	}
	f.faults["/aggregated/backendServices"] = func(hit int, w http.ResponseWriter, r *http.Request) bool {
		if hit > 1 {
			return false
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"error":{"code":429,"message":"Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'compute.googleapis.com' for consumer 'project_number:482913376015'.","errors":[{"message":"Quota exceeded","domain":"global","reason":"rateLimitExceeded"}],"status":"RESOURCE_EXHAUSTED"}}`)
		return true
	}

	res := f.run(t, "--format", "json", "--logs", "1h")
	if res.code != report.ExitFindings {
		t.Fatalf("exit code %d, want %d; stderr: %s", res.code, report.ExitFindings, res.stderr)
	}
	rep := parseReport(t, res.stdout)
	if rep.SchemaVersion != 1 || rep.Project != "acme-shop-prod" {
		t.Errorf("report header: %+v", rep)
	}
	want := []string{
		"allow-http-unparsable Ingress shop-eu/shop/promo",
		"backend-unhealthy BackendService //k8s1-4f7d2b91-shop-checkout-8080-5d03f6e2", // getHealth, a read-only POST
		"backendconfig-missing Service ops-us/ops/admin-ui",                            // from the second page of the Service list
		"backendconfig-missing Service shop-eu/shop/frontend",                          // a BackendConfig in another namespace
		"ingress-tls-secret-name-missing Ingress shop-eu/shop/promo",
		"l4-service-pending Service ops-us/ops/status-page", // with its service-controller events
		// The checkout's timeouts, which no configuration rule explains.
		"lb-traffic-errors BackendService //k8s1-4f7d2b91-shop-checkout-8080-5d03f6e2",
		"managed-certificate-missing Ingress shop-eu/shop/promo",
		"neg-drain-timeout-unset BackendService //k8s1-4f7d2b91-shop-frontend-80-1c2e9a7b",
		"neg-drain-timeout-unset BackendService //k8s1-4f7d2b91-shop-orders-api-80-9b71c4d0",
		"neg-drain-timeout-unset Service ops-us/ops/grafana",
		"prestop-hook-missing Deployment ops-us/ops/admin-ui",
		"prestop-hook-missing Deployment ops-us/ops/grafana",
		"prestop-hook-missing Deployment shop-eu/shop/frontend",
		"prestop-shorter-than-drain Deployment shop-eu/shop/checkout",
		"proxy-only-firewall-missing Ingress shop-eu/shop/internal-api", // evaluated over the effective firewalls
		"proxy-only-subnet-missing Gateway ops-us/ops/internal-gw",
		"proxy-only-subnet-missing Ingress ops-us/ops/admin",
		"readiness-probe-health-check-mismatch Service shop-eu/shop/frontend",
		"readiness-probe-health-check-mismatch Service shop-eu/shop/orders-api",
		"static-ip-in-use Ingress shop-eu/shop/promo",
		// No lb-resource-orphaned: with legacy-eu unreachable it cannot be
		// decided, and the coverage says so.
	}
	if got := findingKeys(rep); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The controllers' events are folded into the findings that explain them.
	for _, f := range rep.Findings {
		if f.Rule == "backendconfig-missing" && f.Resource.Name == "frontend" {
			evs, _ := f.Evidence["lb-sync-error"].([]any)
			if len(evs) != 1 || !strings.Contains(fmt.Sprint(evs[0]), "no BackendConfig for service port exists") {
				t.Errorf("the Translate event is not attached: %v", f.Evidence)
			}
		}
	}
	// The scale-down's 502s in the load balancer's logs are the evidence
	// of the missing drain; what identifies the clients is gone.
	for _, f := range rep.Findings {
		if f.Rule == "neg-drain-timeout-unset" && f.Resource.Name == "k8s1-4f7d2b91-shop-frontend-80-1c2e9a7b" {
			evs, _ := f.Evidence["lb-traffic-errors"].([]any)
			if len(evs) != 1 || !strings.Contains(fmt.Sprint(evs[0]), "count:23") || !strings.Contains(f.Message, "— logs: 23× 502 backend_connection_closed_before_data_sent_to_client in the last hour") {
				t.Errorf("the 502s are not linked to the drain finding: %s %v", f.Message, f.Evidence)
			}
		}
	}
	if strings.Contains(res.stdout, logClientIP) || strings.Contains(res.stdout, logQuerySecret) {
		t.Error("the report keeps a client address or a query string of the request logs")
	}
	// The policy list was forbidden: no finding claims a policy is missing,
	// and the gap says why and what to grant.
	status, errText, hint := gap(rep, "compute.securityPolicies", "projects/acme-shop-prod")
	if status != "error" || !strings.Contains(errText, "403") || !strings.Contains(hint, "compute.securityPolicies.list") || !strings.Contains(hint, "roles/compute.viewer") {
		t.Errorf("securityPolicies coverage: %s %q %q", status, errText, hint)
	}
	if status, _, _ := gap(rep, "compute.backendServices", "projects/acme-shop-prod"); status != "ok" {
		t.Errorf("backendServices after a 429: %s", status)
	}
	status, errText, hint = gap(rep, "kubernetes.api", "projects/acme-shop-prod/locations/europe-west4/clusters/legacy-eu")
	if status != "error" || !strings.Contains(errText, "connection refused") || !strings.Contains(hint, "the public endpoint refused the connection") ||
		!strings.Contains(hint, "answers only inside the cluster's VPC") || !strings.Contains(hint, "--enable-dns-access") || strings.Contains(hint, "down") {
		t.Errorf("unreachable cluster coverage: %s %q %q", status, errText, hint)
	}
	if status, errText, _ := gap(rep, "inspect.lb-resource-orphaned", "projects/acme-shop-prod"); status != "unknown" || !strings.Contains(errText, "legacy-eu") {
		t.Errorf("orphan check with an unreachable cluster: %s %q", status, errText)
	}
	for _, c := range rep.Coverage {
		if c.Status != "ok" && c.Source != "compute.securityPolicies" && c.Source != "inspect.lb-resource-orphaned" && !strings.Contains(c.Scope, "legacy-eu") {
			t.Errorf("unexpected gap: %+v", c)
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.noAuth) > 0 {
		t.Errorf("requests without the bearer token: %v", f.noAuth)
	}
	pages, healthCalls := 0, 0
	for key, n := range f.hits {
		if strings.Contains(key, "/getHealth") {
			healthCalls++
		}
		want := 1
		if strings.Contains(key, "/aggregated/backendServices") {
			want = 2 // the 429, then the answer
		}
		if strings.Contains(key, "/aggregated/securityPolicies") {
			want = 1 // a 403 is final
		}
		if strings.HasPrefix(key, "logging ") {
			want = 4 // two request-log queries, one of probe logs, one of audit logs (--logs implies --changes 7d)
		}
		if n != want {
			t.Errorf("%s requested %d times, want %d", key, n, want)
		}
		if strings.Contains(key, "pageToken=") || strings.Contains(key, "continue=") {
			pages++
		}
	}
	// One getHealth per backend group of each backend service serving an
	// Ingress or Gateway: 4 backend services in 3 zones.
	if healthCalls != 12 {
		t.Errorf("getHealth calls: %d, want 12", healthCalls)
	}
	if pages != 3 {
		t.Errorf("second pages read: %d, want 3 (firewalls, subnetworks, ops-us Services)", pages)
	}
}

// TestExitCodes checks the documented exit status of each outcome.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	f := newFakeProject(t)
	f.unreachable = closedPort(t)

	if res := f.run(t, "--fail-on", "none"); res.code != report.ExitOK {
		t.Errorf("--fail-on none: exit %d", res.code)
	}
	// Only the unreachable cluster: nothing found, but not everything read.
	res := f.run(t, "--cluster", "legacy-eu", "--format", "json")
	if res.code != report.ExitIncomplete {
		t.Errorf("incomplete coverage: exit %d, want %d; %s", res.code, report.ExitIncomplete, res.stderr)
	}
	if rep := parseReport(t, res.stdout); len(rep.Findings) != 0 {
		t.Errorf("findings for an unreachable cluster: %v", findingKeys(rep))
	}
	// One reachable cluster, read completely, without error findings at
	// or above --fail-on... its proxy-only findings are errors: exit 1.
	if res := f.run(t, "--cluster", "us-central1-a/ops-us", "--fail-on", "error"); res.code != report.ExitFindings {
		t.Errorf("findings: exit %d, want %d", res.code, report.ExitFindings)
	}
	if res := f.run(t, "--cluster", "no-such-cluster"); res.code != report.ExitError || !strings.Contains(res.stderr, "legacy-eu") {
		t.Errorf("unknown cluster: exit %d, stderr %q", res.code, res.stderr)
	}
	if res := f.run(t, "--format", "yaml"); res.code != report.ExitError || !strings.Contains(res.stderr, "--format") {
		t.Errorf("bad format: exit %d, stderr %q", res.code, res.stderr)
	}
	if res := f.run(t, "--fail-on", "bogus"); res.code != report.ExitError || !strings.Contains(res.stderr, "none") {
		t.Errorf("bad --fail-on: exit %d, stderr %q (must list none too)", res.code, res.stderr)
	}
	for _, flag := range []string{"--container-endpoint", "--compute-endpoint"} {
		if res := f.run(t, flag, "not-a-url"); res.code != report.ExitError || !strings.Contains(res.stderr, flag) {
			t.Errorf("%s not-a-url: exit %d, stderr %q", flag, res.code, res.stderr)
		}
	}
	// No project anywhere: a one-line error naming the flag.
	res = runLbdiag(t, t.TempDir(), "inspect")
	if res.code != report.ExitError || !strings.Contains(res.stderr, "--project") || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
		t.Errorf("no project: exit %d, stderr %q", res.code, res.stderr)
	}
}

// TestRecordAndReplay records a live run and replays it offline: same
// findings and coverage, and no network.
func TestRecordAndReplay(t *testing.T) {
	t.Parallel()
	f := newFakeProject(t)
	dir := filepath.Join(t.TempDir(), "rec")
	live := f.run(t, "--format", "json", "--record", dir, "--logs", "1h")
	if live.code != report.ExitFindings {
		t.Fatalf("live: exit %d: %s", live.code, live.stderr)
	}
	// Close every server: the replay must not need them.
	f.compute.Close()
	f.container.Close()
	f.logging.Close()
	for _, s := range f.kube {
		s.Close()
	}
	replayed := runLbdiag(t, t.TempDir(), "inspect", "--replay", dir, "--format", "json")
	if replayed.code != live.code {
		t.Fatalf("replay: exit %d, want %d: %s", replayed.code, live.code, replayed.stderr)
	}
	a, b := parseReport(t, live.stdout), parseReport(t, replayed.stdout)
	if strings.Join(findingKeys(a), "|") != strings.Join(findingKeys(b), "|") {
		t.Errorf("replayed findings differ:\n%v\n%v", findingKeys(a), findingKeys(b))
	}
	ja, _ := json.Marshal(a.Coverage)
	jb, _ := json.Marshal(b.Coverage)
	if !bytes.Equal(ja, jb) {
		t.Errorf("replayed coverage differs:\n%s\n%s", ja, jb)
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		t.Error(err)
	}
	// The recorded logs replay with their window, without --logs.
	if !strings.Contains(replayed.stdout, `"lb-traffic-errors"`) || !strings.Contains(replayed.stdout, `"logging.requests"`) {
		t.Error("the replay lost the logs")
	}
}

// TestDemoAndOtherCommands covers the offline commands and the other
// formats.
func TestDemoAndOtherCommands(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	res := runLbdiag(t, home, "inspect", "--demo")
	if res.code != report.ExitFindings || !strings.Contains(res.stdout, "backendconfig-missing") || !strings.Contains(res.stdout, "11 errors, 11 warnings, 1 info finding") {
		t.Errorf("demo table: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if strings.Contains(res.stdout, "\x1b[") {
		t.Error("colours without a terminal")
	}
	// JSON and CSV keep & < > as they are: commands stay readable.
	res = runLbdiag(t, home, "inspect", "--demo", "--format", "json")
	if !strings.Contains(res.stdout, "--project acme-shop-prod && kubectl annotate") || strings.Contains(res.stdout, `\u0026`) {
		t.Errorf("JSON escapes & or lost the static-ip fix")
	}
	res = runLbdiag(t, home, "inspect", "--demo", "--format", "csv")
	if strings.Contains(res.stdout, `\u0026`) {
		t.Errorf("CSV escapes &")
	}
	rows, err := csv.NewReader(strings.NewReader(res.stdout)).ReadAll()
	if err != nil || len(rows) != 24 || rows[0][0] != "severity" || rows[1][1] == "" {
		t.Errorf("demo CSV: %v, %d rows", err, len(rows))
	}
	res = runLbdiag(t, home, "rules")
	for _, id := range []string{"backendconfig-missing", "security-policy-missing", "proxy-only-subnet-missing"} {
		if !strings.Contains(res.stdout, id) {
			t.Errorf("rules does not list %s:\n%s", id, res.stdout)
		}
	}
	res = runLbdiag(t, home, "explain", "proxy-only-subnet-missing")
	if res.code != 0 || !strings.Contains(res.stdout, "Why it matters") || !strings.Contains(res.stdout, "--purpose=REGIONAL_MANAGED_PROXY") {
		t.Errorf("explain: exit %d\n%s", res.code, res.stdout)
	}
	if res := runLbdiag(t, home, "explain", "neg-drain-timeout-unset"); !strings.Contains(res.stdout, "GCPBackendPolicy") || !strings.Contains(res.stdout, "BackendConfig") {
		t.Errorf("explain neg-drain-timeout-unset must cover Ingresses and Gateways:\n%s", res.stdout)
	}
	if res := runLbdiag(t, home, "explain", "no-such-rule"); res.code != report.ExitError {
		t.Errorf("explain unknown rule: exit %d", res.code)
	}
	if res := runLbdiag(t, home, "version"); res.code != 0 || !strings.HasPrefix(res.stdout, "lbdiag ") {
		t.Errorf("version: %q", res.stdout)
	}
	if res := runLbdiag(t, home, "inspect", "--demo", "--project", "someone-else"); res.code != report.ExitError {
		t.Errorf("demo with another project: exit %d", res.code)
	}
	if res := runLbdiag(t, home, "inspect", "--demo", "--logs", "25h"); res.code != report.ExitError || !strings.Contains(res.stderr, "up to 24h") {
		t.Errorf("--logs 25h: exit %d: %s", res.code, res.stderr)
	}
}

// TestDemoFixesPaste checks, at every width and through a pipe, that every
// line of every fix of the demo appears in the table output as a whole
// line, byte for byte, leading spaces included: a fix can be copied and
// pasted as it is.
func TestDemoFixesPaste(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	js := runLbdiag(t, home, "inspect", "--demo", "--format", "json")
	rep := parseReport(t, js.stdout)
	if len(rep.Findings) == 0 {
		t.Fatal("the demo has no findings")
	}
	for _, cols := range []string{"80", "120", "160", "200", ""} {
		var env []string
		if cols != "" {
			env = []string{"COLUMNS=" + cols}
		}
		res := runLbdiagEnv(t, home, env, "inspect", "--demo")
		lines := map[string]bool{}
		for _, l := range strings.Split(res.stdout, "\n") {
			lines[l] = true
		}
		for _, f := range rep.Findings {
			for _, l := range strings.Split(f.Remediation, "\n") {
				if !lines[l] {
					t.Errorf("COLUMNS=%q: fix line of %s on %s is not printed whole: %q", cols, f.Rule, f.Resource.Name, l)
				}
			}
		}
	}
	// An absurd width is capped: no megabytes of padding.
	res := runLbdiagEnv(t, home, []string{"COLUMNS=100000"}, "inspect", "--demo")
	if len(res.stdout) > 64<<10 {
		t.Errorf("COLUMNS=100000 printed %d bytes", len(res.stdout))
	}
}

// TestEndpointOverridesFromEnvironment: gcloud's endpoint override
// variables point lbdiag at the APIs, as the flags do.
func TestEndpointOverridesFromEnvironment(t *testing.T) {
	t.Parallel()
	f := newFakeProject(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte(testToken+"\n"), 0o600)
	env := []string{"CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE=" + f.compute.URL + "/compute/v1/",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER=" + f.container.URL + "/",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING=" + f.logging.URL + "/"}
	res := runLbdiagEnv(t, dir, env, "inspect", "--project", "acme-shop-prod", "--access-token-file", tokenFile,
		"--now", f.now().Format(time.RFC3339), "--logs", "1h", "--format", "json", "--no-dns")
	if res.code != report.ExitFindings {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	rep := parseReport(t, res.stdout)
	if len(rep.Coverage) == 0 {
		t.Fatal("no coverage")
	}
	for _, c := range rep.Coverage {
		if c.Status != "ok" && c.Status != "skipped" {
			t.Errorf("gap: %+v", c)
		}
	}
	if hitsOf(f, "entries:list") != 4 || !strings.Contains(res.stdout, `"lb-traffic-errors"`) {
		t.Errorf("the logging override was not used: %d calls", hitsOf(f, "entries:list"))
	}
}

// decodeOutput decodes a command's JSON output into T, the fields a test
// pins, or fails the test with the output.
func decodeOutput[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("the output is not the JSON expected: %v\n%.2000s", err, out)
	}
	return v
}

// TestHeapProfile: --heap-profile writes a heap profile once the rules
// have run (a gzipped pprof protobuf); one it cannot write is said on
// stderr, and the run's result stands.
func TestHeapProfile(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	path := filepath.Join(home, "heap.pprof")
	res := runLbdiag(t, home, "inspect", "--demo", "--format", "json", "--now", "2026-11-30T12:00:00Z", "--heap-profile", path)
	if res.code != 1 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if b := gunzipFile(t, path); !bytes.Contains(b, []byte("inuse_space")) {
		t.Fatalf("not a heap profile: %d bytes", len(b))
	}
	bad := runLbdiag(t, home, "inspect", "--demo", "--format", "json", "--heap-profile", filepath.Join(home, "no", "such", "dir", "heap.pprof"))
	if bad.code != 1 || !strings.Contains(bad.stderr, "lbdiag: --heap-profile:") || !strings.Contains(bad.stdout, `"findings"`) {
		t.Fatalf("exit %d, stderr %q", bad.code, bad.stderr)
	}
}
