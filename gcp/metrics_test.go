package gcp

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/lbdiag/lbdiag/internal/fakemonitoring"
	"github.com/lbdiag/lbdiag/inventory"
)

// lbSeries are an Application Load Balancer's raw series: per minute,
// from two hours before now, ok 2xx and bad 5xx requests, and one backend
// latency sample per request (latency ms).
func lbSeries(now time.Time, resource, prefix, region, urlMap, backend, backendType, fr string, ok, bad int64, latency func(minute int) float64) []fakemonitoring.Series {
	labels := map[string]string{"project_id": logsProject, "region": region, "url_map_name": urlMap, "backend_target_name": backend,
		"backend_target_type": backendType, "forwarding_rule_name": fr, "target_proxy_name": "tp", "matched_url_path_rule": "UNMATCHED"}
	counts := func(class string, n int64) fakemonitoring.Series {
		s := fakemonitoring.Series{Metric: "loadbalancing.googleapis.com/" + prefix + "request_count", Resource: resource, ResourceLabels: labels,
			MetricLabels: map[string]string{"response_code_class": class, "response_code": class, "protocol": "HTTP/1.1"}}
		for m := range 120 {
			s.Points = append(s.Points, fakemonitoring.Point{End: now.Add(-time.Duration(m) * time.Minute), Count: n})
		}
		return s
	}
	lat := fakemonitoring.Series{Metric: "loadbalancing.googleapis.com/" + prefix + "backend_latencies", Resource: resource, ResourceLabels: labels,
		MetricLabels: map[string]string{"response_code_class": "200"}, Distribution: true}
	for m := range 120 {
		p := fakemonitoring.Point{End: now.Add(-time.Duration(m) * time.Minute)}
		for range ok {
			p.Samples = append(p.Samples, latency(m))
		}
		lat.Points = append(lat.Points, p)
	}
	return []fakemonitoring.Series{counts("200", ok), counts("500", bad), lat}
}

// lbProjectOptions serves logsCompute's project and an empty GKE, and
// returns the options that read them, at now, with a test token.
func lbProjectOptions(t *testing.T, now time.Time) Options {
	compute := logsCompute(t)
	t.Cleanup(compute.Close)
	container := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) }))
	t.Cleanup(container.Close)
	return Options{Project: logsProject, ComputeEndpoint: compute.URL + "/compute/v1/", ContainerEndpoint: container.URL + "/",
		TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t0ken"}), Clock: func() time.Time { return now }, LoggingQPS: 1000}
}

func TestCollectMetrics(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 2, 12, 0, 0, time.UTC)
	// web (global): 100 ok and 5 failed requests a minute; latency 20 ms,
	// but 400 ms in the last 4 minutes of the hour (4 of 60 minutes: above
	// the 95th percentile's 57th minute, so p95 is 400). A bucket behind
	// the same map counts for the map, not as a backend service.
	series := lbSeries(now, "https_lb_rule", "https/", "europe-west1", "web-map", "web", "BACKEND_SERVICE", "web-fr", 100, 5,
		func(m int) float64 { return map[bool]float64{true: 400, false: 20}[m < 4] })
	series = append(series, lbSeries(now, "https_lb_rule", "https/", "us-east1", "web-map", "static", "BACKEND_BUCKET", "web-fr", 10, 0,
		func(int) float64 { return 5 })...)
	// api (internal, us-central1): 10 a minute, no errors; another region's
	// map of the same name is another resource.
	series = append(series, lbSeries(now, "internal_http_lb_rule", "https/internal/", "us-central1", "api-map", "api", "BACKEND_SERVICE", "api-fr", 10, 0,
		func(int) float64 { return 8 })...)
	series = append(series, lbSeries(now, "internal_http_lb_rule", "https/internal/", "europe-west4", "api-map", "api", "BACKEND_SERVICE", "api-fr", 1, 1,
		func(int) float64 { return 8 })...)
	fake := fakemonitoring.New(logsProject, series)
	fake.PageSize = 1
	monitoring := httptest.NewServer(fake)
	defer monitoring.Close()
	opts := lbProjectOptions(t, now)
	opts.MonitoringEndpoint, opts.Metrics = monitoring.URL+"/", time.Hour
	inv, err := Collect(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	m := inv.Metrics
	if m == nil {
		t.Fatalf("no metrics; coverage %+v", inv.Coverage)
	}
	type want struct {
		requests, errors, p95 float64
		hasP95                bool
	}
	// In the hour: web 60 × 105 requests, 60 × 5 of them 5xx (the bucket's
	// 600 add to the map and the forwarding rule only).
	for key, w := range map[string]want{
		"UrlMap/global/web-map":                {6900, 300, 400, true},
		"BackendService/global/web":            {6300, 300, 400, true},
		"ForwardingRule/global/web-fr":         {6900, 300, 0, false},
		"UrlMap/us-central1/api-map":           {600, 0, 8, true},
		"BackendService/us-central1/api":       {600, 0, 8, true},
		"ForwardingRule/us-central1/api-fr":    {600, 0, 0, false},
		"UrlMap/europe-west4/api-map":          {120, 60, 8, true},
		"BackendService/global/static":         {},
		"BackendService/europe-west1/web":      {},
		"UrlMap/global/elsewhere":              {},
		"BackendService/europe-west4/api":      {120, 60, 8, true},
		"ForwardingRule/europe-west4/api-fr":   {120, 60, 0, false},
		"UrlMap/global/web-map-does-not-exist": {},
	} {
		tr := m.Traffic[key]
		if w == (want{}) {
			if tr != nil {
				t.Errorf("%s: %+v, want no traffic", key, tr)
			}
			continue
		}
		if tr == nil || tr.Requests != w.requests || tr.Errors5xx != w.errors || tr.HasP95 != w.hasP95 || tr.P95Ms != w.p95 {
			t.Errorf("%s: %+v, want %+v", key, tr, w)
		}
	}
	var cov inventory.Coverage
	for _, c := range inv.Coverage {
		if c.Source == inventory.MonitoringTraffic {
			cov = c
		}
	}
	if cov.Status != inventory.StatusOK || !strings.Contains(cov.Detail, "of https_lb_rule, internal_http_lb_rule, 2026-11-27T01:12:00Z to 2026-11-27T02:12:00Z") {
		t.Errorf("coverage %+v", cov)
	}
	// Three queries per kind (no regional external load balancer here),
	// each paged one series at a time; every query aligned over the hour.
	queries := 0
	for _, q := range fake.Queries {
		if !strings.Contains(q, "aggregation.alignmentPeriod=3600s") || !strings.Contains(q, "view=FULL") {
			t.Errorf("query %s", q)
		}
		if !strings.Contains(q, "pageToken") {
			queries++
		}
		if strings.Contains(q, "external%2Fregional") {
			t.Errorf("read a kind the project does not have: %s", q)
		}
	}
	if queries != 6 || fake.Requests <= 6 {
		t.Errorf("%d queries in %d calls, want 6 queries, paged", queries, fake.Requests)
	}
}

// TestCollectMetricsErrors: a denied or disabled Monitoring API is a gap
// with its fix, never "no traffic".
func TestCollectMetricsErrors(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 2, 12, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		set  func(*fakemonitoring.Server)
		hint string
	}{
		{"denied", func(s *fakemonitoring.Server) { s.Denied = true }, "missing IAM permission monitoring.timeSeries.list on project acme-logs: grant roles/monitoring.viewer"},
		{"disabled", func(s *fakemonitoring.Server) { s.Disabled = true }, "gcloud services enable monitoring.googleapis.com --project acme-logs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := fakemonitoring.New(logsProject, nil)
			tc.set(fake)
			srv := httptest.NewServer(fake)
			defer srv.Close()
			opts := lbProjectOptions(t, now)
			opts.MonitoringEndpoint, opts.Metrics = srv.URL+"/", time.Hour
			opts.Retry = RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, AttemptTimeout: 5 * time.Second}
			inv, err := Collect(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if inv.Metrics != nil {
				t.Error("metrics from a refused read")
			}
			found := false
			for _, c := range inv.Coverage {
				if c.Source == inventory.MonitoringTraffic {
					found = true
					if c.Status != inventory.StatusError || !strings.Contains(c.Hint, tc.hint) {
						t.Errorf("coverage %+v", c)
					}
				}
			}
			if !found {
				t.Error("no coverage entry for the metrics")
			}
		})
	}
}
