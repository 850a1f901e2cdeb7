package lb

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// LBTrafficErrors reports what the load balancers' logs say went wrong.
var LBTrafficErrors = &inspect.Rule{
	ID:         "lb-traffic-errors",
	Severity:   inspect.Warning,
	JudgesOnly: inventory.LoggingRequests,
	Needs:      []inventory.Source{inventory.LoggingRequests, inventory.LoggingHealthChecks, inventory.LoggingPassthrough},
	Title:      "The load balancers' logs show no failure that lbdiag's configuration rules do not explain (--logs)",
	Doc: inspect.Doc{
		Why: `With --logs, lbdiag reads the window's request logs of the Application Load Balancers (resource types http_load_balancer, internal_http_lb_rule, http_external_regional_lb_rule: the server errors and the proxy's own failures, with their statusDetails) and the health checks' probe logs. statusDetails says who failed: backend_connection_closed_before_data_sent_to_client is a backend stopping with requests in flight (the drain, preStop and grace rules), failed_to_pick_backend means no healthy backend (the health and health-check rules), failed_to_connect_to_backend a firewall or port, backend_timeout the backend service's timeoutSec, response_sent_by_backend an error of the application itself. When a configuration rule explains the failure, its counts, time range and samples become that finding's evidence; otherwise this rule reports it. Client-side failures (client_disconnected_before_any_response, Cloud Armor's denials) are counted but never reported on their own. Backend services with request logging off give no evidence; coverage lists them (see backend-logging-disabled): no logs is never taken as no errors.`,
		Fix: `Fix the cause each finding names; read the entries behind it in Logs Explorer with the filter in the evidence.`,
		Sources: []string{"Logging and monitoring for external Application Load Balancers: statusDetails (" + docLBLogs + ")",
			"Internal Application Load Balancer logging (cloud.google.com/load-balancing/docs/l7-internal/monitoring)",
			"Health check logging: healthCheckProbeResult (cloud.google.com/load-balancing/docs/health-check-logging)", core.SrcTroubleshoot},
		URL: docLBLogs,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		ps := inventory.ProjectScope(inv.Project)
		logs := inv.Logs
		if logs == nil {
			// Logs asked for (--logs) and not read are a place the rule
			// could not check; logs not asked for are not.
			for _, c := range inv.Coverage {
				if c.Source == inventory.LoggingRequests && c.Scope == ps {
					p.Known(inventory.LoggingRequests, ps)
					break
				}
			}
			return
		}
		// Each backend service whose request logs were read is judged:
		// those of the project's Application Load Balancers with logging
		// on. Probe logs add findings, not judgements; when they were not
		// read, the pass says so.
		if p.Known(inventory.LoggingRequests, ps) {
			for _, bs := range inv.Compute.BackendServices {
				if requestsLogged(inv, bs) {
					p.Judge(core.BackendServiceResource(bs))
				}
			}
		}
		p.Known(inventory.LoggingHealthChecks, ps)
		byKey := map[string]*compute.BackendService{}
		for _, bs := range inv.Compute.BackendServices {
			byKey[inventory.ScopedKey(bs.SelfLink)] = bs
		}
		window := windowText(logs.Until.Sub(logs.Since))
		for _, key := range core.SortedKeys(logs.Requests) {
			bs := byKey[key]
			if bs == nil {
				continue
			}
			owners := ownersOf(p, bs)
			type group struct {
				cause    core.TrafficCause
				failures []inventory.RequestFailures
			}
			groups := map[string]*group{}
			noise := 0
			for _, f := range logs.Requests[key] {
				c, _ := core.CauseOfStatusDetails(f.Details)
				if c.Noise {
					noise += f.Count
					continue
				}
				g := groups[c.Label]
				if g == nil {
					g = &group{cause: c}
					groups[c.Label] = g
				}
				g.failures = append(g.failures, f)
			}
			for _, label := range core.SortedKeys(groups) {
				g := groups[label]
				sort.Slice(g.failures, func(i, j int) bool { return g.failures[i].Count > g.failures[j].Count })
				var parts []string
				first, last := g.failures[0].First, g.failures[0].Last
				for i, f := range g.failures {
					if f.First.Before(first) {
						first = f.First
					}
					if f.Last.After(last) {
						last = f.Last
					}
					// The busiest few; the evidence holds them all.
					switch {
					case i < maxProbeLines:
						parts = append(parts, fmt.Sprintf("%d× %d %s", f.Count, f.Status, detailsText(f.Details)))
					case i == maxProbeLines:
						parts = append(parts, fmt.Sprintf("%d more kinds", len(g.failures)-i))
					}
				}
				summary := fmt.Sprintf("%s in the last %s (%s to %s)", strings.Join(parts, ", "), window, first.UTC().Format(time.RFC3339), last.UTC().Format(time.RFC3339))
				ev := map[string]any{"window": map[string]any{"since": logs.Since, "until": logs.Until}, "failures": g.failures, "cause": g.cause.Label,
					"clientSideCounted": noise, "logsFilter": logsFilter(bs, g.failures, logs.Since)}
				if logs.CappedRequests[key] {
					// A cap or a failed page stopped the reading: the counts
					// are lower bounds.
					ev["capped"] = true
					summary = "at least " + summary
				}
				cause, fix := g.cause.Label, g.cause.Fix
				if g.cause.Timeout {
					cause += fmt.Sprintf(" (%d s)", bs.TimeoutSec)
					ev["timeoutSec"] = bs.TimeoutSec
					if f := timeoutFix(p, bs); f != "" {
						fix = f
					}
				}
				f := inspect.Finding{
					Key:         "requests:" + label,
					Resource:    owners.bs,
					Evidence:    ev,
					Message:     fmt.Sprintf("The request logs of backend service %s show %s: %s", bs.Name, summary, cause),
					Remediation: fix,
					AttachNote:  "logs: " + summary,
				}
				if g.cause.Backend {
					f.Severity = inspect.Info
				}
				if len(g.cause.Rules) > 0 {
					f.AttachTo = owners.attachments(g.cause.Rules)
					f.Message += fmt.Sprintf(", which no finding of %s explains", strings.Join(g.cause.Rules, ", "))
				}
				p.Report(f)
			}
		}
		// Probe logs: why the health checks fail, per backend service.
		negs := map[string]*compute.NetworkEndpointGroup{}
		for _, n := range inv.Compute.NEGs {
			negs[inventory.RelativeName(n.SelfLink)] = n
		}
		for _, bs := range inv.Compute.BackendServices {
			var lines []string
			var results []map[string]any
			for _, b := range bs.Backends {
				for _, r := range logs.ProbesOf(b.Group, negs[inventory.RelativeName(b.Group)]) {
					if r.State == "HEALTHY" {
						continue // it failed in the window and recovered
					}
					where := core.ScopeName(b.Group)
					if strings.Contains(b.Group, "/instanceGroups/") {
						where = "instance group " + inventory.LastSegment(b.Group) + " in " + where
					}
					line := fmt.Sprintf("%s (%s) %s since %s", r.Endpoint, where, detailsText(r.Detailed), r.Since.UTC().Format(time.RFC3339))
					if r.Result != "" {
						line += fmt.Sprintf(" (%q)", r.Result)
					}
					lines = append(lines, line)
					results = append(results, map[string]any{"group": inventory.RelativeName(b.Group), "endpoint": r.Endpoint, "healthState": r.State,
						"detailedHealthState": r.Detailed, "probeResultText": r.Result, "since": r.Since})
				}
			}
			if len(lines) == 0 {
				continue
			}
			owners := ownersOf(p, bs)
			timedOut := false
			for _, r := range results {
				timedOut = timedOut || r["detailedHealthState"] == "TIMEOUT"
			}
			why, explain := core.ProbeExplanation(timedOut)
			if len(lines) > maxProbeLines {
				lines = append(lines[:maxProbeLines], fmt.Sprintf("%d more endpoints", len(lines)-maxProbeLines))
			}
			summary := fmt.Sprintf("health-check probes fail: %s", strings.Join(lines, "; "))
			p.Report(inspect.Finding{
				Key:         "probes",
				Resource:    owners.bs,
				Evidence:    map[string]any{"probes": results, "cause": why},
				Message:     fmt.Sprintf("The health-check logs of backend service %s say its %s: %s", bs.Name, summary, why),
				Remediation: "check the firewall for Google's health-check ranges, the health check's port and path, and the application's health endpoint",
				AttachTo:    owners.attachments(explain),
				AttachNote:  "logs: " + summary,
			})
		}
	},
}

// requestsLogged reports whether lbdiag reads a backend service's request
// logs: one of the project's, of an Application Load Balancer (the log
// types http_load_balancer, internal_http_lb_rule,
// http_external_regional_lb_rule), with logging on.
func requestsLogged(inv *inventory.Inventory, bs *compute.BackendService) bool {
	if inventory.ProjectOf(bs.SelfLink) != inv.Project || bs.LogConfig == nil || !bs.LogConfig.Enable {
		return false
	}
	switch {
	case bs.Region == "" && (bs.LoadBalancingScheme == "EXTERNAL" || bs.LoadBalancingScheme == "EXTERNAL_MANAGED"):
		return true
	case bs.Region != "" && (bs.LoadBalancingScheme == "INTERNAL_MANAGED" || bs.LoadBalancingScheme == "EXTERNAL_MANAGED"):
		return true
	}
	return false
}

// maxProbeLines bounds the endpoints a probe message names; the evidence
// holds them all.
const maxProbeLines = 5

const docLBLogs = "https://cloud.google.com/load-balancing/docs/https/https-logging-monitoring"

// bsOwnerResources are the resources other rules report about for a
// backend service: itself, its Service, the workloads of the Service and
// the Ingresses and Gateways that route to it.
type bsOwnerResources struct {
	bs        inspect.Resource
	service   *inspect.Resource
	workloads []inspect.Resource
	owners    []inspect.Resource
}

// trafficIndex joins, once per run, each backend service (by scoped key)
// with the cluster and the Ingresses and Gateways that name it, and with
// the Service port it serves through NEGs.
type trafficIndex struct {
	serving map[string]servingOf
	negs    map[*compute.BackendService]negBackend
}

type servingOf struct {
	cl     *inventory.Cluster
	owners []string
}

type negBackend struct {
	n    core.NEGServing
	port corev1.ServicePort
}

func indexOf(p *inspect.Pass) *trafficIndex { return trafficIndexOf.Of(p) }

var trafficIndexOf = inspect.NewDerived("lb.traffic", func(p *inspect.Pass) *trafficIndex {
	x := &trafficIndex{serving: map[string]servingOf{}, negs: map[*compute.BackendService]negBackend{}}
	for _, cl := range p.Inventory.Clusters {
		for key, owners := range inventory.ServingBackendServices(cl) {
			if _, seen := x.serving[key]; !seen && len(owners) > 0 {
				x.serving[key] = servingOf{cl: cl, owners: owners}
			}
		}
	}
	for _, n := range core.IndexOf(p).NEGServings() {
		for _, sb := range n.Backends {
			if _, seen := x.negs[sb.BS]; !seen {
				x.negs[sb.BS] = negBackend{n: n, port: sb.Port}
			}
		}
	}
	return x
})

func ownersOf(p *inspect.Pass, bs *compute.BackendService) bsOwnerResources {
	out := bsOwnerResources{bs: core.BackendServiceResource(bs)}
	s, ok := indexOf(p).serving[inventory.ScopedKey(bs.SelfLink)]
	if !ok {
		return out
	}
	cl := s.cl
	for _, o := range s.owners {
		kind, ref, _ := strings.Cut(o, " ")
		ns, name, _ := strings.Cut(ref, "/")
		out.owners = append(out.owners, core.KubeResource(cl, kind, core.MetaOf(ns, name)))
	}
	if _, svc := gke.BackendServiceMaker(bs); svc != "" {
		ns, name, _ := strings.Cut(svc, "/")
		if svc := core.FindService(cl, ns, name); svc != nil {
			r := core.KubeResource(cl, "Service", svc.ObjectMeta)
			out.service = &r
			for _, w := range core.WorkloadsOf(cl, svc) {
				out.workloads = append(out.workloads, core.KubeResource(cl, w.Kind, *w.Meta))
			}
		}
	}
	return out
}

// attachments are the findings that explain a traffic failure, in the
// order of the cause's rules: the first that fired takes the evidence.
func (o bsOwnerResources) attachments(rules []string) *inspect.Attachment {
	var cands []inspect.Attachment
	for _, rule := range rules {
		switch rule {
		case "prestop-hook-missing", "prestop-shorter-than-drain", "termination-grace-too-short":
			for _, w := range o.workloads {
				cands = append(cands, inspect.Attachment{Rule: rule, Resource: w})
			}
		case "proxy-only-firewall-missing", "health-check-firewall-missing", "ingress-service-port-missing":
			for _, r := range o.owners {
				cands = append(cands, inspect.Attachment{Rule: rule, Resource: r})
			}
			// A backend service GKE did not build: the finding is on it.
			if rule == "health-check-firewall-missing" {
				cands = append(cands, inspect.Attachment{Rule: rule, Resource: o.bs})
			}
		case "readiness-probe-health-check-mismatch", "neg-missing", "l4-health-check-firewall-missing":
			if o.service != nil {
				cands = append(cands, inspect.Attachment{Rule: rule, Resource: *o.service})
			}
		default:
			cands = append(cands, inspect.Attachment{Rule: rule, Resource: o.bs})
			if o.service != nil && rule == "neg-drain-timeout-unset" {
				cands = append(cands, inspect.Attachment{Rule: rule, Resource: *o.service}) // a Gateway's Service
			}
		}
	}
	if len(cands) == 0 {
		return nil
	}
	return &inspect.Attachment{Rule: cands[0].Rule, Resource: cands[0].Resource, Or: cands[1:]}
}

// detailsText renders a statusDetails for a message.
func detailsText(details string) string {
	if details == "" {
		return "(no statusDetails)"
	}
	return details
}

// windowText says how long the logs' window is: "hour", "30 minutes".
func windowText(d time.Duration) string {
	switch {
	case d == time.Hour:
		return "hour"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

// timeoutFix is the command that raises a GKE backend service's timeout
// where its controller reads it: the BackendConfig of the Service's port,
// or the GCPBackendPolicy targeting the Service. "" when lbdiag cannot
// name it.
func timeoutFix(p *inspect.Pass, bs *compute.BackendService) string {
	next := max(2*bs.TimeoutSec, 60)
	nb, ok := indexOf(p).negs[bs]
	if !ok {
		return ""
	}
	n, svc := nb.n, nb.n.Svc
	if strings.HasPrefix(bs.Name, "gkegw") {
		if n.Policy != nil {
			return fmt.Sprintf(`kubectl patch gcpbackendpolicy %s -n %s --type merge -p '{"spec":{"default":{"timeoutSec":%d}}}'   # if the requests are meant to take that long; else make them faster`,
				n.Policy.Name, n.Policy.Namespace, next)
		}
		return ""
	}
	if ref, ok, err := gke.ParseBackendConfig(svc); ok && err == nil {
		if name := ref.ForPort(nb.port); name != "" {
			return fmt.Sprintf(`kubectl patch backendconfig %s -n %s --type merge -p '{"spec":{"timeoutSec":%d}}'   # if the requests are meant to take that long; else make them faster`,
				name, svc.Namespace, next)
		}
	}
	return ""
}

// logsFilter is the Logs Explorer query that shows a group of failures.
func logsFilter(bs *compute.BackendService, failures []inventory.RequestFailures, since time.Time) string {
	var details, statuses []string
	for _, f := range failures {
		if f.Details != "" {
			details = append(details, strconv.Quote(f.Details))
		} else {
			statuses = append(statuses, strconv.Itoa(f.Status))
		}
	}
	var which []string
	if len(details) > 0 {
		which = append(which, "jsonPayload.statusDetails=("+strings.Join(details, " OR ")+")")
	}
	if len(statuses) > 0 {
		which = append(which, "(httpRequest.status=("+strings.Join(statuses, " OR ")+") AND NOT jsonPayload.statusDetails:*)")
	}
	return fmt.Sprintf(`resource.labels.backend_service_name=%q AND timestamp>=%q AND (%s)`, bs.Name, since.UTC().Format(time.RFC3339), strings.Join(which, " OR "))
}
