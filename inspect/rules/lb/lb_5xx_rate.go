package lb

import (
	"fmt"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// min5xxRequests is the fewest requests over the window whose error ratio
// lb-5xx-rate judges: below it one failed request is a large ratio of
// almost nothing.
const min5xxRequests = 100

// LB5xxRate reports load balancers whose server-error ratio, as Cloud
// Monitoring counts it, is above the threshold.
var LB5xxRate = &inspect.Rule{
	ID:         "lb-5xx-rate",
	Severity:   inspect.Warning,
	JudgesOnly: inventory.MonitoringTraffic,
	Title:      "No load balancer answers more than --max-5xx-ratio of its requests with a server error that no configuration finding explains (--metrics)",
	Doc: inspect.Doc{
		Why: `With --metrics, lbdiag reads each Application Load Balancer's request count by response class from Cloud Monitoring (loadbalancing.googleapis.com/https/request_count and its regional and internal equivalents), over the window, for every URL map, whatever its request logging. A load balancer that answered more than --max-5xx-ratio (default 1 %) of at least 100 requests with a 5xx status is failing users now. When a configuration finding on its backend services, Services, workloads or Ingress explains server errors (a firewall, no healthy backend, a drain that cuts requests, a timeout, what the request logs say), the rate is added to that finding as evidence; otherwise this rule reports it, so that errors are never left without a cause, or an explicit "unexplained". It complements lb-traffic-errors where request logging is off or sampled low.`,
		Fix: `Read what failed: lbdiag inspect --logs 1h (the request logs' statusDetails name the cause), or the load balancer's request logs in Logs Explorer; turn request logging on where it is off (backend-logging-disabled).`,
		Sources: []string{"Cloud Monitoring metrics for Application Load Balancers: https/request_count, response_code_class (cloud.google.com/load-balancing/docs/metrics)",
			"Google Cloud metrics: loadbalancing (cloud.google.com/monitoring/api/metrics_gcp)", core.SrcTroubleshoot},
		URL: "https://cloud.google.com/load-balancing/docs/metrics",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		m := inv.Metrics
		if m == nil {
			// Metrics asked for and not read are a place the rule could
			// not check; metrics not asked for are not.
			for _, c := range inv.Coverage {
				if c.Source == inventory.MonitoringTraffic {
					p.Known(inventory.MonitoringTraffic, c.Scope)
				}
			}
			return
		}
		g := core.GraphOf(p)
		byLink := map[string]*compute.BackendService{}
		for _, bs := range inv.Compute.BackendServices {
			byLink[inventory.RelativeName(bs.SelfLink)] = bs
		}
		window := windowText(m.Until.Sub(m.Since))
		for _, um := range inv.Compute.URLMaps {
			if inventory.ProjectOf(um.SelfLink) != inv.Project {
				continue
			}
			res := core.ResourceOf("UrlMap", um.SelfLink)
			t := m.Traffic[inventory.TrafficKeyOf(inventory.TrafficURLMap, um.SelfLink)]
			if t == nil || t.Requests < min5xxRequests {
				p.Judge(res) // idle, or too few requests to judge a ratio: passes
				continue
			}
			p.Judge(res)
			ratio := t.Errors5xx / t.Requests
			if ratio <= m.Max5xxRatio {
				continue
			}
			var cands []inspect.Attachment
			var backends []string
			for _, rel := range g.MapBackends[inventory.RelativeName(um.SelfLink)] {
				bs := byLink[rel]
				if bs == nil {
					continue
				}
				backends = append(backends, bs.Name)
				if a := ownersOf(p, bs).attachments(core.ServerErrorRules); a != nil {
					cands = append(cands, append([]inspect.Attachment{{Rule: a.Rule, Resource: a.Resource}}, a.Or...)...)
				}
			}
			ev := map[string]any{"urlMap": um.Name, "window": window, "requests": t.Requests, "errors5xx": t.Errors5xx, "ratio5xx": ratio,
				"max5xxRatio": m.Max5xxRatio, "backendServices": backends, "metric": "loadbalancing.googleapis.com/https/request_count (response_code_class 500)"}
			if t.HasP95 {
				ev["backendLatencyP95Ms"] = t.P95Ms
			}
			f := inspect.Finding{
				Message: fmt.Sprintf("URL map %s answered %.1f%% of its %.0f requests of the last %s with a server error (%.0f 5xx, above --max-5xx-ratio %.1f%%), and no configuration finding explains it",
					um.Name, 100*ratio, t.Requests, window, t.Errors5xx, 100*m.Max5xxRatio),
				Resource: res,
				Evidence: ev,
				Remediation: fmt.Sprintf("lbdiag inspect --project %s --logs %s   # the request logs' statusDetails name the cause; or in Logs Explorer: resource.labels.url_map_name=%q AND httpRequest.status>=500",
					inv.Project, logsWindowFlag(m.Until.Sub(m.Since)), um.Name),
				AttachNote: fmt.Sprintf("Cloud Monitoring counts %.1f%% server errors (%.0f of %.0f requests) on URL map %s over the last %s", 100*ratio, t.Errors5xx, t.Requests, um.Name, window),
			}
			if len(cands) > 0 {
				f.AttachTo = &inspect.Attachment{Rule: cands[0].Rule, Resource: cands[0].Resource, Or: cands[1:]}
			}
			p.Report(f)
		}
	},
}

// logsWindowFlag is a --logs value covering a window, at most 24h.
func logsWindowFlag(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return "24h"
	case d >= time.Hour:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return "1h"
}
