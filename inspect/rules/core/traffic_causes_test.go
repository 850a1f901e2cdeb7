package core

import (
	"slices"
	"strings"
	"testing"
)

// TestCauseOfStatusDetails maps the load balancers' statusDetails to the
// configuration rules that explain them (Google's logging reference for
// Application Load Balancers, and Envoy's response details for the
// regional ones).
func TestCauseOfStatusDetails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		details              string
		known                bool
		rule                 string // one of the explaining rules; "" for none
		noise, backend, slow bool
		label                string
	}{
		{"backend_connection_closed_before_data_sent_to_client", true, "neg-drain-timeout-unset", false, false, false, "closed the connection before answering"},
		{"backend_connection_closed_before_data_sent_to_client", true, "prestop-hook-missing", false, false, false, ""},
		{"backend_connection_closed_after_partial_response_sent", true, "termination-grace-too-short", false, false, false, ""},
		{"failed_to_pick_backend", true, "backend-unhealthy", false, false, false, "no healthy backend"},
		{"no_healthy_upstream", true, "health-check-firewall-missing", false, false, false, "no healthy backend"},
		{"failed_to_connect_to_backend", true, "proxy-only-firewall-missing", false, false, false, "could not connect"},
		{"upstream_reset_before_response_started{connection_failure}", true, "proxy-only-firewall-missing", false, false, false, "could not connect"},
		{"upstream_reset_before_response_started{connection_termination}", true, "neg-drain-timeout-unset", false, false, false, "closed the connection"},
		{"upstream_reset_before_response_started{remote_reset}", true, "ingress-service-port-missing", false, false, false, "reset before the response"},
		{"backend_timeout", true, "", false, false, true, "timeoutSec"},
		{"upstream_response_timeout", true, "", false, false, true, "timeoutSec"},
		{"response_sent_by_backend", true, "", false, true, false, "the backend itself"},
		{"via_upstream", true, "", false, true, false, "the backend itself"},
		{"client_disconnected_before_any_response", true, "", true, false, false, "client went away"},
		{"client_timed_out", true, "", true, false, false, ""},
		{"denied_by_security_policy", true, "", true, false, false, "Cloud Armor"},
		{"backend_response_corrupted", true, "", false, false, false, "malformed"},
		{"something_new", false, "", false, false, false, "does not recognise"},
		{"", false, "", false, false, false, "no statusDetails"},
	}
	for _, tc := range tests {
		c, known := CauseOfStatusDetails(tc.details)
		if known != tc.known || c.Noise != tc.noise || c.Backend != tc.backend || c.Timeout != tc.slow || !strings.Contains(c.Label, tc.label) {
			t.Errorf("%q: known %v %+v", tc.details, known, c)
		}
		if (tc.rule != "") != (len(c.Rules) > 0) || (tc.rule != "" && !slices.Contains(c.Rules, tc.rule)) {
			t.Errorf("%q: rules %v, want %q among them", tc.details, c.Rules, tc.rule)
		}
		if !c.Noise && c.Fix == "" {
			t.Errorf("%q has no fix", tc.details)
		}
	}
	for state, want := range map[string]string{"TIMEOUT": "firewall", "UNHEALTHY": "wrong path", "DRAINING": "draining", "HEALTHY": ""} {
		if got := ProbeCause(state); (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("probe %s: %q", state, got)
		}
	}
}
