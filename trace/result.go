package trace

import (
	"github.com/lbdiag/lbdiag/inventory"
	"github.com/lbdiag/lbdiag/report"
)

// SchemaVersion is the version of the trace's JSON contract. It changes
// only when a field changes meaning or goes away.
const SchemaVersion = 1

// Verdicts of a hop and of a candidate, from best to worst for the exit
// code: ok and warning exit 0, unknown 3, error 1.
const (
	OK      = "ok"
	Warning = "warning"
	Error   = "error"
	Unknown = "unknown"
)

// Exit codes of a trace.
const (
	// ExitReached: the request would reach a healthy backend, or be
	// redirected, as configured.
	ExitReached = 0
	// ExitBroken: a hop is broken.
	ExitBroken = 1
	// ExitNoLoadBalancer: no load balancer of the project serves the URL,
	// or lbdiag could not tell which does (and usage errors).
	ExitNoLoadBalancer = 2
	// ExitUnknown: a hop could not be judged.
	ExitUnknown = 3
)

// Result is a trace: the request, how its load balancer was chosen, and
// each candidate's path hop by hop.
type Result struct {
	SchemaVersion int         `json:"schemaVersion"`
	Tool          report.Tool `json:"tool"`
	Project       string      `json:"project"`
	Request       RequestInfo `json:"request"`
	// Selection says how lbdiag chose the forwarding rules.
	Selection  Selection   `json:"selection"`
	Candidates []Candidate `json:"candidates"`
	// Answer is what a user can act on, in one sentence.
	Answer   string `json:"answer"`
	ExitCode int    `json:"exitCode"`
	// Logs counts the window's requests of the URL (--logs).
	Logs *inventory.URLRequests `json:"logs,omitempty"`
	// Gaps are what lbdiag could not read or decide on the request's
	// path.
	Gaps []inventory.Coverage `json:"gaps,omitempty"`
}

// RequestInfo is the traced request. Values that look like credentials
// (an Authorization header, a token= parameter) are redacted.
type RequestInfo struct {
	URL     string              `json:"url"`
	Method  string              `json:"method"`
	Host    string              `json:"host"`
	Port    int                 `json:"port"`
	Path    string              `json:"path"`
	Query   string              `json:"query"`
	Headers map[string][]string `json:"headers"`
}

// Selection methods.
const (
	// SelectIP: --ip named the address.
	SelectIP = "ip"
	// SelectDNS: the host resolved to the addresses.
	SelectDNS = "dns"
	// SelectHostRule: the host did not resolve (or lbdiag ran offline),
	// and the URL maps with a host rule naming it were chosen.
	SelectHostRule = "host-rule"
)

// Selection says how the forwarding rules were chosen.
type Selection struct {
	Method string `json:"method"`
	// Addresses are the addresses the host resolved to, or --ip.
	Addresses []string `json:"addresses,omitempty"`
	// ResolveError says why resolution failed or was not tried.
	ResolveError string `json:"resolveError,omitempty"`
	// Note explains the choice when it is not a plain match.
	Note string `json:"note,omitempty"`
	// Others lists, when nothing matched, the forwarding rules that might
	// have: the candidates a user picks from with --ip.
	Others []FrontendInfo `json:"others,omitempty"`
}

// FrontendInfo names a forwarding rule a user may mean.
type FrontendInfo struct {
	ForwardingRule Ref      `json:"forwardingRule"`
	Address        string   `json:"address"`
	Ports          string   `json:"ports"`
	Hosts          []string `json:"hosts,omitempty"`
}

// Ref names a resource.
type Ref struct {
	Name     string `json:"name"`
	SelfLink string `json:"selfLink"`
}

// Candidate is one forwarding rule the request may arrive at, and its path.
type Candidate struct {
	ForwardingRule Ref         `json:"forwardingRule"`
	TargetProxy    *Ref        `json:"targetProxy"`
	URLMap         *Ref        `json:"urlMap"`
	Match          *MatchInfo  `json:"match"`
	Action         *ActionInfo `json:"action"`
	Hops           []Hop       `json:"hops"`
	Verdict        string      `json:"verdict"`
	Answer         string      `json:"answer"`
}

// MatchInfo is the part of the URL map the request matched.
type MatchInfo struct {
	HostRule          []string `json:"hostRule"`
	PathMatcher       *string  `json:"pathMatcher"`
	PathRule          []string `json:"pathRule"`
	RouteRulePriority *int64   `json:"routeRulePriority"`
	Default           bool     `json:"default"`
}

// ActionInfo is what the URL map does with the request.
type ActionInfo struct {
	Type           string         `json:"type"`
	BackendService string         `json:"backendService,omitempty"`
	BackendBucket  string         `json:"backendBucket,omitempty"`
	Location       string         `json:"location,omitempty"`
	Code           int            `json:"code,omitempty"`
	Backends       []WeightedInfo `json:"backends,omitempty"`
	Rewrite        *Rewrite       `json:"rewrite,omitempty"`
	Note           string         `json:"note,omitempty"`
}

// WeightedInfo is one branch of a weighted split.
type WeightedInfo struct {
	BackendService string  `json:"backendService"`
	Weight         int64   `json:"weight"`
	Share          float64 `json:"share"`
}

// Hop is one resource on the request's path.
type Hop struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	SelfLink string `json:"selfLink,omitempty"`
	// Cluster is "location/name" for a Kubernetes object.
	Cluster  string       `json:"cluster,omitempty"`
	Verdict  string       `json:"verdict"`
	Reason   string       `json:"reason"`
	Findings []HopFinding `json:"findings"`
	// Branch is the index of the weighted branch the hop is on.
	Branch *int `json:"branch,omitempty"`
	// Fix, when the hop is broken, is the change that mends it.
	Fix string `json:"fix,omitempty"`
	// Depth indents the table.
	Depth int `json:"-"`
	// own is set when the trace itself (not a finding) judged the hop
	// broken: the request fails there.
	own bool
}

// HopFinding is an lbdiag finding on a hop's resource.
type HopFinding struct {
	Rule        string `json:"rule"`
	Severity    string `json:"severity"`
	Message     string `json:"message"`
	Remediation string `json:"remediation,omitempty"`
}
