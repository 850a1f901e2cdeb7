package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	recommender "google.golang.org/api/recommender/v1"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/internal/fakerecommender"
	"github.com/lbdiag/lbdiag/inventory"
)

// insightCoverage returns the insights' coverage entries by scope.
func insightCoverage(inv *inventory.Inventory) map[string]inventory.Coverage {
	out := map[string]inventory.Coverage{}
	for _, c := range inv.Coverage {
		if c.Source == inventory.RecommenderLBInsights {
			out[c.Scope] = c
		}
	}
	return out
}

// TestCollectInsights reads Network Analyzer's insights from the loopback
// Recommender: "global" and us-central1 (the region of logsCompute's
// regional backend service and health check), every page of global (one
// insight a page), us-central1 denied: a gap with its permission, while
// global's insights are kept.
func TestCollectInsights(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 2, 12, 0, 0, time.UTC)
	fake := fakerecommender.New(logsProject, "123456789012")
	fake.PageSize = 1
	fake.Add("global", inventory.LBInsightType, "port-1", fakerecommender.PortMismatch(logsProject, "global/backendServices/web", "global/healthChecks/web", 88, "2026-11-27T01:02:04.526707434Z"))
	fake.Add("global", inventory.LBInsightType, "fw-1", fakerecommender.FirewallNotConfigured(logsProject, "global/forwardingRules/web-fr", "global/urlMaps/web-map", "2026-11-27T01:02:04.602359880Z"))
	dismissed := fakerecommender.PortMismatch(logsProject, "global/backendServices/quiet", "global/healthChecks/quiet", 81, "2026-11-20T00:00:00Z")
	dismissed["stateInfo"] = map[string]any{"state": "DISMISSED"}
	fake.Add("global", inventory.LBInsightType, "old-1", dismissed)
	fake.Denied["us-central1"] = true
	inv, err := Collect(context.Background(), insightOptions(t, now, fake))
	if err != nil {
		t.Fatal(err)
	}
	ins := inv.Insights
	if ins == nil || !slices.Equal(ins.Locations, []string{"global", "us-central1"}) {
		t.Fatalf("insights %+v; coverage %+v", ins, inv.Coverage)
	}
	global := ins.ByLocation["global"]
	// Paged one a page; the dismissed one is not kept.
	if len(global) != 2 {
		t.Fatalf("global: %d insights, want the 2 active ones: %+v", len(global), global)
	}
	port := global[0]
	if port.ID() != "port-1" || port.Subtype != "HEALTH_CHECK_PORT_MISMATCH" || !port.Active() || port.Location != "global" ||
		!port.LastRefresh.Equal(time.Date(2026, 11, 27, 1, 2, 4, 526707434, time.UTC)) ||
		port.Name != "projects/123456789012/locations/global/insightTypes/"+inventory.LBInsightType+"/insights/port-1" {
		t.Errorf("port insight %+v", port)
	}
	// The project target is no resource; the backend service and health
	// check of its content are, backend service first.
	if want := []string{"projects/acme-logs/global/backendServices/web", "projects/acme-logs/global/healthChecks/web"}; !slices.Equal(port.Resources, want) {
		t.Errorf("port insight resources %q, want %q", port.Resources, want)
	}
	// The target forwarding rule first, then the URL map its content names
	// as the load balancer; instances are no load-balancing resource.
	if want := []string{"projects/acme-logs/global/forwardingRules/web-fr", "projects/acme-logs/global/urlMaps/web-map"}; !slices.Equal(global[1].Resources, want) {
		t.Errorf("firewall insight resources %q, want %q", global[1].Resources, want)
	}
	if len(ins.On("global", "projects/acme-logs/global/backendServices/quiet")) != 0 {
		t.Errorf("a dismissed insight counts: %+v", global)
	}
	if len(ins.On("global", "projects/acme-logs/global/urlMaps/web-map")) != 1 {
		t.Error("the URL map's insight is not found")
	}
	if _, ok := ins.ByLocation["us-central1"]; ok {
		t.Error("a denied location has insights")
	}
	cov := insightCoverage(inv)
	g, uc := cov["projects/acme-logs/locations/global"], cov["projects/acme-logs/locations/us-central1"]
	if g.Status != inventory.StatusOK || !strings.Contains(g.Detail, "3 insights") || !strings.Contains(g.Detail, "2 active") {
		t.Errorf("global coverage %+v", g)
	}
	if uc.Status != inventory.StatusError || !strings.Contains(uc.Error, "PERMISSION_DENIED") && !strings.Contains(uc.Error, "403") ||
		!strings.Contains(uc.Hint, "missing IAM permission recommender.networkAnalyzerLoadBalancerInsights.list on project acme-logs") {
		t.Errorf("us-central1 coverage %+v", uc)
	}
	if !inv.Known(inventory.RecommenderLBInsights, inventory.InsightScope(logsProject, "global")) ||
		inv.Known(inventory.RecommenderLBInsights, inventory.InsightScope(logsProject, "us-central1")) {
		t.Error("Known disagrees with the coverage")
	}
	// Paged: three pages of global, one denied call (retried no more:
	// 403 is final).
	var pages int
	for _, p := range fake.Paths {
		if strings.Contains(p, "/locations/global/") {
			pages++
			if !strings.HasPrefix(p, "/v1/projects/acme-logs/locations/global/insightTypes/"+inventory.LBInsightType+"/insights?") {
				t.Errorf("path %s", p)
			}
		}
	}
	if pages != 3 {
		t.Errorf("%d calls for global, want 3 pages: %q", pages, fake.Paths)
	}
}

// TestCollectInsightsErrors: a disabled Recommender API is a gap of every
// location with the command that enables it; a run whose rules need no
// insight makes no call and records a skipped read, not a gap; without
// --network-analyzer nothing is read or recorded.
func TestCollectInsightsErrors(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 2, 12, 0, 0, time.UTC)
	fake := fakerecommender.New(logsProject, "123456789012")
	fake.Disabled = true
	opts := insightOptions(t, now, fake)
	inv, err := Collect(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	cov := insightCoverage(inv)
	if len(cov) != 2 {
		t.Errorf("coverage %+v, want global and us-central1", cov)
	}
	for scope, c := range cov {
		if c.Status != inventory.StatusError || !strings.Contains(c.Hint, "gcloud services enable recommender.googleapis.com --project acme-logs") || !c.Gap() {
			t.Errorf("%s: %+v", scope, c)
		}
	}
	if inv.Insights == nil || len(inv.Insights.ByLocation) != 0 {
		t.Errorf("insights from a disabled API: %+v", inv.Insights)
	}

	requests := fake.Requests
	opts.Skip = map[inventory.Source]string{inventory.RecommenderLBInsights: "no rule of the run needs it"}
	inv, err = Collect(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	cov = insightCoverage(inv)
	if c := cov["projects/acme-logs"]; len(cov) != 1 || c.Status != inventory.StatusSkipped || c.Gap() || inv.Insights != nil {
		t.Errorf("skipped: coverage %+v, insights %+v", cov, inv.Insights)
	}
	opts.Skip, opts.NetworkAnalyzer = nil, false
	if inv, err = Collect(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if len(insightCoverage(inv)) != 0 || inv.Insights != nil {
		t.Errorf("not asked: coverage %+v", insightCoverage(inv))
	}
	if fake.Requests != requests {
		t.Errorf("%d calls of a skipped or unasked read", fake.Requests-requests)
	}
}

// TestInsightsCorpus replays the Recommender answers gcpdiag recorded for
// its lb2 project (testdata/gcpdiag-corpus): its aggregated backend
// services put a regional one in europe-west4, so both "global" (two real
// insights) and europe-west4 (answered {}) are read.
func TestInsightsCorpus(t *testing.T) {
	t.Parallel()
	const project = "gcpdiag-lb2-aaaa"
	dir := filepath.Join(corpusDir(t), "lb2", "json-dumps")
	fs := fstest.MapFS{}
	m := recording.Manifest{Format: recording.Format, FormatVersion: recording.FormatVersion, Project: project}
	add := func(api, path, query, file string) {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		fs["r/"+file] = &fstest.MapFile{Data: b}
		m.Exchanges = append(m.Exchanges, recording.Exchange{API: api, Method: "GET", Path: path, Query: query, Status: 200, File: "r/" + file})
	}
	add(recording.APICompute, "/compute/v1/projects/"+project+"/aggregated/backendServices", "maxResults=500", "compute-aggregated-backendServices.json")
	for loc, file := range map[string]string{"global": "lb-insights-global.json", "europe-west4": "lb-insights-europe-west4.json"} {
		add(recording.APIRecommender, "/v1/projects/"+project+"/locations/"+loc+"/insightTypes/"+inventory.LBInsightType+"/insights", "", file)
	}
	mb, _ := json.Marshal(m)
	fs[recording.ManifestName] = &fstest.MapFile{Data: mb}
	rec, err := recording.Load(fs)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := Collect(context.Background(), Options{Project: project, Replay: rec, NetworkAnalyzer: true})
	if err != nil {
		t.Fatal(err)
	}
	ins := inv.Insights
	if ins == nil || !slices.Equal(ins.Locations, []string{"global", "europe-west4"}) {
		t.Fatalf("insights %+v; coverage %+v", ins, insightCoverage(inv))
	}
	for scope, c := range insightCoverage(inv) {
		if c.Status != inventory.StatusOK {
			t.Errorf("%s: %+v", scope, c)
		}
	}
	if n := len(ins.ByLocation["europe-west4"]); n != 0 {
		t.Errorf("europe-west4: %d insights from {}", n)
	}
	g := ins.ByLocation["global"]
	if len(g) != 2 {
		t.Fatalf("global: %+v", g)
	}
	port, fw := g[0], g[1]
	if port.Subtype != "HEALTH_CHECK_PORT_MISMATCH" || port.Description != "Backend services use different ports for health check and traffic" ||
		port.ID() != "1a5cab32-909c-4c1b-ac5c-848c6fe54c23" || port.Severity != "LOW" || port.Category != "PERFORMANCE" ||
		port.ObservationPeriod != "3611220.209060096s" || port.LastRefresh.IsZero() || !port.Active() {
		t.Errorf("port mismatch insight %+v", port)
	}
	want := []string{"projects/gcpdiag-lb2-aaaa/global/backendServices/web-backend-service", "projects/gcpdiag-lb2-aaaa/global/forwardingRules/http-content-rule",
		"projects/gcpdiag-lb2-aaaa/global/healthChecks/http-basic-check"}
	if !slices.Equal(port.Resources, want) {
		t.Errorf("port mismatch resources %q, want %q", port.Resources, want)
	}
	if !strings.Contains(port.Content, `"healthCheckPortNumber":88`) {
		t.Errorf("content %s", port.Content)
	}
	want = []string{"projects/gcpdiag-lb2-aaaa/global/forwardingRules/http-content-rule", "projects/gcpdiag-lb2-aaaa/global/urlMaps/web-map-http"}
	if fw.Subtype != "HEALTH_CHECK_FIREWALL_NOT_CONFIGURED" || fw.Description != "Health check firewall is not configured" || !slices.Equal(fw.Resources, want) {
		t.Errorf("firewall insight %+v, want resources %q", fw, want)
	}
}

// TestInsightOfUntrusted: the texts of an insight are the API's: escaped,
// scrubbed and bounded; strange resource names are no resources.
func TestInsightOfUntrusted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		uri string
		ok  bool
	}{
		{"//compute.googleapis.com/projects/p/global/backendServices/web", true},
		{"//compute.googleapis.com/projects/p/regions/r/forwardingRules/fr", true},
		{"https://www.googleapis.com/compute/v1/projects/p/global/urlMaps/m", true},
		{"//compute.googleapis.com/projects/p/zones/z/instances/vm", false},
		{"//compute.googleapis.com/projects/p/global/firewalls/fw", false},
		{"//cloudresourcemanager.googleapis.com/projects/p", false},
		{"//compute.googleapis.com/projects/p/global/backendServices/", false},
		{"p::default::default-deny-ingress", false},
	} {
		if _, ok := lbResourceName(tc.uri); ok != tc.ok {
			t.Errorf("lbResourceName(%q) = %t, want %t", tc.uri, ok, tc.ok)
		}
	}
	raw := &recommender.GoogleCloudRecommenderV1Insight{Name: "projects/1/locations/global/insightTypes/t/insights/x",
		Description:    "\x1b]0;pwned\x07 fix at https://user:pw@example.com/?token=abc " + strings.Repeat("long ", 400),
		InsightSubtype: "HEALTH_CHECK_FIREWALL_INCONSISTENT", StateInfo: &recommender.GoogleCloudRecommenderV1InsightStateInfo{State: "ACTIVE"},
		LastRefreshTime: "not a time", Content: []byte(`{"note":"\u001b[2J","loadBalancerUri":"//compute.googleapis.com/projects/p/global/urlMaps/m"}`)}
	i := insightOf("global", raw)
	if strings.ContainsAny(i.Description, "\x1b\x07") || strings.Contains(i.Description, "pw@") || strings.Contains(i.Description, "abc") ||
		len(i.Description) > maxInsightText+60 || !strings.Contains(i.Description, "cut by lbdiag") {
		t.Errorf("description %q", i.Description)
	}
	if strings.ContainsRune(i.Content, 0x1b) || !i.LastRefresh.IsZero() || !slices.Equal(i.Resources, []string{"projects/p/global/urlMaps/m"}) {
		t.Errorf("insight %+v", i)
	}
}

// TestCollectInsightsCap: past maxInsights active insights a location's
// read stops, and it is unknown, never "no insight"; dismissed insights do
// not count toward the cap.
func TestCollectInsightsCap(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 2, 12, 0, 0, time.UTC)
	fake := fakerecommender.New(logsProject, "123456789012")
	for i := 0; i < maxInsights; i++ {
		old := fakerecommender.PortMismatch(logsProject, fmt.Sprintf("global/backendServices/old-%d", i), "global/healthChecks/web", 88, "2026-11-20T00:00:00Z")
		old["stateInfo"] = map[string]any{"state": "DISMISSED"}
		fake.Add("global", inventory.LBInsightType, fmt.Sprintf("old-%d", i), old)
	}
	for i := 0; i <= maxInsights; i++ {
		fake.Add("global", inventory.LBInsightType, fmt.Sprintf("port-%d", i),
			fakerecommender.PortMismatch(logsProject, fmt.Sprintf("global/backendServices/web-%d", i), "global/healthChecks/web", 88, "2026-11-27T01:02:04Z"))
	}
	inv, err := Collect(context.Background(), insightOptions(t, now, fake))
	if err != nil {
		t.Fatal(err)
	}
	cov := insightCoverage(inv)[inventory.InsightScope(logsProject, "global")]
	if cov.Status != inventory.StatusUnknown || !strings.Contains(cov.Error, "the rest were not read") || inv.Known(inventory.RecommenderLBInsights, cov.Scope) {
		t.Errorf("capped location: %+v", cov)
	}
	active := 0
	for _, in := range inv.Insights.ByLocation["global"] {
		if in.Active() {
			active++
		}
	}
	if active != maxInsights {
		t.Errorf("%d active insights kept, want the cap %d (dismissed ones not counted)", active, maxInsights)
	}
}

// TestPageGuard: a page token seen before stops a Pages loop.
func TestPageGuard(t *testing.T) {
	t.Parallel()
	var g pageGuard
	for _, tok := range []string{"a", "b", ""} {
		if err := g.next(tok); err != nil {
			t.Fatalf("%q: %v", tok, err)
		}
	}
	if err := g.next("a"); !errors.Is(err, errRepeatedPageToken) {
		t.Errorf("repeated token: %v", err)
	}
}

// insightOptions are the options of a live run against the load-balancer
// project with --network-analyzer, the Recommender API served by fake,
// and quick retries.
func insightOptions(t *testing.T, now time.Time, fake *fakerecommender.Server) Options {
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	opts := lbProjectOptions(t, now)
	opts.RecommenderEndpoint, opts.NetworkAnalyzer = srv.URL+"/", true
	opts.Retry = RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, AttemptTimeout: 5 * time.Second}
	return opts
}
