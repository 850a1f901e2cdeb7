package gcp

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	compute "google.golang.org/api/compute/v1"
	monitoring "google.golang.org/api/monitoring/v3"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inventory"
)

// Cloud Monitoring (--metrics): the Application Load Balancers' requests,
// server errors and backend latency over a window, aligned and reduced by
// the API, so that a project costs a handful of timeSeries.list calls
// whatever its size.
const (
	DefaultMonitoringEndpoint = "https://monitoring.googleapis.com/"
	// MaxMetricsWindow is the longest --metrics window.
	MaxMetricsWindow = 7 * 24 * time.Hour
	// DefaultMax5xxRatio is --max-5xx-ratio's default: 1 %.
	DefaultMax5xxRatio = 0.01
)

// lbMetricType is one kind of Application Load Balancer as Cloud
// Monitoring knows it: its monitored resource and the prefix of its
// metrics (loadbalancing.googleapis.com/<prefix>request_count, ...).
type lbMetricType struct {
	resource, prefix string
	// regional is set when the resource's region label tells apart
	// resources of one name (the regional load balancers'); the global
	// load balancers' region label names where a request was served.
	regional bool
}

var lbMetricTypes = []lbMetricType{
	{resource: "https_lb_rule", prefix: "https/"},
	{resource: "http_external_regional_lb_rule", prefix: "https/external/regional/", regional: true},
	{resource: "internal_http_lb_rule", prefix: "https/internal/", regional: true},
}

// metricTypeOf is the monitored resource of a backend service's
// Application Load Balancer, or "" for the others.
func metricTypeOf(bs *compute.BackendService) string {
	switch requestLogType(bs) {
	case "http_load_balancer":
		return "https_lb_rule"
	case "http_external_regional_lb_rule", "internal_http_lb_rule":
		// Cross-region internal load balancers' backend services are
		// global, and report as internal_http_lb_rule too.
		return requestLogType(bs)
	}
	if bs.Region == "" && bs.LoadBalancingScheme == "INTERNAL_MANAGED" {
		return "internal_http_lb_rule"
	}
	return ""
}

// collectMetrics reads the window's traffic of every kind of Application
// Load Balancer the project has (by its backend services): per kind, the
// requests by status class per URL map, backend service and forwarding
// rule, and the 95th percentile of the backend latency per URL map and
// per backend service. One coverage entry says what was read.
func (c *collector) collectMetrics(ctx context.Context) {
	scope := inventory.ProjectScope(c.opts.Project)
	cov := inventory.Coverage{Source: inventory.MonitoringTraffic, Scope: scope, Status: inventory.StatusOK}
	defer func() { c.cover(cov) }()
	window := c.opts.Metrics
	since, until, unknown := c.window(window, "metrics")
	if unknown != "" {
		cov.Status, cov.Error = inventory.StatusUnknown, unknown
		return
	}
	c.mu.Lock()
	types := map[string]bool{}
	for _, bs := range c.compute.BackendServices {
		if inventory.ProjectOf(bs.SelfLink) == c.opts.Project {
			if t := metricTypeOf(bs); t != "" {
				types[t] = true
			}
		}
	}
	bsKnown := c.read(inventory.ComputeBackendServices, scope)
	c.mu.Unlock()
	m := &inventory.Metrics{Since: since, Until: until, Traffic: map[string]*inventory.Traffic{}, Max5xxRatio: c.opts.max5xxRatio()}
	if !bsKnown {
		cov.Status, cov.Error = inventory.StatusUnknown, "the backend services could not be listed, so lbdiag could not tell which load balancers' metrics to read"
		return
	}
	svc, err := monitoring.NewService(ctx, c.clientOptions(recording.APIMonitoring, c.opts.MonitoringEndpoint, DefaultMonitoringEndpoint)...)
	if err != nil {
		cov.Status, cov.Error = inventory.StatusError, c.errorText(err)
		return
	}
	period := strconv.Itoa(int(max(window, time.Minute).Seconds())) + "s"
	var mu sync.Mutex
	var wg sync.WaitGroup
	var failure error
	series := 0
	var kinds []string
	for _, t := range lbMetricTypes {
		if !types[t.resource] {
			continue
		}
		kinds = append(kinds, t.resource)
		for _, q := range metricQueries(t) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := c.readSeries(ctx, svc, t, q, since, until, period, func(res, metric map[string]string, v *monitoring.TypedValue) {
					mu.Lock()
					defer mu.Unlock()
					q.add(m, res, metric, v)
				})
				mu.Lock()
				defer mu.Unlock()
				series += n
				if err != nil && failure == nil {
					failure = err
				}
			}()
		}
	}
	wg.Wait()
	sort.Strings(kinds)
	cov.Detail = fmt.Sprintf("%d series of %s, %s to %s", series, orNone(strings.Join(kinds, ", ")), since.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339))
	if failure != nil {
		cov.Status, cov.Error = inventory.StatusError, c.errorText(failure)
		cov.Hint = c.googleHint(ctx, failure, "monitoring", c.opts.Project, "monitoring.timeSeries.list", "roles/monitoring.viewer")
		return
	}
	c.mu.Lock()
	c.metrics = m
	c.mu.Unlock()
}

func orNone(s string) string {
	if s == "" {
		return "no Application Load Balancer"
	}
	return s
}

// metricQuery is one timeSeries.list of a load-balancer kind: a metric,
// reduced server-side by the given aligner and reducer over the window,
// grouped by the given labels; add puts a series' value in the metrics.
type metricQuery struct {
	metric, aligner, reducer string
	groupBy                  []string
	add                      func(m *inventory.Metrics, res, metric map[string]string, v *monitoring.TypedValue)
}

// metricQueries are the three queries of a kind: requests by status class
// per URL map, backend and forwarding rule (one query: each series adds to
// the three), and the p95 backend latency per URL map and per backend.
func metricQueries(t lbMetricType) []metricQuery {
	region := func(res map[string]string) string {
		if t.regional && res["region"] != "" {
			return res["region"]
		}
		return "global"
	}
	group := func(labels ...string) []string {
		if t.regional {
			labels = append(labels, "resource.label.region")
		}
		return labels
	}
	get := func(m *inventory.Metrics, kind, region, name string) *inventory.Traffic {
		if name == "" || name == "UNKNOWN" {
			return nil
		}
		k := inventory.TrafficKey(kind, region, name)
		tr := m.Traffic[k]
		if tr == nil {
			tr = &inventory.Traffic{}
			m.Traffic[k] = tr
		}
		return tr
	}
	requests := metricQuery{metric: "request_count", aligner: "ALIGN_SUM", reducer: "REDUCE_SUM",
		groupBy: group("resource.label.url_map_name", "resource.label.backend_target_name", "resource.label.backend_target_type",
			"resource.label.forwarding_rule_name", "metric.label.response_code_class"),
		add: func(m *inventory.Metrics, res, metric map[string]string, v *monitoring.TypedValue) {
			n := numeric(v)
			fivexx := metric["response_code_class"] == "500"
			r := region(res)
			targets := []*inventory.Traffic{get(m, inventory.TrafficURLMap, r, res["url_map_name"]), get(m, inventory.TrafficForwardingRule, r, res["forwarding_rule_name"])}
			if res["backend_target_type"] == "BACKEND_SERVICE" {
				targets = append(targets, get(m, inventory.TrafficBackend, r, res["backend_target_name"]))
			}
			for _, tr := range targets {
				if tr != nil {
					tr.Requests += n
					if fivexx {
						tr.Errors5xx += n
					}
				}
			}
		}}
	p95 := func(kind string, labels ...string) metricQuery {
		var fields []string
		for _, l := range labels {
			fields = append(fields, "resource.label."+l)
		}
		return metricQuery{metric: "backend_latencies", aligner: "ALIGN_DELTA", reducer: "REDUCE_PERCENTILE_95", groupBy: group(fields...),
			add: func(m *inventory.Metrics, res, metric map[string]string, v *monitoring.TypedValue) {
				if t, ok := res["backend_target_type"]; ok && t != "BACKEND_SERVICE" {
					return // a backend bucket
				}
				if tr := get(m, kind, region(res), res[labels[0]]); tr != nil && v.DoubleValue != nil && !tr.HasP95 {
					tr.P95Ms, tr.HasP95 = *v.DoubleValue, true
				}
			}}
	}
	return []metricQuery{requests, p95(inventory.TrafficURLMap, "url_map_name"), p95(inventory.TrafficBackend, "backend_target_name", "backend_target_type")}
}

// numeric reads a point's value as a number.
func numeric(v *monitoring.TypedValue) float64 {
	switch {
	case v.Int64Value != nil:
		return float64(*v.Int64Value)
	case v.DoubleValue != nil:
		return *v.DoubleValue
	}
	return 0
}

// readSeries lists one query's series, every page, and hands each series'
// points to add: for counts every point (each covers its own aligned
// period), for percentiles the newest (points come newest first).
func (c *collector) readSeries(ctx context.Context, svc *monitoring.Service, t lbMetricType, q metricQuery, since, until time.Time, period string,
	add func(res, metric map[string]string, v *monitoring.TypedValue)) (int, error) {
	filter := fmt.Sprintf(`metric.type="loadbalancing.googleapis.com/%s%s" AND resource.type=%q`, t.prefix, q.metric, t.resource)
	call := svc.Projects.TimeSeries.List("projects/" + c.opts.Project).Filter(filter).
		IntervalStartTime(since.UTC().Format(time.RFC3339)).IntervalEndTime(until.UTC().Format(time.RFC3339)).
		AggregationAlignmentPeriod(period).AggregationPerSeriesAligner(q.aligner).AggregationCrossSeriesReducer(q.reducer).
		AggregationGroupByFields(q.groupBy...).View("FULL").Context(ctx)
	n := 0
	var guard pageGuard
	err := call.Pages(ctx, func(resp *monitoring.ListTimeSeriesResponse) error {
		for _, s := range resp.TimeSeries {
			if s == nil || s.Resource == nil || len(s.Points) == 0 {
				continue
			}
			n++
			var metric map[string]string
			if s.Metric != nil {
				metric = s.Metric.Labels
			}
			points := s.Points
			if q.reducer != "REDUCE_SUM" {
				points = points[:1]
			}
			for _, p := range points {
				if p != nil && p.Value != nil {
					add(s.Resource.Labels, metric, p.Value)
				}
			}
		}
		return guard.next(resp.NextPageToken)
	})
	return n, err
}
