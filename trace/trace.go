package trace

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
	"github.com/lbdiag/lbdiag/report"
)

// Input is what a trace judges: the inventory a run read for the request
// and the findings of the rules on it.
type Input struct {
	Tool      report.Tool
	Inventory *inventory.Inventory
	Findings  []inspect.Finding
	// Failures are the rules' coverage gaps (inspect.Result.Failures).
	Failures []inventory.Coverage
	Request  Request
	// IP is --ip; Addresses are what the host resolved to; ResolveError
	// says why it did not (or that lbdiag did not try).
	IP           string
	Addresses    []string
	ResolveError string
}

// Trace follows the request through the project's load balancers.
func Trace(in Input) *Result {
	inv := in.Inventory
	x := newIndex(inv)
	x.addFindings(in.Findings)
	r := in.Request
	res := &Result{SchemaVersion: SchemaVersion, Tool: in.Tool, Project: inv.Project, Request: requestInfo(r), Candidates: []Candidate{}}
	if inv.Logs != nil {
		res.Logs = inv.Logs.URL
	}

	var chosen, near []*compute.ForwardingRule
	sel := &res.Selection
	switch {
	case in.IP != "":
		sel.Method, sel.Addresses = SelectIP, []string{in.IP}
		chosen, near = chooseByAddress(inv, r, sel.Addresses)
	case len(in.Addresses) > 0:
		sel.Method, sel.Addresses = SelectDNS, in.Addresses
		chosen, near = chooseByAddress(inv, r, sel.Addresses)
	default:
		sel.Method, sel.ResolveError = SelectHostRule, in.ResolveError
		chosen, near = chooseByHost(inv, r)
	}
	ps := inventory.ProjectScope(inv.Project)
	if !inv.Known(inventory.ComputeForwardingRules, ps) || (sel.Method == SelectHostRule && !inv.Known(inventory.ComputeURLMaps, ps)) {
		res.Gaps = gapsOf(inv, in.Failures, nil)
		res.Answer = fmt.Sprintf("could not tell which load balancer serves %s: the forwarding rules or URL maps of project %s could not be read", r.Host, inv.Project)
		res.ExitCode = ExitUnknown
		return res
	}
	if len(chosen) == 0 {
		res.Answer = x.noLoadBalancer(r, sel, near)
		res.ExitCode = ExitNoLoadBalancer
		res.Gaps = gapsOf(inv, in.Failures, nil)
		return res
	}
	sort.Slice(chosen, func(i, j int) bool { return chosen[i].SelfLink < chosen[j].SelfLink })
	var related []string
	for _, fr := range chosen {
		t := &tracer{x: x, r: r, fr: fr}
		c := t.candidate()
		res.Candidates = append(res.Candidates, c)
		related = append(related, t.scopes...)
	}
	res.Gaps = gapsOf(inv, in.Failures, related)
	res.ExitCode, res.Answer = summarize(res.Candidates, chosen)
	return res
}

// requestInfo is the request as the result shows it: credentials in
// headers and query parameters are redacted.
func requestInfo(r Request) RequestInfo {
	ri := RequestInfo{URL: untrusted.ScrubParams(r.URL()), Method: r.Method, Host: r.Host, Port: r.Port, Path: r.Path,
		Query: untrusted.ScrubParams(r.RawQuery), Headers: map[string][]string{}}
	for name, vals := range r.Headers {
		for _, v := range vals {
			if sensitiveHeader(name) {
				v = untrusted.Redacted
			}
			ri.Headers[name] = append(ri.Headers[name], v)
		}
	}
	return ri
}

// sensitiveHeader reports whether a header carries credentials.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie", "x-goog-iap-jwt-assertion", "x-serverless-authorization":
		return true
	}
	return strings.Contains(n, "token") || strings.Contains(n, "secret") || strings.Contains(n, "api-key") || strings.Contains(n, "apikey")
}

// noLoadBalancer says why no forwarding rule serves the request.
func (x *index) noLoadBalancer(r Request, sel *Selection, near []*compute.ForwardingRule) string {
	proj := x.inv.Project
	for _, fr := range near {
		sel.Others = append(sel.Others, frontendInfo(x, fr))
	}
	switch sel.Method {
	case SelectIP:
		if len(near) > 0 {
			return fmt.Sprintf("no forwarding rule of project %s at %s takes %s on port %d: the ones there are %s", proj, sel.Addresses[0], r.Scheme, r.Port, describeFrontends(near))
		}
		return fmt.Sprintf("no forwarding rule of project %s has address %s", proj, sel.Addresses[0])
	case SelectDNS:
		if len(near) > 0 {
			return fmt.Sprintf("%s resolves to %s, but no forwarding rule there takes %s on port %d: the ones there are %s", r.Host, strings.Join(sel.Addresses, ", "), r.Scheme, r.Port, describeFrontends(near))
		}
		s := fmt.Sprintf("%s resolves to %s, which no forwarding rule of project %s has: the DNS record points elsewhere, or the load balancer is in another project", r.Host, strings.Join(sel.Addresses, ", "), proj)
		if named, _ := chooseByHost(x.inv, r); len(named) > 0 {
			sel.Others = nil
			for _, fr := range named {
				sel.Others = append(sel.Others, frontendInfo(x, fr))
			}
			s += fmt.Sprintf("; the URL maps naming %s are behind %s (trace one with --ip)", r.Host, describeFrontends(named))
		}
		return s
	}
	s := fmt.Sprintf("no load balancer of project %s serves host %s: no URL map behind a forwarding rule on port %d has a host rule naming it", proj, r.Host, r.Port)
	if sel.ResolveError != "" {
		s += " (and " + sel.ResolveError + ")"
	}
	if len(near) > 0 {
		s += fmt.Sprintf("; the %s load balancers on port %d are listed: trace one with --ip", r.Scheme, r.Port)
	}
	return s
}

func describeFrontends(frs []*compute.ForwardingRule) string {
	var parts []string
	for i, fr := range frs {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(frs)-5))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%s:%s)", fr.Name, fr.IPAddress, portsOf(fr)))
	}
	return strings.Join(parts, ", ")
}

// gapsOf are the coverage gaps that bear on the trace: the failed reads
// of the project's sources and of the resources the trace met (related
// scopes), and the rules' gaps on those.
func gapsOf(inv *inventory.Inventory, failures []inventory.Coverage, related []string) []inventory.Coverage {
	in := map[string]bool{inventory.ProjectScope(inv.Project): true}
	for _, s := range related {
		in[s] = true
	}
	var out []inventory.Coverage
	for _, c := range append(append(inventory.CoverageSet(nil), inv.Coverage...), failures...) {
		if !c.Gap() {
			continue
		}
		if in[c.Scope] || related == nil {
			// The collectors' errors quote what APIs said.
			out = append(out, c.Sanitized())
		}
	}
	return out
}

// summarize gives the exit code and the answer of the whole trace.
func summarize(cs []Candidate, frs []*compute.ForwardingRule) (int, string) {
	code := ExitReached
	for _, c := range cs {
		switch c.Verdict {
		case Error:
			code = ExitBroken
		case Unknown:
			if code != ExitBroken {
				code = ExitUnknown
			}
		}
	}
	if len(cs) == 1 {
		return code, cs[0].Answer
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("at %s (%s:%s): %s", c.ForwardingRule.Name, frs[i].IPAddress, portsOf(frs[i]), c.Answer)
	}
	return code, fmt.Sprintf("%d load balancers take the request; %s", len(cs), strings.Join(parts, "; "))
}

// tracer follows one candidate.
type tracer struct {
	x  *index
	r  Request
	fr *compute.ForwardingRule
	c  Candidate
	// scopes are the coverage scopes of what the trace met (resources,
	// clusters), whose gaps the result lists.
	scopes []string
	// unsure is set when the URL map's own tests disagree with lbdiag's
	// matcher: every hop through it is then unknown.
	unsure string
	// outcome is what the request ends in, for the answer.
	outcome outcome
}

// outcome is where a request ends: the backends that would answer it.
type outcome struct {
	// backends: per backend service reached, what the answer says.
	reached []reach
}

// reach is one backend service the request may reach.
type reach struct {
	share   float64
	bs      string
	target  string // "ns/svc:port" or the backend service's name
	healthy int
	total   int
	known   bool
	// defaultBackend is set for GKE's 404 default backend.
	defaultBackend bool
	// notInspected names a backend lbdiag does not follow (serverless,
	// internet, PSC).
	notInspected string
}

// classic reports whether the forwarding rule is a classic Application
// Load Balancer's (GFE-based).
func (t *tracer) classic() bool {
	s := t.fr.LoadBalancingScheme
	return t.fr.Region == "" && (s == "EXTERNAL" || s == "")
}

// pickFailureCode is the status a load balancer answers when it finds no
// healthy backend: 502 on the classic load balancer, 503 on the
// Envoy-based ones.
func (t *tracer) pickFailureCode() int {
	if t.classic() {
		return http.StatusBadGateway
	}
	return http.StatusServiceUnavailable
}

// hop builds a hop on a resource, with the findings lbdiag has on it.
func (t *tracer) hop(kind, name, selfLink string, res inspect.Resource, depth int) Hop {
	h := Hop{Kind: kind, Name: name, SelfLink: selfLink, Verdict: OK, Findings: []HopFinding{}, Depth: depth}
	t.attach(&h, res)
	if selfLink != "" {
		t.scopes = append(t.scopes, inventory.RelativeName(selfLink))
	}
	return h
}

// attach adds the findings on a resource to a hop and lowers its verdict.
func (t *tracer) attach(h *Hop, res inspect.Resource) {
	for _, f := range t.x.findings[resourceKey(res)] {
		h.Findings = append(h.Findings, HopFinding{Rule: f.Rule, Severity: f.Severity.String(), Message: f.Message, Remediation: f.Remediation})
		switch f.Severity {
		case inspect.Error:
			setVerdict(h, Error, "")
		case inspect.Warning:
			setVerdict(h, Warning, "")
		}
	}
}

var rank = map[string]int{OK: 0, Warning: 1, Unknown: 2, Error: 3}

// setVerdict lowers a hop's verdict to v (never raises it). reason, when
// given, is the trace's own judgement: it becomes the hop's reason when it
// lowers the verdict, or when only findings had lowered it that far.
func setVerdict(h *Hop, v, reason string) {
	own := reason != ""
	switch {
	case rank[v] > rank[h.Verdict]:
		h.Verdict = v
		if own {
			h.Reason = reason
		}
	case rank[v] == rank[h.Verdict] && own && !h.own:
		h.Reason = reason
	}
	if v == Error && own {
		h.own = true
	}
	if h.Reason == "" {
		h.Reason = reason
	}
}

// unknownReason says why a resource could not be judged: the error of its
// read, or of its collection.
func (t *tracer) unknownReason(source inventory.Source, url, what string) string {
	if c := t.x.readError(source, url); c != nil {
		s := what + " could not be read: " + c.Error
		if c.Hint != "" {
			s += " (" + c.Hint + ")"
		}
		return s
	}
	return what + " was not read"
}

// missing is a hop on a resource that is absent or unreadable.
func (t *tracer) missing(kind, url string, source inventory.Source, depth int, what string) Hop {
	h := t.hop(kind, inventory.LastSegment(url), url, core.ResourceOf(kind, url), depth)
	if t.x.known(source, url) {
		setVerdict(&h, Error, fmt.Sprintf("%s %s does not exist", what, inventory.RelativeName(url)))
	} else {
		setVerdict(&h, Unknown, t.unknownReason(source, url, what+" "+inventory.RelativeName(url)))
	}
	return h
}

// candidate traces the request from one forwarding rule.
func (t *tracer) candidate() Candidate {
	fr := t.fr
	c := &t.c
	c.ForwardingRule = Ref{Name: fr.Name, SelfLink: fr.SelfLink}
	frHop := t.hop("ForwardingRule", fr.Name, fr.SelfLink, core.ResourceOf("ForwardingRule", fr.SelfLink), 0)
	scheme := fr.LoadBalancingScheme
	if scheme == "" {
		scheme = "EXTERNAL"
	}
	frHop.Reason = fmt.Sprintf("%s:%d %s %s, %s", fr.IPAddress, t.r.Port, fr.IPProtocol, scheme, core.ScopeName(fr.SelfLink))
	c.Hops = append(c.Hops, frHop)

	switch frontendKind(fr) {
	case frontHTTP, frontHTTPS:
		t.proxied()
	case frontPassthrough:
		bs := fr.BackendService
		if bs == "" {
			bs = fr.Target
		}
		c.Hops[0].Reason += ": a passthrough load balancer, no URL map; the backend receives the connection as sent"
		c.Action = &ActionInfo{Type: ActionService, BackendService: bs}
		t.service(bs, 1, nil, 1)
	default:
		h := Hop{Kind: kindOfURL(fr.Target), Name: inventory.LastSegment(fr.Target), SelfLink: fr.Target, Verdict: Unknown, Findings: []HopFinding{}, Depth: 1,
			Reason: "not inspected: lbdiag follows HTTP(S) proxies and passthrough backend services, not " + kindOfURL(fr.Target)}
		c.Hops = append(c.Hops, h)
	}
	t.verdict()
	return *c
}

// kindOfURL is the kind of resource a URL names ("TargetSslProxy").
func kindOfURL(url string) string {
	parts := strings.Split(inventory.RelativeName(url), "/")
	if len(parts) < 2 {
		return "resource"
	}
	coll := parts[len(parts)-2]
	k := strings.TrimSuffix(coll, "s")
	if strings.HasSuffix(coll, "ies") {
		k = strings.TrimSuffix(coll, "ies") + "y"
	}
	if k == "" {
		return "resource"
	}
	return strings.ToUpper(k[:1]) + k[1:]
}

// proxied follows an Application Load Balancer: the target proxy, its
// certificate, the URL map, the action.
func (t *tracer) proxied() {
	x, fr, c := t.x, t.fr, &t.c
	kind, source := "TargetHttpProxy", inventory.ComputeTargetHTTPProxies
	if frontendKind(fr) == frontHTTPS {
		kind, source = "TargetHttpsProxy", inventory.ComputeTargetHTTPSProxies
	}
	c.TargetProxy = &Ref{Name: inventory.LastSegment(fr.Target), SelfLink: fr.Target}
	px := x.proxies[inventory.RelativeName(fr.Target)]
	if px == nil {
		c.Hops = append(c.Hops, t.missing(kind, fr.Target, source, 1, "target proxy"))
		return
	}
	var mapURL string
	ph := t.hop(kind, inventory.LastSegment(fr.Target), fr.Target, core.ResourceOf(kind, fr.Target), 1)
	switch p := px.(type) {
	case *compute.TargetHttpProxy:
		mapURL = p.UrlMap
		ph.Reason = "HTTP to URL map " + inventory.LastSegment(p.UrlMap)
		c.TargetProxy.SelfLink = p.SelfLink
		c.Hops = append(c.Hops, ph)
	case *compute.TargetHttpsProxy:
		mapURL = p.UrlMap
		ph.Reason = "TLS, then URL map " + inventory.LastSegment(p.UrlMap)
		c.TargetProxy.SelfLink = p.SelfLink
		c.Hops = append(c.Hops, ph)
		c.Hops = append(c.Hops, t.certificate(p, 2))
	}
	c.URLMap = &Ref{Name: inventory.LastSegment(mapURL), SelfLink: mapURL}
	um := x.maps[inventory.RelativeName(mapURL)]
	if um == nil {
		c.Hops = append(c.Hops, t.missing("UrlMap", mapURL, inventory.ComputeURLMaps, 2, "URL map"))
		return
	}
	c.URLMap.SelfLink = um.SelfLink
	t.urlMap(um)
}

// urlMap matches the request against the map and follows the action.
func (t *tracer) urlMap(um *compute.UrlMap) {
	c := &t.c
	m, a := Route(um, t.r, t.classic())
	c.Match = matchInfo(m)
	c.Action = actionInfo(a)
	mh := t.hop("UrlMap", um.Name, um.SelfLink, core.ResourceOf("UrlMap", um.SelfLink), 2)
	mh.Reason = describeMatch(m, a)
	if ds := CheckTests(um, t.classic()); len(ds) > 0 {
		d := ds[0]
		t.unsure = fmt.Sprintf("the URL map's own test (%s) expects %s, lbdiag's matcher gives %s", d.Test, d.Want, d.Got)
		setVerdict(&mh, Unknown, mh.Reason+"; but "+t.unsure+": lbdiag's matcher is wrong for this map, so the route is unsure")
	}
	switch a.Type {
	case ActionAbort:
		setVerdict(&mh, Warning, "")
	case ActionNone:
		setVerdict(&mh, Error, "the URL map has no action for the request (no default service, redirect or route action)")
	}
	c.Hops = append(c.Hops, mh)
	t.kubeOwner(um, m, a)

	switch a.Type {
	case ActionService:
		t.service(a.BackendService, 1, nil, 3)
	case ActionBucket:
		t.bucket(a.BackendBucket, 3)
	case ActionWeighted:
		for i, w := range a.Backends {
			i := i
			t.service(w.BackendService, w.Share, &i, 3)
		}
	}
}

func matchInfo(m Match) *MatchInfo {
	mi := &MatchInfo{HostRule: m.HostRule, PathRule: m.PathRule, RouteRulePriority: m.RouteRulePriority, Default: m.Default}
	if m.PathMatcher != "" {
		pm := m.PathMatcher
		mi.PathMatcher = &pm
	}
	return mi
}

func actionInfo(a Action) *ActionInfo {
	ai := &ActionInfo{Type: a.Type, BackendService: a.BackendService, BackendBucket: a.BackendBucket, Location: untrusted.ScrubParams(a.Location), Code: a.Code,
		Rewrite: a.Rewrite, Note: a.Note}
	for _, w := range a.Backends {
		ai.Backends = append(ai.Backends, WeightedInfo{BackendService: w.BackendService, Weight: w.Weight, Share: w.Share})
	}
	return ai
}

// describeMatch renders which part of the map matched and what it does.
func describeMatch(m Match, a Action) string {
	var parts []string
	switch {
	case m.HostRule == nil:
		parts = append(parts, "no host rule matches: the map's defaults")
	default:
		parts = append(parts, fmt.Sprintf("host rule %s, path matcher %s", strings.Join(m.HostRule, " "), m.PathMatcher))
		switch {
		case m.PathRule != nil:
			parts = append(parts, "path rule "+strings.Join(m.PathRule, " "))
		case m.RouteRulePriority != nil:
			parts = append(parts, fmt.Sprintf("route rule priority %d", *m.RouteRulePriority))
		case m.Default:
			parts = append(parts, "no rule matches: the path matcher's default")
		}
	}
	s := strings.Join(parts, ", ") + ": " + describeAction(a)
	if a.Rewrite != nil {
		s += fmt.Sprintf(", rewritten to host %s path %s", a.Rewrite.Host, a.Rewrite.Path)
	}
	if a.Note != "" {
		s += " (" + a.Note + ")"
	}
	return s
}

// service follows a backend service: its groups and their health, then
// the Kubernetes Service and workloads behind it.
func (t *tracer) service(url string, share float64, branch *int, depth int) {
	x, c := t.x, &t.c
	bs := x.services[inventory.RelativeName(url)]
	if bs == nil {
		h := t.missing("BackendService", url, inventory.ComputeBackendServices, depth, "backend service")
		h.Branch = branch
		c.Hops = append(c.Hops, h)
		t.outcome.reached = append(t.outcome.reached, reach{share: share, bs: url, target: inventory.LastSegment(url)})
		return
	}
	bh := t.hop("BackendService", bs.Name, bs.SelfLink, core.BackendServiceResource(bs), depth)
	bh.Branch = branch
	for _, hc := range bs.HealthChecks {
		// A health check's findings are its backend service's.
		t.attach(&bh, core.ResourceOf("HealthCheck", hc))
	}
	at := len(c.Hops)
	c.Hops = append(c.Hops, bh)
	rc := reach{share: share, bs: bs.SelfLink, target: bs.Name, known: true}
	var groupHops []Hop
	var unknownGroups []string
	health := map[string][]endpointState{} // group -> what its health check said
	for _, b := range bs.Backends {
		if b == nil || b.Group == "" {
			continue
		}
		gh, healthy, total, known, endpoints := t.group(bs, b.Group, depth+1)
		gh.Branch = branch
		if note := notInspected(x, b.Group); note != "" {
			rc.notInspected = note
		}
		if !known {
			rc.known = false
			unknownGroups = append(unknownGroups, inventory.LastSegment(b.Group))
		}
		rc.healthy += healthy
		rc.total += total
		health[b.Group] = endpoints
		groupHops = append(groupHops, gh)
	}
	proto := bs.Protocol
	if proto == "" {
		proto = "HTTP"
	}
	bh = c.Hops[at]
	bh.Reason = fmt.Sprintf("%s, timeout %ds, %d of %d endpoints healthy in %d groups", proto, bs.TimeoutSec, rc.healthy, rc.total, len(groupHops))
	if share < 1 {
		bh.Reason = fmt.Sprintf("%.0f%% of requests; ", share*100) + bh.Reason
	}
	switch {
	case rc.notInspected != "":
		setVerdict(&bh, Unknown, rc.notInspected)
	case len(bs.Backends) == 0:
		setVerdict(&bh, Error, fmt.Sprintf("the backend service has no backends: the load balancer answers %d", t.pickFailureCode()))
	case rc.healthy == 0 && rc.known:
		setVerdict(&bh, Error, fmt.Sprintf("no healthy endpoint in any of its %d groups (%d endpoints): the load balancer answers %d (failed_to_pick_backend)", len(groupHops), rc.total, t.pickFailureCode()))
		bh.Fix = fmt.Sprintf("gcloud compute backend-services get-health %s %s --project %s   # then see the findings on the health check, firewall and Pods", bs.Name, core.GCloudScope(bs), inventory.ProjectOf(bs.SelfLink))
	case rc.healthy == 0:
		setVerdict(&bh, Unknown, fmt.Sprintf("no healthy endpoint among the groups read; the health of %s is unknown", strings.Join(unknownGroups, ", ")))
	}
	c.Hops[at] = bh
	c.Hops = append(c.Hops, groupHops...)
	if k := t.kubeService(bs, rc, health, depth+1, branch); k != "" {
		rc.target = k
		rc.defaultBackend = strings.HasPrefix(k, "kube-system/default-http-backend")
	}
	t.outcome.reached = append(t.outcome.reached, rc)
}

// notInspected says why lbdiag does not follow a backend group (a
// serverless, internet or Private Service Connect NEG), or "".
func notInspected(x *index, group string) string {
	neg := x.negs[inventory.RelativeName(group)]
	if neg == nil {
		return ""
	}
	switch neg.NetworkEndpointType {
	case "SERVERLESS":
		target := "a serverless backend"
		switch {
		case neg.CloudRun != nil && neg.CloudRun.Service != "":
			target = "Cloud Run service " + neg.CloudRun.Service
		case neg.CloudRun != nil && neg.CloudRun.UrlMask != "":
			target = "Cloud Run services by URL mask " + neg.CloudRun.UrlMask
		case neg.AppEngine != nil:
			target = "App Engine"
		case neg.CloudFunction != nil && neg.CloudFunction.Function != "":
			target = "Cloud Function " + neg.CloudFunction.Function
		}
		return "serverless NEG " + neg.Name + " (" + target + "): not inspected"
	case "INTERNET_FQDN_PORT", "INTERNET_IP_PORT":
		return "internet NEG " + neg.Name + ": an origin outside Google Cloud, not inspected"
	case "PRIVATE_SERVICE_CONNECT":
		return "Private Service Connect NEG " + neg.Name + " (" + neg.PscTargetService + "): not inspected"
	}
	return ""
}

// group judges one backend group from its health: the endpoints HEALTHY
// and in all, whether the health is known, and the endpoints
// ("ip:port") the health check reports.
func (t *tracer) group(bs *compute.BackendService, group string, depth int) (h Hop, healthy, total int, known bool, endpoints []endpointState) {
	x := t.x
	kind, source := "NetworkEndpointGroup", inventory.ComputeNEGs
	if strings.Contains(group, "/instanceGroups/") {
		kind, source = "InstanceGroup", inventory.ComputeInstanceGroups
	}
	h = t.hop(kind, inventory.LastSegment(group), group, core.ResourceOf(kind, group), depth)
	if note := notInspected(x, group); note != "" {
		setVerdict(&h, Unknown, note)
		return h, 0, 0, false, nil
	}
	loc := core.ScopeName(group)
	health, ok := x.inv.Compute.BackendHealth[bs.SelfLink][group]
	if !ok || health == nil {
		if kind == "NetworkEndpointGroup" && x.negs[inventory.RelativeName(group)] == nil && x.known(source, group) {
			setVerdict(&h, Error, fmt.Sprintf("the NEG does not exist in %s: the backend service points at nothing there", loc))
			return h, 0, 0, true, nil
		}
		reason := "its health was not read"
		if c := x.readError(inventory.ComputeBackendHealth, bs.SelfLink); c != nil {
			reason = "its health could not be read: " + c.Error
		}
		setVerdict(&h, Unknown, loc+": "+reason)
		return h, 0, 0, false, nil
	}
	var unhealthy []string
	for _, st := range health.HealthStatus {
		if st == nil {
			continue
		}
		total++
		ep := st.IpAddress
		if st.Port != 0 {
			ep += ":" + strconv.FormatInt(st.Port, 10)
		}
		endpoints = append(endpoints, endpointState{endpoint: ep, healthy: st.HealthState == "HEALTHY"})
		if st.HealthState == "HEALTHY" {
			healthy++
		} else {
			unhealthy = append(unhealthy, ep+" "+firstNonEmpty(st.HealthState, "UNKNOWN"))
		}
	}
	h.Reason = fmt.Sprintf("%s: %d of %d endpoints healthy", loc, healthy, total)
	if len(unhealthy) > 0 {
		h.Reason += " (" + strings.Join(firstN(unhealthy, 4), ", ") + ")"
	}
	switch {
	case total == 0:
		setVerdict(&h, Warning, loc+": no endpoints (no ready Pod in this zone, or the NEG controller has not attached them)")
	case healthy == 0:
		setVerdict(&h, Warning, "")
	}
	return h, healthy, total, true, endpoints
}

// bucket is the backend bucket hop.
func (t *tracer) bucket(url string, depth int) {
	bb := t.x.buckets[inventory.RelativeName(url)]
	if bb == nil {
		t.c.Hops = append(t.c.Hops, t.missing("BackendBucket", url, inventory.ComputeBackendBuckets, depth, "backend bucket"))
		return
	}
	h := t.hop("BackendBucket", bb.Name, bb.SelfLink, core.ResourceOf("BackendBucket", bb.SelfLink), depth)
	h.Reason = "Cloud Storage bucket gs://" + bb.BucketName
	if bb.EnableCdn {
		h.Reason += ", Cloud CDN on"
	}
	t.c.Hops = append(t.c.Hops, h)
}

// verdict sets the candidate's verdict and answer.
func (t *tracer) verdict() {
	c := &t.c
	if t.unsure != "" {
		// The route is unsure: so is every hop after the map, broken or
		// not (their findings stay).
		after := false
		for i := range c.Hops {
			h := &c.Hops[i]
			if after {
				h.Verdict, h.own = Unknown, false
				h.Reason += " (on a route lbdiag cannot be sure of: the URL map's tests disagree with its matcher)"
			}
			after = after || h.Kind == "UrlMap"
		}
	}
	worst := OK
	var firstErr, firstUnknown, firstFinding *Hop
	for i := range c.Hops {
		h := &c.Hops[i]
		if rank[h.Verdict] > rank[worst] {
			worst = h.Verdict
		}
		switch {
		case h.Verdict == Error && h.own && firstErr == nil:
			firstErr = h
		case h.Verdict == Error && firstFinding == nil:
			firstFinding = h
		case h.Verdict == Unknown && firstUnknown == nil:
			firstUnknown = h
		}
	}
	c.Verdict = worst
	c.Answer = t.answer(firstErr, firstUnknown)
	if firstErr == nil && firstFinding != nil {
		for _, f := range firstFinding.Findings {
			if f.Severity == inspect.Error.String() {
				c.Answer += fmt.Sprintf("; but lbdiag finds a problem on the way, on %s %s: %s (%s)", firstFinding.Kind, firstFinding.Name, gist(f.Message), f.Rule)
				break
			}
		}
	}
}

// answer is what the user can act on.
func (t *tracer) answer(firstErr, firstUnknown *Hop) string {
	c := &t.c
	if c.Action != nil && c.Action.Type == ActionRedirect && firstErr == nil {
		return fmt.Sprintf("redirected %d to %s", c.Action.Code, c.Action.Location)
	}
	for _, rc := range t.outcome.reached {
		if firstErr != nil && firstErr.Kind == "BackendService" && rc.known && rc.healthy == 0 && rc.notInspected == "" &&
			inventory.RelativeName(rc.bs) == inventory.RelativeName(firstErr.SelfLink) {
			return fmt.Sprintf("would get %d (failed_to_pick_backend): 0 of %d endpoints healthy in backend service %s (%s)", t.pickFailureCode(), rc.total, inventory.LastSegment(rc.bs), rc.target)
		}
	}
	if firstErr != nil {
		return fmt.Sprintf("would fail at %s %s: %s", firstErr.Kind, firstErr.Name, firstErr.Reason)
	}
	if firstUnknown != nil {
		return fmt.Sprintf("could not tell: %s %s: %s", firstUnknown.Kind, firstUnknown.Name, firstUnknown.Reason)
	}
	if c.Action == nil {
		return "reaches " + c.ForwardingRule.Name
	}
	switch c.Action.Type {
	case ActionAbort:
		return fmt.Sprintf("would get %d from the load balancer itself (fault injection, statusDetails fault_filter_abort): %s", c.Action.Code, t.abortWhy())
	case ActionBucket:
		return "would be served from backend bucket " + inventory.LastSegment(c.Action.BackendBucket)
	}
	var parts []string
	for _, rc := range t.outcome.reached {
		s := fmt.Sprintf("%d healthy endpoint%s of %s", rc.healthy, plural(rc.healthy), rc.target)
		if rc.healthy < rc.total {
			s = fmt.Sprintf("%d of %d endpoints of %s (the healthy ones)", rc.healthy, rc.total, rc.target)
		}
		if rc.defaultBackend {
			s += ", GKE's default backend, which answers 404"
		}
		if len(t.outcome.reached) > 1 {
			s = fmt.Sprintf("%.0f%% to %s", rc.share*100, s)
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return describeActionInfo(c.Action)
	}
	return "would reach " + strings.Join(parts, "; ")
}

func (t *tracer) abortWhy() string {
	for _, h := range t.c.Hops {
		if h.Kind == "Gateway" {
			return "no HTTPRoute of Gateway " + h.Name + " matches the request"
		}
	}
	return "the URL map aborts it"
}

func describeActionInfo(a *ActionInfo) string {
	switch a.Type {
	case ActionService:
		return "would reach backend service " + inventory.LastSegment(a.BackendService)
	case ActionNone:
		return "the URL map has no action for the request"
	}
	return a.Type
}

// gist is a finding's message cut to its first clause (before ": "), or
// to about 160 characters at a space.
func gist(msg string) string {
	if i := strings.Index(msg, ": "); i >= 20 && i <= 200 {
		return msg[:i]
	}
	if len(msg) <= 160 {
		return msg
	}
	cut := strings.LastIndex(msg[:160], " ")
	if cut < 80 {
		cut = 160
	}
	return msg[:cut] + "…"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func firstN(v []string, n int) []string {
	if len(v) <= n {
		return v
	}
	return append(append([]string{}, v[:n]...), fmt.Sprintf("%d more", len(v)-n))
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
