// Package fakemonitoring is a loopback Cloud Monitoring API for lbdiag's
// tests: projects.timeSeries.list (GET /v3/projects/P/timeSeries) over a
// set of raw time series, with the real API's request checks, the
// alignment and reduction lbdiag asks for (ALIGN_SUM and REDUCE_SUM of
// INT64 DELTA counts; ALIGN_DELTA and REDUCE_PERCENTILE_nn of DISTRIBUTION
// latencies, pooled), grouping, newest-first points, paging by points and
// errors. There is no Cloud Monitoring emulator; this follows
// https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.timeSeries/list.
package fakemonitoring

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lbdiag/lbdiag/internal/fakegoogle"
)

// Series is one raw time series: per-minute DELTA points.
type Series struct {
	Metric         string
	MetricLabels   map[string]string
	Resource       string
	ResourceLabels map[string]string
	// Distribution marks a latency series (Samples per point); otherwise
	// points hold counts.
	Distribution bool
	Points       []Point
}

// Point is one minute of a series, ending at End.
type Point struct {
	End     time.Time
	Count   int64
	Samples []float64
}

// Server answers timeSeries.list for one project.
type Server struct {
	mu      sync.Mutex
	project string
	series  []Series
	// PageSize, when set, caps the points of a page below what the
	// caller asks.
	PageSize int
	// Denied makes every call a 403 PERMISSION_DENIED; Disabled a 403
	// SERVICE_DISABLED.
	Denied, Disabled bool
	// Requests counts the calls; Queries keeps their query strings.
	Requests int
	Queries  []string
}

// New returns a server holding series of one project.
func New(project string, series []Series) *Server {
	return &Server{project: project, series: series}
}

var filterTerm = regexp.MustCompile(`^(metric\.type|resource\.type|resource\.labels?\.[a-z_]+|metric\.labels?\.[a-z_]+)\s*=\s*"([^"]*)"$`)

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Requests++
	s.Queries = append(s.Queries, r.URL.RawQuery)
	if r.Method != http.MethodGet {
		fakegoogle.Error(w, 405, "INVALID_ARGUMENT", "method not allowed")
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/v3/")
	if !ok || !strings.HasSuffix(name, "/timeSeries") {
		fakegoogle.Error(w, 404, "NOT_FOUND", "not found: "+r.URL.Path)
		return
	}
	name = strings.TrimSuffix(name, "/timeSeries")
	switch {
	case s.Disabled:
		fakegoogle.Error(w, 403, "PERMISSION_DENIED", fmt.Sprintf("Cloud Monitoring API has not been used in project %s before or it is disabled.", s.project),
			map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED", "domain": "googleapis.com"})
		return
	case s.Denied || name != "projects/"+s.project:
		fakegoogle.Error(w, 403, "PERMISSION_DENIED", fmt.Sprintf("Permission monitoring.timeSeries.list denied (or the resource may not exist). %s", name))
		return
	}
	q := r.URL.Query()
	bad := func(format string, args ...any) {
		fakegoogle.Error(w, 400, "INVALID_ARGUMENT", fmt.Sprintf(format, args...))
	}
	conds := map[string]string{}
	for _, term := range strings.Split(q.Get("filter"), " AND ") {
		m := filterTerm.FindStringSubmatch(strings.TrimSpace(term))
		if m == nil {
			bad("Field filter had an invalid value of %q: the fake understands only ANDed equalities", q.Get("filter"))
			return
		}
		conds[strings.Replace(m[1], ".labels.", ".label.", 1)] = m[2]
	}
	if conds["metric.type"] == "" {
		bad("Field filter had an invalid value: it must name exactly one metric.type")
		return
	}
	end, err := time.Parse(time.RFC3339, q.Get("interval.endTime"))
	if err != nil {
		bad("Field interval.endTime had an invalid value of %q", q.Get("interval.endTime"))
		return
	}
	start := end
	if v := q.Get("interval.startTime"); v != "" {
		if start, err = time.Parse(time.RFC3339, v); err != nil || start.After(end) {
			bad("Field interval.startTime had an invalid value of %q", v)
			return
		}
	}
	aligner, reducer := q.Get("aggregation.perSeriesAligner"), q.Get("aggregation.crossSeriesReducer")
	var period time.Duration
	if aligner != "" && aligner != "ALIGN_NONE" {
		p, err := time.ParseDuration(q.Get("aggregation.alignmentPeriod"))
		if err != nil || p < time.Minute {
			bad("The alignment period must be at least 60 seconds, not %q", q.Get("aggregation.alignmentPeriod"))
			return
		}
		period = p
	}
	if reducer != "" && reducer != "REDUCE_NONE" && period == 0 {
		bad("A cross-series reducer requires a per-series aligner other than ALIGN_NONE and an alignment period")
		return
	}
	if q.Get("view") != "FULL" && q.Get("view") != "" {
		bad("the fake serves view FULL only")
		return
	}
	var matched []Series
	for _, se := range s.series {
		if se.Metric != conds["metric.type"] || (conds["resource.type"] != "" && se.Resource != conds["resource.type"]) {
			continue
		}
		ok := true
		for k, v := range conds {
			if l, found := strings.CutPrefix(k, "resource.label."); found && se.ResourceLabels[l] != v {
				ok = false
			}
			if l, found := strings.CutPrefix(k, "metric.label."); found && se.MetricLabels[l] != v {
				ok = false
			}
		}
		if ok {
			matched = append(matched, se)
		}
	}
	out, err := aggregate(matched, start, end, period, aligner, reducer, q["aggregation.groupByFields"])
	if err != nil {
		bad("%v", err)
		return
	}
	// Pages count points.
	limit := 100000
	if v, err := strconv.Atoi(q.Get("pageSize")); err == nil && v > 0 {
		limit = min(limit, v)
	}
	if s.PageSize > 0 {
		limit = min(limit, s.PageSize)
	}
	offset := 0
	if tok := q.Get("pageToken"); tok != "" {
		n, ok := fakegoogle.PageOffset(tok, "", len(out))
		if !ok {
			bad("Field pageToken had an invalid value of %q", tok)
			return
		}
		offset = n
	}
	resp := map[string]any{}
	var page []map[string]any
	points := 0
	i := offset
	for ; i < len(out); i++ {
		n := len(out[i]["points"].([]map[string]any))
		if points > 0 && points+n > limit {
			break
		}
		page = append(page, out[i])
		points += n
	}
	if len(page) > 0 {
		resp["timeSeries"] = page
	}
	if i < len(out) {
		resp["nextPageToken"] = fakegoogle.PageToken(i, "")
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(resp)
}

// bucket is one aligned period of one output series.
type bucket struct {
	start, end time.Time
	count      int64
	samples    []float64
}

// aggregate aligns each series into periods ending at end, back to start,
// then reduces the series of each group.
func aggregate(series []Series, start, end time.Time, period time.Duration, aligner, reducer string, groupBy []string) ([]map[string]any, error) {
	if period == 0 {
		return nil, fmt.Errorf("the fake needs an aligner")
	}
	distribution := len(series) > 0 && series[0].Distribution
	switch {
	case !distribution && aligner != "ALIGN_SUM" && aligner != "ALIGN_DELTA":
		return nil, fmt.Errorf("the fake aligns counts with ALIGN_SUM or ALIGN_DELTA, not %s", aligner)
	case distribution && aligner != "ALIGN_DELTA" && aligner != "ALIGN_SUM":
		return nil, fmt.Errorf("the fake aligns distributions with ALIGN_DELTA or ALIGN_SUM, not %s", aligner)
	}
	var percentile float64
	switch {
	case reducer == "" || reducer == "REDUCE_NONE" || reducer == "REDUCE_SUM":
	case strings.HasPrefix(reducer, "REDUCE_PERCENTILE_"):
		p, _ := strconv.Atoi(strings.TrimPrefix(reducer, "REDUCE_PERCENTILE_"))
		percentile = float64(p)
	default:
		return nil, fmt.Errorf("the fake does not reduce with %s", reducer)
	}
	type group struct {
		metric, resource map[string]string
		buckets          map[time.Time]*bucket
	}
	groups := map[string]*group{}
	var order []string
	for _, se := range series {
		metric, resource := map[string]string{}, map[string]string{}
		key := ""
		if reducer == "" || reducer == "REDUCE_NONE" {
			metric, resource = se.MetricLabels, se.ResourceLabels
			key = fmt.Sprint(se.MetricLabels, se.ResourceLabels)
		} else {
			for _, f := range groupBy {
				f = strings.Replace(f, ".labels.", ".label.", 1)
				if l, ok := strings.CutPrefix(f, "resource.label."); ok {
					resource[l] = se.ResourceLabels[l]
				} else if l, ok := strings.CutPrefix(f, "metric.label."); ok {
					metric[l] = se.MetricLabels[l]
				} else if f != "resource.type" {
					return nil, fmt.Errorf("the fake cannot group by %q", f)
				}
				key += f + "=" + resource[strings.TrimPrefix(f, "resource.label.")] + metric[strings.TrimPrefix(f, "metric.label.")] + ";"
			}
		}
		g := groups[key]
		if g == nil {
			g = &group{metric: metric, resource: resource, buckets: map[time.Time]*bucket{}}
			groups[key] = g
			order = append(order, key)
		}
		for _, p := range se.Points {
			if !p.End.After(start) || p.End.After(end) {
				continue
			}
			// The period (bEnd-period, bEnd] holding the point.
			n := end.Sub(p.End) / period
			bEnd := end.Add(-n * period)
			b := g.buckets[bEnd]
			if b == nil {
				b = &bucket{start: bEnd.Add(-period), end: bEnd}
				g.buckets[bEnd] = b
			}
			b.count += p.Count
			b.samples = append(b.samples, p.Samples...)
		}
	}
	sort.Strings(order)
	var out []map[string]any
	for _, key := range order {
		g := groups[key]
		var ends []time.Time
		for t := range g.buckets {
			ends = append(ends, t)
		}
		if len(ends) == 0 {
			continue
		}
		sort.Slice(ends, func(i, j int) bool { return ends[i].After(ends[j]) }) // newest first
		kind, vtype := "DELTA", "INT64"
		var points []map[string]any
		for _, t := range ends {
			b := g.buckets[t]
			var value map[string]any
			switch {
			case percentile > 0:
				kind, vtype = "GAUGE", "DOUBLE"
				value = map[string]any{"doubleValue": pct(b.samples, percentile)}
			case distribution:
				vtype = "DISTRIBUTION"
				value = map[string]any{"distributionValue": map[string]any{"count": strconv.Itoa(len(b.samples))}}
			default:
				value = map[string]any{"int64Value": strconv.FormatInt(b.count, 10)}
			}
			points = append(points, map[string]any{"interval": map[string]any{"startTime": b.start.UTC().Format(time.RFC3339), "endTime": b.end.UTC().Format(time.RFC3339)},
				"value": value})
		}
		out = append(out, map[string]any{"metric": map[string]any{"type": series[0].Metric, "labels": g.metric},
			"resource": map[string]any{"type": series[0].Resource, "labels": g.resource}, "metricKind": kind, "valueType": vtype, "points": points})
	}
	return out, nil
}

// pct is the nearest-rank percentile of pooled samples.
func pct(samples []float64, p float64) float64 {
	if len(samples) == 0 {
		return 0
	}
	s := append([]float64(nil), samples...)
	sort.Float64s(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
