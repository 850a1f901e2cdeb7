// Package trace follows one HTTP request through a load balancer the way
// Google's data plane routes it: the URL map's host rules, path matcher,
// path or route rules and their action, then the backend services, their
// groups and endpoints, and the Kubernetes objects behind them, with a
// verdict at every hop. It is pure: it reads an inventory and the
// findings of a run, never an API.
package trace

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"
)

// Request is the request a user traces.
type Request struct {
	// Scheme is "http" or "https".
	Scheme string
	// Host is the host the request names, lower case, without a port;
	// Port is the port it connects to (its default when the URL has none).
	Host string
	Port int
	// ExplicitPort is set when the URL or the Host header names the port.
	ExplicitPort bool
	// Path is the path as sent: undecoded, without query or fragment.
	Path string
	// RawQuery is the query as sent, without "?".
	RawQuery string
	Method   string
	// Headers are the request's headers (Host excluded).
	Headers http.Header
}

// ParseRequest reads a URL, a method and "Name: value" headers. A Host
// header overrides the URL's host, as it does on the wire.
func ParseRequest(raw, method string, headers []string) (Request, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Request{}, fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Request{}, fmt.Errorf("%q: want an http:// or https:// URL", raw)
	}
	if u.Host == "" {
		return Request{}, fmt.Errorf("%q names no host", raw)
	}
	r := Request{Scheme: u.Scheme, Method: strings.ToUpper(method), Headers: http.Header{}, RawQuery: u.RawQuery}
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	r.Path = u.EscapedPath()
	if r.Path == "" {
		r.Path = "/"
	}
	host := u.Host
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return Request{}, fmt.Errorf("header %q: want 'Name: value'", h)
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if strings.EqualFold(name, "Host") {
			host = value
			continue
		}
		r.Headers.Add(name, value)
	}
	r.Host, r.Port, r.ExplicitPort = splitHostPort(host, r.Scheme)
	return r, nil
}

// splitHostPort splits "host[:port]", lower-casing the host and filling in
// the scheme's default port.
func splitHostPort(hp, scheme string) (host string, port int, explicit bool) {
	host = hp
	if i := strings.LastIndex(hp, ":"); i > 0 && !strings.HasSuffix(hp, "]") {
		if p, err := strconv.Atoi(hp[i+1:]); err == nil {
			host, port, explicit = hp[:i], p, true
		}
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if !explicit {
		port = defaultPort(scheme)
	}
	return host, port, explicit
}

func defaultPort(scheme string) int {
	if scheme == "https" {
		return 443
	}
	return 80
}

// URL is the request's URL as the load balancer sees it.
func (r Request) URL() string {
	u := r.Scheme + "://" + r.hostPort() + r.Path
	if r.RawQuery != "" {
		u += "?" + r.RawQuery
	}
	return u
}

func (r Request) hostPort() string {
	if r.ExplicitPort {
		return r.Host + ":" + strconv.Itoa(r.Port)
	}
	return r.Host
}

// Match says which part of a URL map a request matched.
type Match struct {
	// HostRule is the hosts of the host rule that matched; nil for the
	// map's defaults.
	HostRule []string
	// PathMatcher names the path matcher; "" for the map's defaults.
	PathMatcher string
	// PathRule is the paths of the path rule that matched.
	PathRule []string
	// RouteRulePriority is the priority of the route rule that matched.
	RouteRulePriority *int64
	// RouteRuleIndex is that rule's index in the path matcher.
	RouteRuleIndex int
	// Default is set when a default (the path matcher's or the map's)
	// decided.
	Default bool
	// matched is the part of the path the rule matched, which
	// prefixRedirect and pathPrefixRewrite replace; vars are the
	// variables a path template captured.
	matched string
	vars    map[string]string
}

// Action types.
const (
	ActionService  = "service"
	ActionRedirect = "redirect"
	ActionWeighted = "weighted"
	ActionBucket   = "bucket"
	// ActionAbort: fault injection aborts every request with a status
	// of its own (GKE Gateway's 404 for unmatched requests).
	ActionAbort = "abort"
	// ActionNone: the map has no action for the request (an invalid map).
	ActionNone = "none"
)

// Action is what the load balancer does with a matched request.
type Action struct {
	Type string
	// BackendService is the backend service's URL (ActionService).
	BackendService string
	// BackendBucket is the backend bucket's URL (ActionBucket).
	BackendBucket string
	// Location and Code are the redirect's (ActionRedirect) or the
	// abort's code.
	Location string
	Code     int
	// Backends are the weighted branches (ActionWeighted).
	Backends []Weighted
	// Rewrite is the host and path the backend receives, when the rule
	// rewrites them.
	Rewrite *Rewrite
	// Note explains an action lbdiag cannot follow exactly.
	Note string
}

// Weighted is one branch of a weighted split.
type Weighted struct {
	BackendService string
	Weight         int64
	// Share is the branch's share of new requests, in [0, 1].
	Share float64
}

// Rewrite is the host and path a backend receives.
type Rewrite struct {
	Host string
	Path string
}

// Route matches a request against a URL map and returns the match and its
// action, as Google's load balancers route it. classic is set for the
// classic Application Load Balancer (scheme EXTERNAL), which matches host
// rules on the host name alone.
func Route(um *compute.UrlMap, r Request, classic bool) (Match, Action) {
	if loc, ok := dotSegments(r); ok {
		// The load balancer answers a path with dot segments with a 302
		// to the normalized URL before it looks at the map (not logged).
		return Match{Default: true}, Action{Type: ActionRedirect, Location: loc, Code: http.StatusFound,
			Note: "the load balancer removes dot segments (/../) with a 302 before any URL map rule"}
	}
	m := Match{}
	hr := matchHost(um.HostRules, r, classic)
	if hr == nil {
		m.Default = true
		m.matched = ""
		return m, defaultAction(um.DefaultService, um.DefaultUrlRedirect, um.DefaultRouteAction, r, m)
	}
	m.HostRule = hr.Hosts
	var pm *compute.PathMatcher
	for _, p := range um.PathMatchers {
		if p.Name == hr.PathMatcher {
			pm = p
		}
	}
	if pm == nil {
		// An invalid map: Compute refuses it; answer with the defaults.
		m.Default = true
		return m, defaultAction(um.DefaultService, um.DefaultUrlRedirect, um.DefaultRouteAction, r, m)
	}
	m.PathMatcher = pm.Name
	if len(pm.RouteRules) > 0 {
		if rr, idx, mm, ok := matchRouteRules(pm.RouteRules, r); ok {
			m.RouteRulePriority, m.RouteRuleIndex, m.matched, m.vars = &rr.Priority, idx, mm.matched, mm.vars
			return m, ruleAction(rr.Service, rr.UrlRedirect, rr.RouteAction, r, m)
		}
	} else if pr, matched, ok := matchPathRules(pm.PathRules, r.Path); ok {
		m.PathRule, m.matched = pr.Paths, matched
		return m, ruleAction(pr.Service, pr.UrlRedirect, pr.RouteAction, r, m)
	}
	m.Default = true
	return m, defaultAction(pm.DefaultService, pm.DefaultUrlRedirect, pm.DefaultRouteAction, r, m)
}

// matchHost picks the host rule of a request: an exact host first, then
// the longest suffix wildcard ("*.example.com", "*-x.example.com") that
// matches a non-empty part, then "*". The classic load balancer compares
// host names alone; the others compare "host:port" when a rule names a
// port, and the bare host for the scheme's default port.
func matchHost(rules []*compute.HostRule, r Request, classic bool) *compute.HostRule {
	type cand struct {
		rule    *compute.HostRule
		pattern string
	}
	exact := map[string]*compute.HostRule{}
	// withPort: the classic load balancer compares names only, so a rule
	// "h:8080" stands for "h" unless a rule names "h" itself.
	withPort := map[string]bool{}
	var wild []cand
	var star *compute.HostRule
	for _, hr := range rules {
		for _, h := range hr.Hosts {
			p := strings.ToLower(h)
			ported := false
			if classic {
				p, ported = stripPort(p), stripPort(p) != p
			}
			switch {
			case p == "*":
				star = hr
			case strings.HasPrefix(p, "*"):
				wild = append(wild, cand{hr, p})
			default:
				if _, dup := exact[p]; !dup || (withPort[p] && !ported) {
					exact[p], withPort[p] = hr, ported
				}
			}
		}
	}
	keys := []string{r.Host}
	if !classic {
		keys = []string{r.Host + ":" + strconv.Itoa(r.Port)}
		if r.Port == defaultPort(r.Scheme) {
			keys = append(keys, r.Host)
		}
	}
	for _, k := range keys {
		if hr, ok := exact[k]; ok {
			return hr
		}
	}
	sort.SliceStable(wild, func(i, j int) bool { return len(wild[i].pattern) > len(wild[j].pattern) })
	for _, k := range keys {
		for _, w := range wild {
			suffix := w.pattern[1:]
			if len(k) > len(suffix) && strings.HasSuffix(k, suffix) {
				return w.rule
			}
		}
	}
	return star
}

func stripPort(h string) string {
	if i := strings.LastIndex(h, ":"); i > 0 {
		if _, err := strconv.Atoi(h[i+1:]); err == nil {
			return h[:i]
		}
	}
	return h
}

// matchPathRules is the simple mode: a path rule without "*" matches the
// path exactly; "/x/*" matches every path under "/x/" (not "/x"); the
// exact rule wins, then the longest prefix. It returns the matched part.
func matchPathRules(rules []*compute.PathRule, path string) (*compute.PathRule, string, bool) {
	var best *compute.PathRule
	bestLen := -1
	matched := ""
	for _, pr := range rules {
		for _, p := range pr.Paths {
			if p == path {
				return pr, path, true
			}
			if prefix, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(path, prefix) && len(prefix) > bestLen {
				best, bestLen, matched = pr, len(prefix), prefix
			}
		}
	}
	return best, matched, best != nil
}

// matchResult is what a matchRule matched of the path.
type matchResult struct {
	matched string
	vars    map[string]string
}

// matchRouteRules is the advanced mode: rules by ascending priority, the
// first with any matchRule whose every predicate holds.
func matchRouteRules(rules []*compute.HttpRouteRule, r Request) (*compute.HttpRouteRule, int, matchResult, bool) {
	idx := make([]int, len(rules))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return rules[idx[a]].Priority < rules[idx[b]].Priority })
	for _, i := range idx {
		rr := rules[i]
		if len(rr.MatchRules) == 0 {
			// A rule without matchRules matches every request.
			return rr, i, matchResult{matched: "/"}, true
		}
		for _, mr := range rr.MatchRules {
			if res, ok := matchRule(mr, r); ok {
				return rr, i, res, true
			}
		}
	}
	return nil, -1, matchResult{}, false
}

// matchRule is one matchRule: its path predicate, its header and query
// predicates, all of which must hold.
func matchRule(mr *compute.HttpRouteRuleMatch, r Request) (matchResult, bool) {
	res := matchResult{matched: ""}
	path := r.Path
	fold := func(s string) string {
		if mr.IgnoreCase {
			return strings.ToLower(s)
		}
		return s
	}
	switch {
	case mr.PrefixMatch != "":
		if !strings.HasPrefix(fold(path), fold(mr.PrefixMatch)) {
			return res, false
		}
		res.matched = path[:len(mr.PrefixMatch)]
	case mr.FullPathMatch != "":
		if fold(path) != fold(mr.FullPathMatch) {
			return res, false
		}
		res.matched = path
	case mr.RegexMatch != "":
		re, err := regexp.Compile(`^(?:` + mr.RegexMatch + `)$`)
		if err != nil || !re.MatchString(path) {
			return res, false
		}
		res.matched = path
	case mr.PathTemplateMatch != "":
		vars, ok := matchTemplate(mr.PathTemplateMatch, path)
		if !ok {
			return res, false
		}
		res.matched, res.vars = path, vars
	default:
		// No path predicate: any path.
		res.matched = ""
	}
	for _, h := range mr.HeaderMatches {
		if !matchHeader(h, r) {
			return res, false
		}
	}
	q, _ := url.ParseQuery(r.RawQuery)
	for _, qm := range mr.QueryParameterMatches {
		if !matchQuery(qm, q) {
			return res, false
		}
	}
	return res, true
}

// headerValue returns a header's value as the proxy sees it (the
// pseudo-headers :authority, :method, :path, :scheme included; several
// values joined by ","), and whether it is present.
func headerValue(name string, r Request) (string, bool) {
	switch strings.ToLower(name) {
	case ":authority", "host":
		return r.hostPort(), true
	case ":method":
		return r.Method, true
	case ":path":
		if r.RawQuery != "" {
			return r.Path + "?" + r.RawQuery, true
		}
		return r.Path, true
	case ":scheme":
		return r.Scheme, true
	}
	vs := r.Headers.Values(name)
	if len(vs) == 0 {
		return "", false
	}
	return strings.Join(vs, ","), true
}

// matchHeader evaluates a headerMatch as Envoy does: an absent header
// matches only an inverted presentMatch; a present one matches the
// predicate, inverted by invertMatch.
func matchHeader(h *compute.HttpHeaderMatch, r Request) bool {
	v, present := headerValue(h.HeaderName, r)
	if !present {
		return h.InvertMatch && h.PresentMatch
	}
	var ok bool
	switch {
	case h.ExactMatch != "":
		ok = v == h.ExactMatch
	case h.PrefixMatch != "":
		ok = strings.HasPrefix(v, h.PrefixMatch)
	case h.SuffixMatch != "":
		ok = strings.HasSuffix(v, h.SuffixMatch)
	case h.RegexMatch != "":
		re, err := regexp.Compile(`^(?:` + h.RegexMatch + `)$`)
		ok = err == nil && re.MatchString(v)
	case h.RangeMatch != nil:
		n, err := strconv.ParseInt(v, 10, 64)
		ok = err == nil && n >= h.RangeMatch.RangeStart && n < h.RangeMatch.RangeEnd
	default:
		ok = h.PresentMatch
	}
	return ok != h.InvertMatch
}

// matchQuery evaluates a queryParameterMatch on the parameter's first
// value.
func matchQuery(qm *compute.HttpQueryParameterMatch, q url.Values) bool {
	vs, ok := q[qm.Name]
	if !ok {
		return false
	}
	v := ""
	if len(vs) > 0 {
		v = vs[0]
	}
	switch {
	case qm.ExactMatch != "":
		return v == qm.ExactMatch
	case qm.RegexMatch != "":
		re, err := regexp.Compile(`^(?:` + qm.RegexMatch + `)$`)
		return err == nil && re.MatchString(v)
	}
	return qm.PresentMatch
}

// matchTemplate matches a pathTemplateMatch: "*" is one non-empty segment,
// "**" any characters ("/" included; last only), "{v}" and "{v=*}" capture
// one segment, "{v=**}" the rest, "{v=a/*}" several segments.
func matchTemplate(tmpl, path string) (map[string]string, bool) {
	re, names, err := compileTemplate(tmpl)
	if err != nil {
		return nil, false
	}
	m := re.FindStringSubmatch(path)
	if m == nil {
		return nil, false
	}
	vars := map[string]string{}
	for i, n := range names {
		vars[n] = m[i+1]
	}
	return vars, true
}

func compileTemplate(tmpl string) (*regexp.Regexp, []string, error) {
	var b strings.Builder
	var names []string
	b.WriteString("^")
	for i := 0; i < len(tmpl); {
		switch {
		case strings.HasPrefix(tmpl[i:], "**"):
			b.WriteString(".*")
			i += 2
		case tmpl[i] == '*':
			b.WriteString("[^/]+")
			i++
		case tmpl[i] == '{':
			end := strings.IndexByte(tmpl[i:], '}')
			if end < 0 {
				return nil, nil, fmt.Errorf("unclosed variable in %q", tmpl)
			}
			name, pat, hasPat := strings.Cut(tmpl[i+1:i+end], "=")
			if !hasPat {
				pat = "*"
			}
			sub, _, err := compileTemplate(pat)
			if err != nil {
				return nil, nil, err
			}
			inner := strings.TrimSuffix(strings.TrimPrefix(sub.String(), "^"), "$")
			b.WriteString("(" + inner + ")")
			names = append(names, name)
			i += end + 1
		default:
			j := i
			for j < len(tmpl) && tmpl[j] != '*' && tmpl[j] != '{' {
				j++
			}
			b.WriteString(regexp.QuoteMeta(tmpl[i:j]))
			i = j
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	return re, names, err
}

// defaultAction is a default: a service, a redirect or a route action.
func defaultAction(service string, redirect *compute.HttpRedirectAction, route *compute.HttpRouteAction, r Request, m Match) Action {
	m.matched = ""
	a := ruleAction(service, redirect, route, r, m)
	if a.Type == ActionNone {
		a.Note = "the URL map has no default for this request"
	}
	return a
}

// ruleAction turns a rule's (or a default's) action into an Action.
func ruleAction(service string, redirect *compute.HttpRedirectAction, route *compute.HttpRouteAction, r Request, m Match) Action {
	if redirect != nil {
		return Action{Type: ActionRedirect, Location: redirectLocation(redirect, r, m), Code: RedirectCode(redirect.RedirectResponseCode)}
	}
	var a Action
	switch {
	case route != nil && route.FaultInjectionPolicy != nil && route.FaultInjectionPolicy.Abort != nil &&
		route.FaultInjectionPolicy.Abort.Percentage >= 100:
		a = Action{Type: ActionAbort, Code: int(route.FaultInjectionPolicy.Abort.HttpStatus),
			Note: "fault injection aborts every request with this status, before any backend"}
	case route != nil && len(route.WeightedBackendServices) > 0:
		var sum int64
		for _, w := range route.WeightedBackendServices {
			sum += w.Weight
		}
		a.Type = ActionWeighted
		for _, w := range route.WeightedBackendServices {
			share := 0.0
			if sum > 0 {
				share = float64(w.Weight) / float64(sum)
			}
			a.Backends = append(a.Backends, Weighted{BackendService: w.BackendService, Weight: w.Weight, Share: share})
		}
		if len(a.Backends) == 1 {
			a = Action{Type: ActionService, BackendService: a.Backends[0].BackendService}
		}
	case service != "" && strings.Contains(service, "/backendBuckets/"):
		a = Action{Type: ActionBucket, BackendBucket: service}
	case service != "":
		a = Action{Type: ActionService, BackendService: service}
	default:
		return Action{Type: ActionNone}
	}
	if route != nil && route.UrlRewrite != nil {
		a.Rewrite = rewrite(route.UrlRewrite, r, m)
	}
	return a
}

// RedirectCode maps redirectResponseCode to its HTTP status.
func RedirectCode(name string) int {
	switch name {
	case "FOUND":
		return http.StatusFound
	case "SEE_OTHER":
		return http.StatusSeeOther
	case "TEMPORARY_REDIRECT":
		return http.StatusTemporaryRedirect
	case "PERMANENT_REDIRECT":
		return http.StatusPermanentRedirect
	}
	return http.StatusMovedPermanently
}

// replaceMatched replaces the part of the path a rule matched with repl; a
// default's redirect prefixes the path (its match is "/").
func replaceMatched(path, matched, repl string) string {
	if matched == "" {
		if strings.HasSuffix(repl, "/") {
			return repl + strings.TrimPrefix(path, "/")
		}
		if path == "/" {
			return repl
		}
		return repl + path
	}
	return repl + strings.TrimPrefix(path, matched)
}

// redirectLocation computes a redirect's Location header.
func redirectLocation(ra *compute.HttpRedirectAction, r Request, m Match) string {
	scheme := r.Scheme
	if ra.HttpsRedirect {
		scheme = "https"
	}
	host := r.hostPort()
	if ra.HostRedirect != "" {
		host = ra.HostRedirect
	} else if scheme != r.Scheme && r.ExplicitPort && r.Port == defaultPort(r.Scheme) {
		host = r.Host
	}
	path, query := r.Path, r.RawQuery
	switch {
	case ra.PathRedirect != "":
		path = ra.PathRedirect
		if p, q, ok := strings.Cut(ra.PathRedirect, "?"); ok {
			return scheme + "://" + host + p + "?" + q
		}
	case ra.PrefixRedirect != "":
		path = replaceMatched(r.Path, m.matched, ra.PrefixRedirect)
	}
	loc := scheme + "://" + host + path
	if !ra.StripQuery && query != "" {
		loc += "?" + query
	}
	return loc
}

// rewrite is the host and path the backend receives.
func rewrite(ur *compute.UrlRewrite, r Request, m Match) *Rewrite {
	out := &Rewrite{Host: r.Host, Path: r.Path}
	if ur.HostRewrite != "" {
		out.Host = ur.HostRewrite
	}
	switch {
	case ur.PathPrefixRewrite != "":
		matched := m.matched
		if matched == "" {
			matched = "/"
		}
		out.Path = ur.PathPrefixRewrite + strings.TrimPrefix(r.Path, matched)
	case ur.PathTemplateRewrite != "":
		p := ur.PathTemplateRewrite
		for k, v := range m.vars {
			p = strings.ReplaceAll(p, "{"+k+"}", v)
		}
		out.Path = p
	}
	return out
}

// dotSegments reports whether the path has "." or ".." segments, and the
// URL with them removed.
func dotSegments(r Request) (string, bool) {
	segs := strings.Split(r.Path, "/")
	has := false
	for _, s := range segs {
		if s == ".." || s == "." {
			has = true
		}
	}
	if !has {
		return "", false
	}
	var out []string
	for i, s := range segs {
		switch s {
		case ".":
			if i == len(segs)-1 {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if i == len(segs)-1 {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	p := strings.Join(out, "/")
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	n := r
	n.Path = p
	return n.URL(), true
}
