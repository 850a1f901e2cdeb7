package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lbdiag/lbdiag/internal/fakerecommender"
	"github.com/lbdiag/lbdiag/inventory"
)

// TestNetworkAnalyzerE2E runs inspect --network-analyzer against the demo
// project's loopback APIs and a loopback Recommender: Network Analyzer's
// port-mismatch insight on the checkout backend service, which lbdiag
// finds unhealthy, and its firewall insight on the shop-web forwarding
// rule, whose URL map sends to checkout, become evidence of that finding;
// its port-mismatch insight on the default backend, which lbdiag finds
// healthy, is a network-analyzer-insight finding that says so;
// europe-west1's read is denied, a gap with its permission. The recording
// replays the same.
func TestNetworkAnalyzerE2E(t *testing.T) {
	t.Parallel()
	f := newFakeProject(t)
	const project = "acme-shop-prod"
	fake := fakerecommender.New(project, "310094462123")
	fake.PageSize = 1
	fake.Add("global", inventory.LBInsightType, "0e5a8c1d-port", fakerecommender.PortMismatch(project,
		"global/backendServices/k8s1-4f7d2b91-shop-checkout-8080-5d03f6e2", "global/healthChecks/k8s1-4f7d2b91-shop-checkout-8080-5d03f6e2", 10256,
		"2026-11-27T01:02:04.526707434Z"))
	fake.Add("global", inventory.LBInsightType, "7c41b2e9-fw", fakerecommender.FirewallNotConfigured(project,
		"global/forwardingRules/k8s2-fr-dmqbrr78-shop-web-kki80rh8", "global/urlMaps/k8s2-um-dmqbrr78-shop-web-kki80rh8", "2026-11-27T01:02:04.602359880Z"))
	fake.Add("global", inventory.LBInsightType, "d2f0a6b3-port", fakerecommender.PortMismatch(project,
		"global/backendServices/k8s1-4f7d2b91-kube-system-default-http-backend-80-e8a4b612",
		"global/healthChecks/k8s1-4f7d2b91-kube-system-default-http-backend-80-e8a4b612", 8080, "2026-11-27T01:02:04Z"))
	fake.Denied["europe-west1"] = true
	srv := serveHTTP(t, fake)
	record := filepath.Join(t.TempDir(), "rec")
	res := f.run(t, "--format", "json", "--network-analyzer", "--recommender-endpoint", srv.URL+"/", "--record", record)
	if res.code > 2 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	check := func(name string, r jsonReport) {
		t.Helper()
		var unhealthy, insight int
		for _, fd := range r.Findings {
			switch {
			case fd.Rule == "backend-unhealthy" && fd.Resource.Name == "k8s1-4f7d2b91-shop-checkout-8080-5d03f6e2":
				unhealthy++
				attached, _ := fd.Evidence["network-analyzer-insight"].([]any)
				if len(attached) != 2 || !strings.Contains(fd.Message, `Network Analyzer agrees: HEALTH_CHECK_PORT_MISMATCH "Backend services use different ports for health check and traffic" (insight 0e5a8c1d-port`) {
					t.Errorf("%s: backend-unhealthy took no insight: %s %v", name, fd.Message, fd.Evidence)
				} else if ev, _ := attached[0].(map[string]any); ev["lastRefreshTime"] != "2026-11-27T01:02:04Z" || ev["subtype"] != "HEALTH_CHECK_PORT_MISMATCH" {
					t.Errorf("%s: attached evidence %v", name, ev)
				}
			case fd.Rule == "network-analyzer-insight":
				insight++
				if fd.Severity != "warning" || fd.Resource.Kind != "BackendService" || fd.Resource.Name != "k8s1-4f7d2b91-kube-system-default-http-backend-80-e8a4b612" ||
					!strings.Contains(fd.Message, `Network Analyzer reports HEALTH_CHECK_PORT_MISMATCH on backend service k8s1-4f7d2b91-kube-system-default-http-backend-80-e8a4b612 and health check k8s1-4f7d2b91-kube-system-default-http-backend-80-e8a4b612: "Backend services use different ports for health check and traffic" (insight d2f0a6b3-port, refreshed 2026-11-27T01:02:04Z); lbdiag did not confirm it`) ||
					!strings.Contains(fd.Remediation, "gcloud recommender insights describe d2f0a6b3-port --insight-type=google.networkanalyzer.networkservices.loadBalancerInsight --location=global --project=acme-shop-prod") {
					t.Errorf("%s: insight finding %+v", name, fd)
				}
				// lbdiag's rules for the same thing judged the default
				// backend and passed it: it disagrees, and says so.
				passed, _ := fd.Evidence["passedBy"].([]any)
				if !strings.HasSuffix(fd.Message, "; lbdiag checked it and found no problem: health-check-port-mismatch (BackendService k8s1-4f7d2b91-kube-system-default-http-backend-80-e8a4b612), backend-unhealthy (BackendService k8s1-4f7d2b91-kube-system-default-http-backend-80-e8a4b612)") ||
					len(passed) != 2 {
					t.Errorf("%s: no disagreement: %s %v", name, fd.Message, fd.Evidence["passedBy"])
				}
			case fd.Rule == "neg-drain-timeout-unset" && fd.Resource.Kind == "BackendService":
				// Global's read found no insight on frontend; europe-west1's
				// was denied: nothing is known of orders-api.
				note, _ := fd.Evidence["networkAnalyzer"].(map[string]any)
				if global := fd.Resource.Location == "global"; global != (note != nil) {
					t.Errorf("%s: %s in %s: networkAnalyzer %v", name, fd.Resource.Name, fd.Resource.Location, note)
				}
			}
		}
		if unhealthy != 1 || insight != 1 {
			t.Errorf("%s: %d backend-unhealthy, %d network-analyzer-insight findings: %q", name, unhealthy, insight, findingKeys(r))
		}
		if s, _, _ := gap(r, string(inventory.RecommenderLBInsights), "projects/acme-shop-prod/locations/global"); s != "ok" {
			t.Errorf("%s: global read %q", name, s)
		}
		s, e, h := gap(r, string(inventory.RecommenderLBInsights), "projects/acme-shop-prod/locations/europe-west1")
		if s != "error" || !strings.Contains(e, "403") ||
			!strings.Contains(h, "missing IAM permission recommender.networkAnalyzerLoadBalancerInsights.list on project acme-shop-prod") {
			t.Errorf("%s: europe-west1 read %q %q %q", name, s, e, h)
		}
	}
	live := parseReport(t, res.stdout)
	check("live", live)

	// The recording says it read Network Analyzer; a replay reads it again.
	raw, err := os.ReadFile(filepath.Join(record, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		NetworkAnalyzer bool `json:"networkAnalyzer"`
		Exchanges       []struct{ API string }
	}
	json.Unmarshal(raw, &m)
	n := 0
	for _, e := range m.Exchanges {
		if e.API == "recommender" {
			n++
		}
	}
	if !m.NetworkAnalyzer || n != 4 {
		t.Errorf("manifest: networkAnalyzer %t, %d recommender exchanges", m.NetworkAnalyzer, n)
	}
	replay := runLbdiag(t, t.TempDir(), "inspect", "--replay", record, "--format", "json")
	check("replay", parseReport(t, replay.stdout))
}
