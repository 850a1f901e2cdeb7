package gcp

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/lbdiag/lbdiag/internal/fakelogging"
	"github.com/lbdiag/lbdiag/inventory"
)

const (
	logsProject = "acme-logs"
	computeBase = "https://www.googleapis.com/compute/v1/projects/" + logsProject
)

// logsCompute serves a project with three backend services: web (global,
// request logging on, on NEG 4711 in us-central1-a), api (regional internal,
// logging on) and quiet (global, logging off); their health checks, one
// with logging off; every other list empty.
func logsCompute(t *testing.T) *httptest.Server {
	bs := func(name, scope, scheme string, logging bool) string {
		region, base := "", computeBase+"/global"
		if scope != "global" {
			region = `"region":"` + computeBase + `/regions/` + scope + `",`
			base = computeBase + "/regions/" + scope
		}
		return fmt.Sprintf(`{"kind":"compute#backendService","name":%q,%s"loadBalancingScheme":%q,"protocol":"HTTP","timeoutSec":30,
		  "selfLink":"%s/backendServices/%s","healthChecks":["%s/healthChecks/%s"],"logConfig":{"enable":%t,"sampleRate":1},
		  "backends":[{"group":"%s/zones/us-central1-a/networkEndpointGroups/%s-neg","balancingMode":"RATE","maxRatePerEndpoint":100}]}`,
			name, region, scheme, base, name, base, name, logging, computeBase, name)
	}
	hc := func(name, scope string, logging bool) string {
		base := computeBase + "/global"
		if scope != "global" {
			base = computeBase + "/regions/" + scope
		}
		return fmt.Sprintf(`{"kind":"compute#healthCheck","name":%q,"type":"HTTP","selfLink":"%s/healthChecks/%s","logConfig":{"enable":%t}}`, name, base, name, logging)
	}
	answers := map[string]string{
		"/aggregated/backendServices": `{"kind":"compute#backendServiceAggregatedList","items":{
		  "global":{"backendServices":[` + bs("web", "global", "EXTERNAL_MANAGED", true) + `,` + bs("quiet", "global", "EXTERNAL", false) + `]},
		  "regions/us-central1":{"backendServices":[` + bs("api", "us-central1", "INTERNAL_MANAGED", true) + `]}}}`,
		"/aggregated/healthChecks": `{"kind":"compute#healthChecksAggregatedList","items":{
		  "global":{"healthChecks":[` + hc("web", "global", true) + `,` + hc("quiet", "global", false) + `]},
		  "regions/us-central1":{"healthChecks":[` + hc("api", "us-central1", true) + `]}}}`,
		"/aggregated/networkEndpointGroups": `{"kind":"compute#networkEndpointGroupAggregatedList","items":{"zones/us-central1-a":{"networkEndpointGroups":[
		  {"kind":"compute#networkEndpointGroup","id":"4711","name":"web-neg","networkEndpointType":"GCE_VM_IP_PORT","selfLink":"` + computeBase + `/zones/us-central1-a/networkEndpointGroups/web-neg"}]}}}`,
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		for suffix, body := range answers {
			if strings.HasSuffix(r.URL.Path, suffix) {
				io.WriteString(w, body)
				return
			}
		}
		io.WriteString(w, `{}`)
	}))
}

// requestEntry is a request log entry as Cloud Logging returns it, with
// what lbdiag must not keep: a query string and the client's address.
func requestEntry(n int, at time.Time, rtype, bs, region string, status int, details string) map[string]any {
	labels := map[string]any{"backend_service_name": bs, "project_id": logsProject, "forwarding_rule_name": "fr", "url_map_name": "um", "target_proxy_name": "tp"}
	if region != "" {
		labels["region"] = region
	} else {
		labels["zone"] = "global"
	}
	http := map[string]any{"requestMethod": "GET", "requestUrl": fmt.Sprintf("https://shop.example.com/item/%d?session=s3cr3t-%d&utm=x", n, n),
		"remoteIp": "198.51.100.23", "serverIp": "10.8.0.5", "latency": "0.020s", "userAgent": "curl/8.5.0", "referer": "https://shop.example.com/?token=abc"}
	if status > 0 {
		http["status"] = status
	}
	return map[string]any{"insertId": fmt.Sprintf("e%05d", n), "timestamp": at.UTC().Format(time.RFC3339Nano), "logName": "projects/" + logsProject + "/logs/requests",
		"resource": map[string]any{"type": rtype, "labels": labels}, "httpRequest": http, "severity": "ERROR",
		"jsonPayload": map[string]any{"@type": "type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry", "statusDetails": details, "remoteIp": "198.51.100.23"}}
}

func probeEntry(at time.Time, negID, zone, ip string, port int, detailed, text string) map[string]any {
	state := "UNHEALTHY"
	if detailed == "HEALTHY" {
		state = "HEALTHY"
	}
	return map[string]any{"insertId": "p" + at.Format("150405.000"), "timestamp": at.UTC().Format(time.RFC3339Nano), "severity": "INFO",
		"logName":  "projects/" + logsProject + "/logs/compute.googleapis.com%2Fhealthchecks",
		"resource": map[string]any{"type": "gce_network_endpoint_group", "labels": map[string]any{"project_id": logsProject, "zone": zone, "network_endpoint_group_id": negID}},
		"jsonPayload": map[string]any{"healthCheckProbeResult": map[string]any{"ipAddress": ip, "targetIp": ip, "targetPort": port, "healthState": state,
			"detailedHealthState": detailed, "probeResultText": text, "healthCheckProtocol": "HTTP"}}}
}

// TestCollectLogs reads a project's load-balancer logs through the real
// Logging client from a loopback Cloud Logging API that pages in sevens
// (and answers each query's first page empty, as the real API may): the
// per-backend cap, the window, the redaction, the probe results and the
// coverage of what has no logs.
func TestCollectLogs(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 2, 12, 0, 0, time.UTC)
	var entries []map[string]any
	// web: 100 scale-down 502s in the last half hour; the cap is 40.
	for i := range 100 {
		entries = append(entries, requestEntry(i, now.Add(-time.Duration(i)*10*time.Second), "http_load_balancer", "web", "", 502, "backend_connection_closed_before_data_sent_to_client"))
	}
	// api: 5 connection failures and one backend 500; one older than the
	// window; one 200 (not a failure).
	for i := range 5 {
		entries = append(entries, requestEntry(200+i, now.Add(-20*time.Minute), "internal_http_lb_rule", "api", "us-central1", 503, "upstream_reset_before_response_started{connection_failure}"))
	}
	entries = append(entries,
		requestEntry(300, now.Add(-5*time.Minute), "internal_http_lb_rule", "api", "us-central1", 500, "via_upstream"),
		requestEntry(301, now.Add(-2*time.Hour), "internal_http_lb_rule", "api", "us-central1", 503, "upstream_reset_before_response_started{connection_failure}"),
		requestEntry(302, now.Add(-time.Minute), "internal_http_lb_rule", "api", "us-central1", 200, "via_upstream"),
		// another project's backend service of the same type: not asked for
		requestEntry(303, now.Add(-time.Minute), "http_load_balancer", "elsewhere", "", 502, "failed_to_pick_backend"),
		// health checks: one endpoint timed out and stayed so; one flapped back
		probeEntry(now.Add(-40*time.Minute), "4711", "us-central1-a", "10.8.0.5", 8080, "TIMEOUT", "HTTP response: , Error: Timeout waiting for connect"),
		probeEntry(now.Add(-50*time.Minute), "4711", "us-central1-a", "10.8.0.5", 8080, "HEALTHY", "HTTP response: 200, Error: "),
		probeEntry(now.Add(-30*time.Minute), "4711", "us-central1-a", "10.8.0.6", 8080, "HEALTHY", "HTTP response: 200, Error: "),
		probeEntry(now.Add(-35*time.Minute), "4711", "us-central1-a", "10.8.0.6", 8080, "UNHEALTHY", "HTTP response: 503, Error: Service Unavailable"),
	)
	fake := fakelogging.New(logsProject, entries)
	fake.PageLimit, fake.EmptyPages = 7, true
	var mu sync.Mutex
	var methods []string
	logging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		methods = append(methods, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		fake.ServeHTTP(w, r)
	}))
	defer logging.Close()
	compute := logsCompute(t)
	defer compute.Close()
	container := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) }))
	defer container.Close()

	inv, err := Collect(context.Background(), Options{Project: logsProject, ComputeEndpoint: compute.URL + "/compute/v1/", ContainerEndpoint: container.URL + "/",
		LoggingEndpoint: logging.URL + "/", TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t0ken"}),
		Clock: func() time.Time { return now }, Logs: time.Hour, LogEntryCap: 40, LoggingQPS: 1000})
	if err != nil {
		t.Fatal(err)
	}
	logs := inv.Logs
	if logs == nil {
		t.Fatal("no logs")
	}
	web, api := "global/backendServices/web", "regions/us-central1/backendServices/api"
	if w := logs.Requests[web]; len(w) != 1 || w[0].Count != 40 || !logs.CappedRequests[web] || len(w[0].Samples) != 2 {
		t.Errorf("web: %+v capped %v", w, logs.CappedRequests)
	}
	got := map[string]int{}
	for _, f := range logs.Requests[api] {
		got[fmt.Sprintf("%d %s", f.Status, f.Details)] = f.Count
	}
	if want := map[string]int{"503 upstream_reset_before_response_started{connection_failure}": 5, "500 via_upstream": 1}; fmt.Sprint(got) != fmt.Sprint(want) || logs.CappedRequests[api] {
		t.Errorf("api: %v, want %v", got, want)
	}
	if len(logs.Requests) != 2 {
		t.Errorf("requests of %d backend services, want 2", len(logs.Requests))
	}
	for _, fs := range logs.Requests {
		for _, f := range fs {
			for _, s := range f.Samples {
				if strings.ContainsAny(s.URL, "?#") || strings.Contains(s.URL, "s3cr3t") {
					t.Errorf("a sample keeps its query: %s", s.URL)
				}
			}
		}
	}
	// The NEG is named by its ID in the health-check logs; the newest
	// transition of each endpoint is its state, since then.
	neg := inv.Compute.NEGs[0]
	probes := logs.ProbesOf(neg.SelfLink, neg)
	if len(probes) != 2 || probes[0].Endpoint != "10.8.0.5:8080" || probes[0].Detailed != "TIMEOUT" || !probes[0].Since.Equal(now.Add(-40*time.Minute)) ||
		probes[1].Endpoint != "10.8.0.6:8080" || probes[1].State != "HEALTHY" || !probes[1].Since.Equal(now.Add(-30*time.Minute)) {
		t.Errorf("probes = %+v", probes)
	}
	for _, c := range inv.Coverage {
		switch c.Source {
		case inventory.LoggingRequests:
			for _, want := range []string{"2 backend services with logging on", "the counts of 1 backend services are lower bounds (the cap of 40 entries each", "quiet", "backend-logging-disabled"} {
				if !strings.Contains(c.Detail, want) {
					t.Errorf("request coverage %q lacks %q", c.Detail, want)
				}
			}
		case inventory.LoggingHealthChecks:
			if !strings.Contains(c.Detail, "1 health checks whose logging is off (quiet)") {
				t.Errorf("probe coverage: %q", c.Detail)
			}
		case inventory.LoggingPassthrough:
			t.Errorf("passthrough logs read without a passthrough load balancer: %+v", c)
		}
	}
	// Every call: entries.list, authorised, as a POST.
	for _, m := range methods {
		if m != "POST /v2/entries:list Bearer t0ken" {
			t.Errorf("call %q", m)
		}
	}
	// web: an empty first page, then 40 entries in sevens (6 pages); api: an
	// empty page and one of 6; health checks: an empty page and one of 4.
	if fake.Requests != 7+2+2 {
		t.Errorf("%d entries.list calls, want 11; filters %q", fake.Requests, fake.Filters)
	}
}

// TestCollectLogsErrors: a 403 is a gap with the role to grant; a 429 is
// retried; neither is ever "no errors".
func TestCollectLogsErrors(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 2, 12, 0, 0, time.UTC)
	compute := logsCompute(t)
	t.Cleanup(compute.Close)
	container := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) }))
	t.Cleanup(container.Close)
	run := func(t *testing.T, h http.Handler) *inventory.Inventory {
		srv := httptest.NewServer(h)
		defer srv.Close()
		inv, err := Collect(context.Background(), Options{Project: logsProject, ComputeEndpoint: compute.URL + "/compute/v1/", ContainerEndpoint: container.URL + "/",
			LoggingEndpoint: srv.URL + "/", TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t0ken"}),
			Clock: func() time.Time { return now }, Logs: time.Hour, LoggingQPS: 1000,
			Retry: RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, RateLimitDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, AttemptTimeout: 5 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	t.Run("forbidden", func(t *testing.T) {
		t.Parallel()
		inv := run(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fakelogging.PermissionDenied(w, logsProject) }))
		n := 0
		for _, c := range inv.Coverage {
			if c.Source == inventory.LoggingRequests || c.Source == inventory.LoggingHealthChecks {
				n++
				if c.Status != inventory.StatusError || !strings.Contains(c.Hint, "missing IAM permission logging.logEntries.list on project acme-logs: grant roles/logging.viewer") {
					t.Errorf("%s: %s %q hint %q", c.Source, c.Status, c.Error, c.Hint)
				}
			}
		}
		if n != 2 || len(inv.Logs.Requests) != 0 {
			t.Errorf("%d logging gaps, requests %v", n, inv.Logs.Requests)
		}
	})
	t.Run("quota then success", func(t *testing.T) {
		t.Parallel()
		fake := fakelogging.New(logsProject, []map[string]any{
			requestEntry(1, now.Add(-time.Minute), "http_load_balancer", "web", "", 502, "failed_to_pick_backend")})
		var mu sync.Mutex
		hits := 0
		inv := run(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits++
			first := hits == 1
			mu.Unlock()
			if first {
				fakelogging.QuotaExceeded(w, logsProject)
				return
			}
			fake.ServeHTTP(w, r)
		}))
		for _, c := range inv.Coverage {
			if (c.Source == inventory.LoggingRequests || c.Source == inventory.LoggingHealthChecks) && c.Status != inventory.StatusOK {
				t.Errorf("%s: %s %s", c.Source, c.Status, c.Error)
			}
		}
		if f := inv.Logs.Requests["global/backendServices/web"]; len(f) != 1 || f[0].Details != "failed_to_pick_backend" {
			t.Errorf("after the 429: %+v", inv.Logs.Requests)
		}
	})
}

// TestCollectLogsManyBackends: past 250 backend services of a type, one
// query reads every backend service of the type and lbdiag keeps those it
// inspects; a query cut by its cap says how far back it read.
func TestCollectLogsManyBackends(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 2, 12, 0, 0, time.UTC)
	var items []string
	for i := range 300 {
		items = append(items, fmt.Sprintf(`{"name":"bs-%d","loadBalancingScheme":"EXTERNAL","selfLink":"%s/global/backendServices/bs-%d","logConfig":{"enable":true}}`, i, computeBase, i))
	}
	compute := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/aggregated/backendServices") {
			io.WriteString(w, `{"items":{"global":{"backendServices":[`+strings.Join(items, ",")+`]}}}`)
			return
		}
		io.WriteString(w, `{}`)
	}))
	defer compute.Close()
	container := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) }))
	defer container.Close()
	var entries []map[string]any
	for i := range 3 {
		entries = append(entries, requestEntry(i, now.Add(-time.Duration(i)*time.Minute), "http_load_balancer", "bs-7", "", 502, "failed_to_pick_backend"))
	}
	entries = append(entries, requestEntry(9, now.Add(-time.Minute), "http_load_balancer", "not-inspected", "", 502, "failed_to_pick_backend"))
	fake := fakelogging.New(logsProject, entries)
	logging := httptest.NewServer(fake)
	defer logging.Close()
	inv, err := Collect(context.Background(), Options{Project: logsProject, ComputeEndpoint: compute.URL + "/compute/v1/", ContainerEndpoint: container.URL + "/",
		LoggingEndpoint: logging.URL + "/", TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t0ken"}),
		Clock: func() time.Time { return now }, Logs: time.Hour, LoggingQPS: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if f := inv.Logs.Requests["global/backendServices/bs-7"]; len(inv.Logs.Requests) != 1 || len(f) != 1 || f[0].Count != 3 {
		t.Errorf("requests: %+v", inv.Logs.Requests)
	}
	if fake.Requests != 2 || strings.Contains(fake.Filters[0]+fake.Filters[1], "backend_service_name") {
		t.Errorf("%d queries: %q", fake.Requests, fake.Filters)
	}
}
