package fakelogging

import "testing"

func TestFilter(t *testing.T) {
	t.Parallel()
	entry := map[string]any{
		"timestamp":   "2026-11-27T01:47:12.5Z",
		"logName":     "projects/p/logs/requests",
		"resource":    map[string]any{"type": "http_load_balancer", "labels": map[string]any{"backend_service_name": "web"}},
		"httpRequest": map[string]any{"status": float64(502), "requestUrl": "https://x/a"},
		"jsonPayload": map[string]any{"statusDetails": "backend_connection_closed_before_data_sent_to_client"},
	}
	backendSent := map[string]any{
		"timestamp":   "2026-11-27T01:47:12.5Z",
		"resource":    map[string]any{"type": "http_load_balancer", "labels": map[string]any{"backend_service_name": "web"}},
		"httpRequest": map[string]any{"status": float64(200)},
		"jsonPayload": map[string]any{"statusDetails": "response_sent_by_backend"},
	}
	lbdiag := `resource.type="http_load_balancer" AND timestamp>="2026-11-27T01:12:00Z" AND resource.labels.backend_service_name=("web" OR "api") AND (httpRequest.status>=500 OR (jsonPayload.statusDetails:* AND NOT jsonPayload.statusDetails=("response_sent_by_backend" OR "via_upstream")))`
	cases := []struct {
		filter      string
		entry, sent bool
	}{
		{"", true, true},
		{lbdiag, true, false},
		{`timestamp>="2026-11-27T01:50:00Z"`, false, false},
		{`timestamp<"2026-11-27T01:50:00Z" resource.type="http_load_balancer"`, true, true},
		{`resource.labels.backend_service_name=("api" OR "other")`, false, false},
		{`jsonPayload.statusDetails:*`, true, true},
		{`jsonPayload.missing:*`, false, false},
		{`NOT jsonPayload.missing="x"`, true, true},
		{`httpRequest.status>=500 OR logName="projects/p/logs/requests"`, true, false},
		{`httpRequest.requestUrl:"https://x"`, true, false},
		{`httpRequest.status!=502`, false, true},
		{`jsonPayload.statusDetails=~"^backend_.*_client$"`, true, false},
		{`jsonPayload.statusDetails=~"[.](nothing|closed)[.]"`, false, false},
		{`jsonPayload.statusDetails=~"(closed|sent)_"`, true, true},
		{`jsonPayload.statusDetails!~"by_backend"`, true, false},
	}
	for _, c := range cases {
		e, err := Parse(c.filter)
		if err != nil {
			t.Errorf("%s: %v", c.filter, err)
			continue
		}
		if got := e == nil || e.eval(entry); got != c.entry {
			t.Errorf("%s on the 502: %v", c.filter, got)
		}
		if got := e == nil || e.eval(backendSent); got != c.sent {
			t.Errorf("%s on the 200: %v", c.filter, got)
		}
	}
	for _, bad := range []string{`resource.type=`, `(a="b"`, `a="b`, `a=("b" "c")`, `= "x"`} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
