package core

import "strings"

// TrafficCause is what a request log's statusDetails means, the rules
// whose findings explain it (in order of preference), and what to do when
// none does.
type TrafficCause struct {
	Label string
	Rules []string
	Fix   string
	// Noise is the client's doing: counted, never a finding on its own.
	Noise bool
	// Backend marks a response the backend itself sent: the Pods' or
	// instances' failure, not the load balancer's.
	Backend bool
	// Timeout marks the backend service's timeoutSec running out.
	Timeout bool
}

var (
	drainRules = []string{"neg-drain-timeout-unset", "connection-draining-disabled", "prestop-hook-missing", "prestop-shorter-than-drain", "termination-grace-too-short"}
	// The causes first, the symptom (backend-unhealthy) last: the evidence
	// goes to the first finding that fired.
	healthRules = []string{"health-check-firewall-missing", "health-check-port-mismatch", "health-check-protocol-mismatch", "readiness-probe-health-check-mismatch", "neg-missing", "backend-unhealthy"}
	// A probe that times out: nothing answers (a firewall, a wrong port);
	// one that fails: something answers, not with a success.
	ProbeTimeoutRules   = []string{"health-check-firewall-missing", "health-check-port-mismatch", "backend-unhealthy"}
	ProbeUnhealthyRules = []string{"readiness-probe-health-check-mismatch", "health-check-protocol-mismatch", "health-check-port-mismatch", "backend-unhealthy"}
	connectRules        = []string{"proxy-only-firewall-missing", "health-check-firewall-missing", "ingress-service-port-missing"}
	// ServerErrorRules are the rules whose findings can explain a load
	// balancer's server errors, causes first: nothing reaches the
	// backends, no backend is healthy, backends stop with requests in
	// flight, requests run out of time; what the request logs say last.
	ServerErrorRules = UniqueInOrder(connectRules, healthRules, drainRules, []string{"backend-timeout-too-long", "lb-traffic-errors"})
)

// UniqueInOrder concatenates lists, keeping each value's first
// place.
func UniqueInOrder(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, v := range l {
			if !Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// TrafficCauses maps the statusDetails of the load balancers' request logs
// (global and classic external: the snake_case messages; the regional,
// Envoy-based ones also use Envoy's response flags) to their causes.
var TrafficCauses = map[string]TrafficCause{
	"backend_connection_closed_before_data_sent_to_client": {Label: "the backend closed the connection before answering: a Pod or instance stopped with requests in flight, or its keepalive timeout is shorter than the load balancer's (600 s)", Rules: drainRules,
		Fix: "drain before stopping (connection draining, a preStop hook, a grace period longer than both) and keep the backends' HTTP keepalive timeout above 620 s"},
	"backend_connection_closed_after_partial_response_sent": {Label: "the backend closed the connection in the middle of a response", Rules: drainRules,
		Fix: "drain before stopping, and check the application for crashes during responses"},
	"failed_to_pick_backend": {Label: "the load balancer found no healthy backend to send the request to", Rules: healthRules,
		Fix: "make the backends healthy: readiness, the health check's port and path, the firewall for 35.191.0.0/16 and 130.211.0.0/22"},
	"no_healthy_upstream": {Label: "the load balancer found no healthy backend to send the request to", Rules: healthRules,
		Fix: "make the backends healthy: readiness, the health check's port and path, the firewall for 35.191.0.0/16 and 130.211.0.0/22"},
	"failed_to_connect_to_backend": {Label: "the load balancer could not connect to the backend (a firewall, a wrong port, nothing listening)", Rules: connectRules,
		Fix: "allow the load balancer's ranges (35.191.0.0/16, 130.211.0.0/22, or the proxy-only subnet for regional load balancers) to the serving port, and check the Pods listen on it"},
	"upstream_reset_before_response_started{connection_failure}": {Label: "the proxy could not connect to the backend (a firewall, a wrong port, nothing listening)", Rules: connectRules,
		Fix: "allow the proxy-only subnet to the serving port, and check the Pods listen on it"},
	"upstream_reset_before_response_started": {Label: "the connection to the backend was reset before the response began", Rules: append(append([]string(nil), connectRules...), drainRules...),
		Fix: "check the Pods listen on the serving port and that the proxy-only subnet may reach it; drain before stopping"},
	"upstream_reset_before_response_started{connection_termination}": {Label: "the backend closed the connection before answering", Rules: drainRules,
		Fix: "drain before stopping, and keep the backends' keepalive timeout above the proxy's"},
	"backend_timeout": {Timeout: true, Label: "the backend did not answer within the backend service's timeoutSec",
		Fix: "raise the timeout where GKE reads it (BackendConfig spec.timeoutSec, GCPBackendPolicy spec.default.timeoutSec) or make the slow requests faster"},
	"upstream_response_timeout": {Timeout: true, Label: "the backend did not answer within the backend service's timeoutSec",
		Fix: "raise the timeout where GKE reads it (BackendConfig spec.timeoutSec, GCPBackendPolicy spec.default.timeoutSec) or make the slow requests faster"},
	"backend_response_corrupted":                   {Label: "the backend sent a malformed response", Fix: "fix the application's HTTP responses (the body length must match Content-Length; chunked encoding must be valid)"},
	"backend_response_headers_too_long":            {Label: "the backend's response headers exceed the load balancer's limit", Fix: "send smaller response headers"},
	"backend_interim_response_not_supported":       {Label: "the backend sent an interim (1xx) response the load balancer does not support", Fix: "do not send interim responses through the load balancer"},
	"backend_early_response_with_non_error_status": {Label: "the backend answered before reading the request body", Fix: "read the whole request before answering"},
	"ssl_certificate_san_verification_failed":      {Label: "the backend's TLS certificate does not match the name the load balancer verifies", Fix: "fix the backend's certificate (subjectAltNames) or the backend service's TLS settings"},
	"ssl_certificate_chain_verification_failed":    {Label: "the backend's TLS certificate chain does not verify", Fix: "serve a certificate chain the load balancer trusts"},
	"internal_error":                               {Label: "an error inside the load balancer", Fix: "if it persists, open a support case with the log entries"},
	"response_sent_by_backend":                     {Label: "the backend itself answered with a server error", Backend: true, Fix: "troubleshoot the serving Pods or instances (their logs), not the load balancer"},
	"via_upstream":                                 {Label: "the backend itself answered with a server error", Backend: true, Fix: "troubleshoot the serving Pods or instances (their logs), not the load balancer"},
	"client_disconnected_before_any_response":      {Label: "the client went away before the response", Noise: true},
	"client_disconnected_after_partial_response":   {Label: "the client went away during the response", Noise: true},
	"client_timed_out":                             {Label: "the client was too slow", Noise: true},
	"denied_by_security_policy":                    {Label: "Cloud Armor denied the request", Noise: true},
	"throttled_by_security_policy":                 {Label: "Cloud Armor rate limiting", Noise: true},
}

// CauseOfStatusDetails returns what a request log's statusDetails means,
// and whether lbdiag knows the value.
func CauseOfStatusDetails(details string) (TrafficCause, bool) {
	if details == "" {
		return TrafficCause{Label: "server errors whose log entries carry no statusDetails", Fix: "read the entries in Logs Explorer with the filter in the evidence"}, false
	}
	if c, ok := TrafficCauses[details]; ok {
		return c, true
	}
	// Envoy's details carry their flag in braces; the prefix decides.
	if i := strings.Index(details, "{"); i > 0 {
		if c, ok := TrafficCauses[details[:i]]; ok {
			return c, true
		}
	}
	return TrafficCause{Label: "a failure lbdiag does not recognise", Fix: "look the statusDetails up in the load balancer's logging reference"}, false
}

// ProbeCause is what a health check's detailed state means ("" for
// HEALTHY).
func ProbeCause(detailed string) string { return probeCause[detailed] }

// probeCause is what a health check's detailed state means.
var probeCause = map[string]string{
	"TIMEOUT":   "the probe got no answer in time: a firewall dropping Google's health-check ranges, or a wrong port",
	"UNHEALTHY": "the probe got an answer that is not a success: a wrong path, the application failing, or a protocol mismatch",
	"DRAINING":  "the backend is draining",
	"UNKNOWN":   "the health check cannot probe it yet",
}

// ProbeExplanation is what failing probes mean and the rules that explain
// them, in order of preference: timeouts (nothing answers) when any probe
// timed out, else failures (something answers, not with a success).
func ProbeExplanation(timedOut bool) (why string, rules []string) {
	if timedOut {
		return probeCause["TIMEOUT"], ProbeTimeoutRules
	}
	return probeCause["UNHEALTHY"], ProbeUnhealthyRules
}
