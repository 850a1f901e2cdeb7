package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/report"
)

// iamPermissions maps one request lbdiag sent to the IAM permissions it
// needs, from the APIs' reference pages (each method's "IAM Permissions"
// section). ok is false for a request the table does not know: the test
// must learn every call lbdiag makes.
func iamPermissions(api, method, path string) (perms []string, ok bool) {
	var (
		computeColl   = regexp.MustCompile(`^/compute/v1/projects/[^/]+/(?:aggregated|global)/([A-Za-z]+)$`)
		effective     = regexp.MustCompile(`^/compute/v1/projects/[^/]+/global/networks/[^/]+/getEffectiveFirewalls$`)
		health        = regexp.MustCompile(`^/compute/v1/projects/[^/]+/global/backendServices/[^/]+/getHealth$`)
		regionHealth  = regexp.MustCompile(`^/compute/v1/projects/[^/]+/regions/[^/]+/backendServices/[^/]+/getHealth$`)
		computeGet    = regexp.MustCompile(`^/compute/v1/projects/[^/]+/(global|regions/[^/]+|zones/[^/]+)/([A-Za-z]+)/[^/]+$`)
		computeProj   = regexp.MustCompile(`^/compute/v1/projects/[^/]+$`)
		computeRegion = regexp.MustCompile(`^/compute/v1/projects/[^/]+/regions$`)
		clusters      = regexp.MustCompile(`^/v1/projects/[^/]+/locations/-/clusters$`)
	)
	switch {
	case api == recording.APICompute && method == http.MethodGet && computeColl.MatchString(path):
		return []string{"compute." + computeColl.FindStringSubmatch(path)[1] + ".list"}, true
	case api == recording.APICompute && method == http.MethodGet && computeGet.MatchString(path):
		// A get by name (a trace): compute.<collection>.get for global
		// and zonal resources, compute.region<Collection>.get for
		// regional ones, compute.globalNetworkEndpointGroups.get for
		// global NEGs.
		m := computeGet.FindStringSubmatch(path)
		coll := m[2]
		switch {
		case strings.HasPrefix(m[1], "regions/") && coll == "instanceGroups":
			// regionInstanceGroups.get needs compute.instanceGroups.get.
		case strings.HasPrefix(m[1], "regions/"):
			coll = "region" + strings.ToUpper(coll[:1]) + coll[1:]
		case m[1] == "global" && coll == "networkEndpointGroups":
			coll = "globalNetworkEndpointGroups"
		}
		return []string{"compute." + coll + ".get"}, true
	case api == recording.APICompute && method == http.MethodGet && effective.MatchString(path):
		return []string{"compute.networks.getEffectiveFirewalls"}, true
	case api == recording.APICompute && method == http.MethodPost && health.MatchString(path):
		return []string{"compute.backendServices.get"}, true
	case api == recording.APICompute && method == http.MethodPost && regionHealth.MatchString(path):
		return []string{"compute.regionBackendServices.get"}, true
	case api == recording.APICompute && method == http.MethodGet && computeProj.MatchString(path):
		return []string{"compute.projects.get"}, true
	case api == recording.APICompute && method == http.MethodGet && computeRegion.MatchString(path):
		return []string{"compute.regions.list"}, true
	case api == recording.APIContainer && method == http.MethodGet && clusters.MatchString(path):
		return []string{"container.clusters.list"}, true
	case strings.HasPrefix(api, "kubernetes/"):
		// A Google identity authenticates to a cluster's API server with
		// container.clusters.get; what it may read there is RBAC's
		// (deploy/rbac.yaml) or the container.* object permissions.
		return []string{"container.clusters.get"}, true
	case api == "crm" && method == http.MethodGet && path == "/v3/projects":
		return []string{"resourcemanager.projects.list"}, true
	case api == "crm" && method == http.MethodGet && strings.HasPrefix(path, "/v3/projects/") && strings.Count(path, "/") == 3:
		return []string{"resourcemanager.projects.get"}, true
	case api == "crm" && method == http.MethodGet && path == "/v3/folders":
		return []string{"resourcemanager.folders.list"}, true
	case api == recording.APILogging && method == http.MethodPost && path == "/v2/entries:list":
		return []string{"logging.logEntries.list"}, true
	case api == recording.APIMonitoring && method == http.MethodGet && regexp.MustCompile(`^/v3/projects/[^/]+/timeSeries$`).MatchString(path):
		return []string{"monitoring.timeSeries.list"}, true
	case api == recording.APICertificateManager && method == http.MethodGet && strings.HasSuffix(path, "/locations/global/certificateMaps"):
		return []string{"certificatemanager.certmaps.list"}, true
	case api == recording.APIRecommender && method == http.MethodGet &&
		regexp.MustCompile(`^/v1/projects/[^/]+/locations/[^/]+/insightTypes/google\.networkanalyzer\.networkservices\.loadBalancerInsight/insights$`).MatchString(path):
		return []string{"recommender.networkAnalyzerLoadBalancerInsights.list"}, true
	}
	return nil, false
}

// pathPermissions are the IAM permissions of the paths to a cluster other
// than its IP endpoints (which need container.clusters.get), which
// TestReachClusters exercises: lbdiag sends them only when a cluster needs
// that path.
var pathPermissions = map[string][]string{
	"dns":             {"container.clusters.connect"},
	"connect-gateway": {"gkehub.gateway.get", "resourcemanager.projects.get"}, // the fleet project's number, when the membership names its ID
}

// traceOnlyPermissions are what a trace gets by name that no test project
// has: instance-group backends (zonal or regional, both
// compute.instanceGroups.get), regional and global NEGs (serverless,
// internet, Private Service Connect), and the HTTPS proxies and
// certificates of regional load balancers.
// gatewayCertMapPermissions are read only when a Gateway names a
// Certificate Manager map (TestGatewayReferences).
var gatewayCertMapPermissions = []string{"certificatemanager.certmaps.list"}

// networkAnalyzerPermissions are read only with --network-analyzer
// (TestNetworkAnalyzerE2E): insights.list, and .get, which Network
// Analyzer's documentation lists with it for the insight type and which
// the findings' gcloud recommender insights describe needs.
var networkAnalyzerPermissions = []string{"recommender.networkAnalyzerLoadBalancerInsights.list", "recommender.networkAnalyzerLoadBalancerInsights.get"}

var traceOnlyPermissions = []string{"compute.instanceGroups.get", "compute.regionNetworkEndpointGroups.get", "compute.globalNetworkEndpointGroups.get",
	"compute.regionTargetHttpsProxies.get", "compute.regionSslCertificates.get"}

// rolePermissions reads deploy/iam-role.yaml's permissions.
func rolePermissions(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../deploy/iam-role.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var role struct {
		IncludedPermissions []string `json:"includedPermissions"`
	}
	if err := yaml.Unmarshal(raw, &role); err != nil {
		t.Fatal(err)
	}
	return role.IncludedPermissions
}

// gcsLog is a proxy in front of fake-gcs-server that derives the storage
// permissions of what passes: reading an object, creating one, and
// replacing one (which also needs storage.objects.delete).
type gcsLog struct {
	mu      sync.Mutex
	perms   map[string]bool
	unknown []string
	exists  func(name string) bool
}

var (
	gcsGet     = regexp.MustCompile(`^/(?:storage/v1/b/[^/]+/o/(.+)|download/storage/v1/b/[^/]+/o/(.+)|[^/]+/(.+))$`)
	gcsUpload  = regexp.MustCompile(`^/upload/storage/v1/b/[^/]+/o$`)
	objectName = regexp.MustCompile(`"name":\s*"([^"]+)"`)
)

func (g *gcsLog) handler(target string) http.Handler {
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		switch {
		case r.Method == http.MethodPost && gcsUpload.MatchString(r.URL.Path):
			g.perms["storage.objects.create"] = true
			// The object's name is in the query or, for a multipart
			// upload, in the metadata part of the body.
			name := r.URL.Query().Get("name")
			if name == "" {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				if m := objectName.FindSubmatch(body); m != nil {
					name = string(m[1])
				}
			}
			if name == "" {
				g.unknown = append(g.unknown, "an upload without an object name")
			} else if g.exists(name) {
				g.perms["storage.objects.delete"] = true // replacing an object
			}
		case r.Method == http.MethodGet && gcsGet.MatchString(r.URL.Path):
			g.perms["storage.objects.get"] = true
		default:
			g.unknown = append(g.unknown, r.Method+" "+r.URL.String())
		}
		g.mu.Unlock()
		rp.ServeHTTP(w, r)
	})
}

// TestIAMRoleMatchesCalls derives the IAM permissions lbdiag needs from
// every request of a fleet run (Resource Manager, then Compute Engine, GKE,
// Cloud Logging and every cluster of each project, reports and baselines
// in Cloud Storage, run twice so that the second replaces the first's latest.json)
// and fails when deploy/iam-role.yaml misses one or grants one nothing
// uses.
func TestIAMRoleMatchesCalls(t *testing.T) {
	t.Parallel()
	srv := newFakeGCS(t, "acme-lbdiag")
	logged := &gcsLog{perms: map[string]bool{}, exists: func(name string) bool {
		_, err := srv.GetObject("acme-lbdiag", name)
		return err == nil
	}}
	proxy := httptest.NewServer(logged.handler(srv.URL()))
	defer proxy.Close()

	f := newFakeFleet(t)
	env := []string{"STORAGE_EMULATOR_HOST=" + proxy.URL, "CLOUD_RUN_EXECUTION=exec-1"}
	for run := range 2 {
		res := f.run(t, env, "--organization", fleetOrg, "--format", "json", "--health", "all", "--logs", "1h", "--metrics", "1h", "--output", "gs://acme-lbdiag/reports", "--baseline", "auto")
		if res.code == report.ExitError {
			t.Fatalf("run %d: exit %d: %s", run, res.code, res.stderr)
		}
		env[1] = "CLOUD_RUN_EXECUTION=exec-2"
	}

	used := map[string][]string{} // permission -> an example request
	f.mu.Lock()
	for _, req := range f.requests {
		api, rest, _ := strings.Cut(req, " ")
		path, _, _ := strings.Cut(rest, "?")
		method := http.MethodGet
		if strings.HasSuffix(path, "/getHealth") || api == recording.APILogging {
			method = http.MethodPost
		}
		perms, ok := iamPermissions(api, method, path)
		if !ok {
			t.Errorf("no IAM permission known for %s %s %s: add it to iamPermissions", api, method, path)
		}
		for _, p := range perms {
			if len(used[p]) < 1 {
				used[p] = append(used[p], req)
			}
		}
	}
	f.mu.Unlock()
	logged.mu.Lock()
	for p := range logged.perms {
		used[p] = append(used[p], "Cloud Storage")
	}
	for _, u := range logged.unknown {
		t.Errorf("no IAM permission known for Cloud Storage request %s", u)
	}
	logged.mu.Unlock()
	// lbdiag trace reads by name: every kind of load balancer the tests
	// know.
	for _, req := range traceRequests(t) {
		api, rest, _ := strings.Cut(req, " ")
		method, rest, _ := strings.Cut(rest, " ")
		path, _, _ := strings.Cut(rest, "?")
		perms, ok := iamPermissions(api, method, path)
		if !ok {
			t.Errorf("no IAM permission known for the trace's %s %s %s: add it to iamPermissions", api, method, path)
		}
		for _, p := range perms {
			used[p] = append(used[p], "lbdiag trace: "+req)
		}
	}
	for _, p := range traceOnlyPermissions {
		used[p] = append(used[p], "lbdiag trace of a backend kind no test project has")
	}
	for _, p := range gatewayCertMapPermissions {
		used[p] = append(used[p], "a Gateway naming a certificate map (TestGatewayReferences)")
	}
	for _, p := range networkAnalyzerPermissions {
		used[p] = append(used[p], "--network-analyzer (TestNetworkAnalyzerE2E)")
	}
	for via, perms := range pathPermissions {
		for _, p := range perms {
			used[p] = append(used[p], "a cluster reached by "+via+" (TestReachClusters)")
		}
	}

	raw, err := os.ReadFile("../../deploy/iam-role.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var role struct {
		Title               string
		Description         string
		Stage               string
		IncludedPermissions []string `json:"includedPermissions"`
	}
	if err := yaml.Unmarshal(raw, &role); err != nil {
		t.Fatal(err)
	}
	// IAM refuses a custom role whose title is over 100 characters or
	// whose description is over 256.
	if len(role.Title) > 100 || len(role.Description) > 256 {
		t.Errorf("deploy/iam-role.yaml: title of %d characters (at most 100), description of %d (at most 256)", len(role.Title), len(role.Description))
	}
	if !sort.StringsAreSorted(role.IncludedPermissions) {
		t.Error("deploy/iam-role.yaml: keep includedPermissions sorted")
	}
	for p, ex := range used {
		if !slices.Contains(role.IncludedPermissions, p) {
			t.Errorf("deploy/iam-role.yaml misses %s (used by %s)", p, ex[0])
		}
	}
	for _, p := range role.IncludedPermissions {
		if _, ok := used[p]; !ok {
			t.Errorf("deploy/iam-role.yaml grants %s, which no request of a full run needs", p)
		}
	}
}
