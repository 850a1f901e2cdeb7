package inventory

import (
	"strconv"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"
)

// Coverage sources of the logs lbdiag reads with --logs.
const (
	// LoggingRequests is the request logs of Application Load Balancers.
	LoggingRequests Source = "logging.requests"
	// LoggingHealthChecks is the health checks' probe logs.
	LoggingHealthChecks Source = "logging.healthChecks"
	// LoggingPassthrough is the passthrough load balancers' connection logs.
	LoggingPassthrough Source = "logging.passthrough"
)

// Logs is what Cloud Logging said about the project's load balancers in a
// window before the collection. Entries are redacted before they get
// here: URLs without their query strings, no client address.
type Logs struct {
	Since, Until time.Time
	// Requests holds, by backend service (its scoped key,
	// "global/backendServices/N" or "regions/R/backendServices/N"), the
	// failed requests: server errors and proxy-side failures.
	Requests map[string][]RequestFailures
	// Probes holds the latest probe result of each endpoint the window's
	// health-check logs name (healthy again or not), by backend group:
	// ProbeGroupKey of the log entry's monitored resource.
	Probes map[string][]ProbeResult
	// CappedRequests holds the scoped keys of the backend services whose
	// request logs were not read to the end (the cap of entries, or a
	// failed page, stopped it): their counts are lower bounds.
	CappedRequests map[string]bool
	// URL, set by a trace, counts the window's requests of the traced URL
	// on the traced forwarding rules, by status and statusDetails.
	URL *URLRequests
}

// URLRequests counts the logged requests of one URL (scheme, host and
// path; any query).
type URLRequests struct {
	URL string `json:"url"`
	// ForwardingRules are the names of the forwarding rules whose logs
	// were read.
	ForwardingRules []string   `json:"forwardingRules"`
	Counts          []URLCount `json:"counts"`
	Total           int        `json:"total"`
	// Capped is set when the cap of entries stopped the count: the counts
	// are lower bounds.
	Capped bool `json:"capped,omitempty"`
	// Unlogged names the backend services the request may reach whose
	// request logging is off: their requests are not in the counts.
	Unlogged []string `json:"unlogged,omitempty"`
}

// URLCount is the requests of one status and statusDetails.
type URLCount struct {
	Status  int       `json:"status"`
	Details string    `json:"statusDetails"`
	Count   int       `json:"count"`
	Last    time.Time `json:"last"`
}

// RequestFailures is the failed requests of one backend service with one
// status and one statusDetails.
type RequestFailures struct {
	Status  int            `json:"status"`
	Details string         `json:"statusDetails"`
	Count   int            `json:"count"`
	First   time.Time      `json:"first"`
	Last    time.Time      `json:"last"`
	Samples []RequestEntry `json:"samples,omitempty"`
}

// RequestEntry is one logged request, redacted.
type RequestEntry struct {
	Time    time.Time `json:"time"`
	Method  string    `json:"method,omitempty"`
	URL     string    `json:"url,omitempty"`
	Status  int       `json:"status"`
	Latency string    `json:"latency,omitempty"`
}

// ProbeResult is a health check's latest verdict on one endpoint.
type ProbeResult struct {
	Endpoint string    `json:"endpoint"` // ip:port
	State    string    `json:"healthState"`
	Detailed string    `json:"detailedHealthState,omitempty"`
	Previous string    `json:"previousDetailedHealthState,omitempty"`
	Result   string    `json:"probeResultText,omitempty"`
	Since    time.Time `json:"since"`
}

// ProbeGroupKey is how Logs.Probes names a backend group. Health-check
// logs name instance groups (monitored resource gce_instance_group) by
// name and network endpoint groups (gce_network_endpoint_group) only by
// their numeric ID, so a NEG is keyed by its ID.
func ProbeGroupKey(project, zone, kind, nameOrID string) string {
	return "projects/" + project + "/zones/" + zone + "/" + kind + "/" + nameOrID
}

// ProbesOf returns the probe results the logs hold for one backend group
// (an instance group's or NEG's URL); neg is the NEG when the group is one.
func (l *Logs) ProbesOf(group string, neg *compute.NetworkEndpointGroup) []ProbeResult {
	if l == nil {
		return nil
	}
	project, zone := ProjectOf(group), LocationOf(group)
	if neg != nil {
		return l.Probes[ProbeGroupKey(project, zone, "networkEndpointGroups", strconv.FormatUint(neg.Id, 10))]
	}
	if strings.Contains(group, "/instanceGroups/") {
		return l.Probes[ProbeGroupKey(project, zone, "instanceGroups", LastSegment(group))]
	}
	return nil
}
