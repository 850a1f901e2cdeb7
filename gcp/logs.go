package gcp

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	compute "google.golang.org/api/compute/v1"
	logging "google.golang.org/api/logging/v2"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inventory"
)

// Cloud Logging: the endpoint, the longest window lbdiag reads, and the
// default cap of entries per query. The Logging API allows about 60
// entries.list calls a minute per project: lbdiag sends one filter per
// load-balancer resource type (and per 50 backend services), pages of
// 1,000, and stops at the cap.
const (
	DefaultLoggingEndpoint = "https://logging.googleapis.com/"
	MaxLogWindow           = 24 * time.Hour
	DefaultLogEntryCap     = 1000
	// logSamples is how many redacted requests of each failure are kept.
	logSamples = 2
	// logNamesPerQuery is the most backend-service names a filter lists
	// (Cloud Logging's filters hold at most 20,000 characters); with more,
	// the query reads every backend service of its type and lbdiag keeps
	// the ones it inspects.
	logNamesPerQuery = 250
	// logQueryEntries bounds the entries of one request-log query, however
	// many backend services it covers: 10 pages.
	logQueryEntries = 10000
)

// requestLogType is the monitored-resource type of a backend service's
// request logs, by the Application Load Balancer it serves ("" for the
// others).
func requestLogType(bs *compute.BackendService) string {
	switch {
	case bs.Region == "" && (bs.LoadBalancingScheme == "EXTERNAL" || bs.LoadBalancingScheme == "EXTERNAL_MANAGED"):
		return "http_load_balancer" // global external and classic
	case bs.Region != "" && bs.LoadBalancingScheme == "INTERNAL_MANAGED":
		return "internal_http_lb_rule"
	case bs.Region != "" && bs.LoadBalancingScheme == "EXTERNAL_MANAGED":
		return "http_external_regional_lb_rule"
	}
	return ""
}

// plainBackendResponses are statusDetails of a response the backend sent
// as it was: not a failure of the load balancer's.
var plainBackendResponses = []string{"response_sent_by_backend", "via_upstream", "response_from_cache", "response_from_cache_validated"}

// logPayload is the part of a log entry's JSON payload lbdiag reads.
type logPayload struct {
	StatusDetails string `json:"statusDetails"`
	Probe         *struct {
		HealthState                 string `json:"healthState"`
		DetailedHealthState         string `json:"detailedHealthState"`
		PreviousDetailedHealthState string `json:"previousDetailedHealthState"`
		IPAddress                   string `json:"ipAddress"`
		TargetIP                    string `json:"targetIp"`
		TargetPort                  int    `json:"targetPort"`
		ProbeResultText             string `json:"probeResultText"`
	} `json:"healthCheckProbeResult"`
	GKE *struct {
		Cluster struct {
			ClusterName     string `json:"cluster_name"`
			ClusterLocation string `json:"cluster_location"`
		} `json:"cluster"`
		Service struct {
			ServiceName      string `json:"service_name"`
			ServiceNamespace string `json:"service_namespace"`
		} `json:"service"`
	} `json:"gke_details"`
}

func resourceLabel(e *logging.LogEntry, k string) string {
	if e.Resource == nil {
		return ""
	}
	return e.Resource.Labels[k]
}

// collectLogs reads the window's load-balancer logs of the project: the
// request failures of every backend service with request logging on, the
// health checks' probe results, and the passthrough load balancers'
// connections. Each kind is one coverage entry.
func (c *collector) collectLogs(ctx context.Context, hcReady <-chan struct{}) {
	window := c.opts.Logs
	if window <= 0 {
		return
	}
	svc, err := logging.NewService(ctx, c.clientOptions(recording.APILogging, c.opts.LoggingEndpoint, DefaultLoggingEndpoint)...)
	if err != nil {
		c.cover(inventory.Coverage{Source: inventory.LoggingRequests, Scope: inventory.ProjectScope(c.opts.Project), Status: inventory.StatusError, Error: c.errorText(err)})
		return
	}
	since, until, unknown := c.window(window, "logs")
	if unknown != "" {
		c.cover(inventory.Coverage{Source: inventory.LoggingRequests, Scope: inventory.ProjectScope(c.opts.Project), Status: inventory.StatusUnknown, Error: unknown})
		return
	}
	logs := &inventory.Logs{Since: since, Until: until, Requests: map[string][]inventory.RequestFailures{}, CappedRequests: map[string]bool{},
		Probes: map[string][]inventory.ProbeResult{}}
	scope := inventory.ProjectScope(c.opts.Project)
	ts := since.UTC().Format(time.RFC3339)

	c.mu.Lock()
	bss := append([]*compute.BackendService(nil), c.compute.BackendServices...)
	bsKnown := c.read(inventory.ComputeBackendServices, scope)
	c.mu.Unlock()

	// Request logs: one filter per resource type (below).
	byType := map[string][]*compute.BackendService{}
	var unlogged []string
	logged, passthrough := 0, false
	for _, bs := range bss {
		if inventory.ProjectOf(bs.SelfLink) != c.opts.Project {
			continue
		}
		if bs.LoadBalancingScheme == "INTERNAL" || (bs.LoadBalancingScheme == "EXTERNAL" && bs.Region != "") {
			passthrough = true
		}
		t := requestLogType(bs)
		if t == "" {
			continue
		}
		if bs.LogConfig == nil || !bs.LogConfig.Enable {
			unlogged = append(unlogged, bs.Name)
			continue
		}
		byType[t] = append(byType[t], bs)
		logged++
	}
	// The queries run at once (the limiter paces them): one per request
	// log type, the health checks', the passthrough load balancers'.
	var wg sync.WaitGroup
	var lmu sync.Mutex // guards logs and the tallies below
	if passthrough {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.readPassthroughLogs(ctx, svc, ts)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.readProbeLogs(ctx, svc, logs, &lmu, ts, bss, hcReady)
	}()

	cov := inventory.Coverage{Source: inventory.LoggingRequests, Scope: scope, Status: inventory.StatusOK}
	perBS := c.opts.logEntryCap()
	var entries int
	var failure error
	var readBack []string
	var rwg sync.WaitGroup
	for _, t := range sortedTypes(byType) {
		list := byType[t]
		scopeOf := map[string]string{}
		names := make([]string, len(list))
		for i, bs := range list {
			names[i] = strconv.Quote(bs.Name)
			scopeOf[bs.Name+"/"+inventory.LastSegment(bs.Region)] = inventory.ScopedKey(bs.SelfLink)
		}
		which := ""
		if len(names) <= logNamesPerQuery {
			which = fmt.Sprintf(" AND resource.labels.backend_service_name=(%s)", strings.Join(names, " OR "))
		}
		filter := fmt.Sprintf(`resource.type=%q AND timestamp>=%q%s AND (httpRequest.status>=500 OR (jsonPayload.statusDetails:* AND NOT jsonPayload.statusDetails=(%s)))`,
			t, ts, which, quoteAll(plainBackendResponses))
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			// At most perBS entries of each backend service, and at most
			// logQueryEntries in all: newest first, so a cut leaves the
			// newest part of the window.
			counted := map[string]int{}
			full := 0
			var oldest time.Time
			n, hit, err := c.listEntries(ctx, svc, filter, min(perBS*len(list), max(perBS, logQueryEntries)), func(e *logging.LogEntry) bool {
				if at, err := time.Parse(time.RFC3339Nano, e.Timestamp); err == nil {
					oldest = at
				}
				key := requestScope(e, scopeOf)
				if key == "" || counted[key] >= perBS {
					return full < len(list)
				}
				counted[key]++
				lmu.Lock()
				defer lmu.Unlock()
				if counted[key] == perBS {
					full++
					logs.CappedRequests[key] = true
				}
				addRequest(logs, e, key)
				return full < len(list)
			})
			lmu.Lock()
			defer lmu.Unlock()
			entries += n
			if hit || err != nil {
				// What was read before the cut or the failure is a lower
				// bound for every backend service of the query.
				for _, bs := range list {
					logs.CappedRequests[inventory.ScopedKey(bs.SelfLink)] = true
				}
				if hit && !oldest.IsZero() {
					readBack = append(readBack, fmt.Sprintf("%s back to %s", t, oldest.UTC().Format(time.RFC3339)))
				}
			}
			if err != nil && failure == nil {
				failure = err
			}
		}()
	}
	rwg.Wait()
	sort.Strings(readBack)
	cov.Detail = fmt.Sprintf("%d request log entries of %d backend services with logging on, %s to %s", entries, logged, ts, until.UTC().Format(time.RFC3339))
	if len(readBack) > 0 {
		cov.Detail += fmt.Sprintf("; the cap of %d entries a query stopped the reading of %s: older failures are not counted", logQueryEntries, strings.Join(readBack, ", "))
	}
	if len(logs.CappedRequests) > 0 {
		cov.Detail += fmt.Sprintf("; the counts of %d backend services are lower bounds (the cap of %d entries each, --log-entries, or a cut or failed query)", len(logs.CappedRequests), perBS)
	}
	if len(unlogged) > 0 {
		sort.Strings(unlogged)
		cov.Detail += fmt.Sprintf("; no log evidence for %d backend services whose request logging is off (%s): see backend-logging-disabled; no logs is not no errors",
			len(unlogged), strings.Join(firstN(unlogged, 5), ", "))
	}
	if !bsKnown {
		cov.Status, cov.Error = inventory.StatusUnknown, "the backend services could not be listed, so lbdiag could not tell which request logs to read"
	}
	c.endLogQuery(ctx, &cov, c.opts.logEntryCap(), "", false, failure)
	c.cover(cov)

	wg.Wait()
	c.mu.Lock()
	c.logs = logs
	c.mu.Unlock()
}

// readProbeLogs reads the health checks' probe logs: one entry per state
// change of an endpoint. The health checks of the project's backend
// services without logging give none.
func (c *collector) readProbeLogs(ctx context.Context, svc *logging.Service, logs *inventory.Logs, lmu *sync.Mutex, ts string, bss []*compute.BackendService, hcReady <-chan struct{}) {
	scope := inventory.ProjectScope(c.opts.Project)
	usedHC := map[string]bool{}
	for _, bs := range bss {
		for _, h := range bs.HealthChecks {
			usedHC[inventory.RelativeName(h)] = true
		}
	}
	var hcUnlogged []string
	select {
	case <-hcReady:
	case <-ctx.Done():
	}
	c.mu.Lock()
	hcs := append([]*compute.HealthCheck(nil), c.compute.HealthChecks...)
	c.mu.Unlock()
	for _, h := range hcs {
		if usedHC[inventory.RelativeName(h.SelfLink)] && (h.LogConfig == nil || !h.LogConfig.Enable) {
			hcUnlogged = append(hcUnlogged, h.Name)
		}
	}
	hcLog := "projects/" + c.opts.Project + "/logs/compute.googleapis.com%2Fhealthchecks"
	probes := map[string]map[string]inventory.ProbeResult{}
	n, hit, err := c.listEntries(ctx, svc, fmt.Sprintf(`logName=%q AND timestamp>=%q`, hcLog, ts), c.opts.logEntryCap(), func(e *logging.LogEntry) bool {
		addProbe(probes, e)
		return true
	})
	hcov := inventory.Coverage{Source: inventory.LoggingHealthChecks, Scope: scope, Status: inventory.StatusOK,
		Detail: fmt.Sprintf("%d probe log entries (health checks log state changes only)", n)}
	if len(hcUnlogged) > 0 {
		sort.Strings(hcUnlogged)
		hcov.Detail += fmt.Sprintf("; no probe logs from %d health checks whose logging is off (%s): see health-check-logging-disabled",
			len(hcUnlogged), strings.Join(firstN(hcUnlogged, 5), ", "))
	}
	c.endLogQuery(ctx, &hcov, c.opts.logEntryCap(), "", hit, err)
	lmu.Lock()
	defer lmu.Unlock()
	for group, eps := range probes {
		for _, p := range eps {
			logs.Probes[group] = append(logs.Probes[group], p)
		}
		sort.Slice(logs.Probes[group], func(i, j int) bool { return logs.Probes[group][i].Endpoint < logs.Probes[group][j].Endpoint })
	}
	c.cover(hcov)
}

// readPassthroughLogs counts the passthrough load balancers' connection
// log entries by the GKE Service they name, for the coverage entry:
// connections are not failures.
func (c *collector) readPassthroughLogs(ctx context.Context, svc *logging.Service, ts string) {
	counts := map[string]int{}
	filter := fmt.Sprintf(`resource.type=("loadbalancing.googleapis.com/InternalNetworkLoadBalancerRule" OR "loadbalancing.googleapis.com/ExternalNetworkLoadBalancerRule") AND timestamp>=%q`, ts)
	n, hit, err := c.listEntries(ctx, svc, filter, c.opts.logEntryCap(), func(e *logging.LogEntry) bool {
		var p logPayload
		if json.Unmarshal(e.JsonPayload, &p) == nil && p.GKE != nil && p.GKE.Service.ServiceName != "" {
			g := p.GKE
			counts["Service "+g.Service.ServiceNamespace+"/"+g.Service.ServiceName+" of cluster "+g.Cluster.ClusterLocation+"/"+g.Cluster.ClusterName]++
		}
		return true
	})
	cov := inventory.Coverage{Source: inventory.LoggingPassthrough, Scope: inventory.ProjectScope(c.opts.Project), Status: inventory.StatusOK,
		Detail: fmt.Sprintf("%d connection log entries of passthrough load balancers (where logging is on)", n)}
	if len(counts) > 0 {
		names := make([]string, 0, len(counts))
		for k := range counts {
			names = append(names, k)
		}
		sort.Slice(names, func(i, j int) bool {
			return counts[names[i]] > counts[names[j]] || counts[names[i]] == counts[names[j]] && names[i] < names[j]
		})
		for i, k := range names {
			names[i] = fmt.Sprintf("%s: %d", k, counts[k])
		}
		cov.Detail += "; by LoadBalancer Service: " + strings.Join(firstN(names, 5), ", ")
	}
	c.endLogQuery(ctx, &cov, c.opts.logEntryCap(), "", hit, err)
	c.cover(cov)
}

// endLogQuery completes a log query's coverage: the cap of limit entries
// that stopped it (with what that leaves out), or its error with the hint.
func (c *collector) endLogQuery(ctx context.Context, cov *inventory.Coverage, limit int, left string, hit bool, err error) {
	if hit {
		cov.Detail += fmt.Sprintf("; stopped at the cap of %d entries%s", limit, left)
	}
	if err != nil {
		cov.Status, cov.Error = inventory.StatusError, c.errorText(err)
		cov.Hint = c.googleHint(ctx, err, "logging", c.opts.Project, "logging.logEntries.list", "roles/logging.viewer")
	}
}

// listEntries reads the entries of a filter, newest first, page by page
// (at most 1,000 a page), until limit entries or until each returns false;
// hit says the limit stopped it with entries left. Cloud Logging may
// answer a page with no entries but a token (its search goes on): lbdiag
// follows it.
func (c *collector) listEntries(ctx context.Context, svc *logging.Service, filter string, limit int, each func(*logging.LogEntry) bool) (n int, hit bool, err error) {
	token := ""
	var guard pageGuard
	for {
		req := &logging.ListLogEntriesRequest{ResourceNames: []string{"projects/" + c.opts.Project}, Filter: filter, OrderBy: "timestamp desc",
			PageSize: int64(min(1000, limit-n)), PageToken: token}
		resp, err := svc.Entries.List(req).Context(ctx).Do()
		if err != nil {
			return n, false, err
		}
		for _, e := range resp.Entries {
			if n == limit {
				return n, true, nil
			}
			n++
			if !each(e) {
				return n, false, nil
			}
		}
		token = resp.NextPageToken
		switch {
		case token == "":
			return n, false, nil
		case n >= limit:
			return n, true, nil
		}
		if err := guard.next(token); err != nil {
			return n, false, err
		}
	}
}

// requestScope is the scoped key of the backend service a request log
// entry names.
func requestScope(e *logging.LogEntry, scopeOf map[string]string) string {
	name := resourceLabel(e, "backend_service_name")
	if key := scopeOf[name+"/"+resourceLabel(e, "region")]; key != "" {
		return key
	}
	return scopeOf[name+"/"]
}

// addRequest counts one failed request under its backend service, status
// and statusDetails.
func addRequest(logs *inventory.Logs, e *logging.LogEntry, key string) {
	// The transport redacted the entry before it was decoded: the URL has
	// no query string, and no client address is kept.
	var p logPayload
	json.Unmarshal(e.JsonPayload, &p)
	t, _ := time.Parse(time.RFC3339Nano, e.Timestamp)
	status := 0
	var sample inventory.RequestEntry
	if h := e.HttpRequest; h != nil {
		status = int(h.Status)
		sample = inventory.RequestEntry{Time: t, Method: h.RequestMethod, URL: h.RequestUrl, Status: status, Latency: h.Latency}
	}
	list := logs.Requests[key]
	for i := range list {
		f := &list[i]
		if f.Status == status && f.Details == p.StatusDetails {
			f.Count++
			if t.Before(f.First) {
				f.First = t
			}
			if t.After(f.Last) {
				f.Last = t
			}
			if len(f.Samples) < logSamples {
				f.Samples = append(f.Samples, sample)
			}
			return
		}
	}
	logs.Requests[key] = append(list, inventory.RequestFailures{Status: status, Details: p.StatusDetails, Count: 1, First: t, Last: t,
		Samples: []inventory.RequestEntry{sample}})
}

// addProbe keeps the newest probe result of each endpoint of each backend
// group (entries come newest first). Health checks log transitions only,
// so the newest entry's time is when the endpoint entered its state.
// Instance groups are logged as gce_instance_group (labels instance_group_name,
// location), NEGs as gce_network_endpoint_group (labels
// network_endpoint_group_id, zone).
func addProbe(probes map[string]map[string]inventory.ProbeResult, e *logging.LogEntry) {
	var p logPayload
	if json.Unmarshal(e.JsonPayload, &p) != nil || p.Probe == nil || e.Resource == nil {
		return
	}
	project := resourceLabel(e, "project_id")
	var group string
	switch e.Resource.Type {
	case "gce_instance_group":
		group = inventory.ProbeGroupKey(project, resourceLabel(e, "location"), "instanceGroups", resourceLabel(e, "instance_group_name"))
	case "gce_network_endpoint_group":
		group = inventory.ProbeGroupKey(project, resourceLabel(e, "zone"), "networkEndpointGroups", resourceLabel(e, "network_endpoint_group_id"))
	default:
		return
	}
	r := p.Probe
	ip := r.IPAddress
	if ip == "" {
		ip = r.TargetIP
	}
	ep := ip
	if r.TargetPort > 0 {
		ep += ":" + strconv.Itoa(r.TargetPort)
	}
	if probes[group] == nil {
		probes[group] = map[string]inventory.ProbeResult{}
	}
	if _, seen := probes[group][ep]; seen {
		return
	}
	t, _ := time.Parse(time.RFC3339Nano, e.Timestamp)
	state := r.DetailedHealthState
	if state == "" {
		state = r.HealthState
	}
	probes[group][ep] = inventory.ProbeResult{Endpoint: ep, State: r.HealthState, Detailed: state, Previous: r.PreviousDetailedHealthState,
		Result: r.ProbeResultText, Since: t}
}

func sortedTypes(m map[string][]*compute.BackendService) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func quoteAll(v []string) string {
	q := make([]string, len(v))
	for i, s := range v {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, " OR ")
}

func firstN(v []string, n int) []string {
	if len(v) > n {
		return append(v[:n:n], fmt.Sprintf("%d more", len(v)-n))
	}
	return v
}
