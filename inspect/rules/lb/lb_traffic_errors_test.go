package lb

import (
	"fmt"
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// trafficProject is a project with one instance-group backend service and
// the logs of the hour before ruletest.Now.
func trafficProject(edit func(*compute.BackendService), failures ...inventory.RequestFailures) *inventory.Inventory {
	inv := ruletest.LBProject()
	b := &compute.BackendService{Name: "web", SelfLink: ruletest.G("global/backendServices/web"), LoadBalancingScheme: "EXTERNAL_MANAGED", Protocol: "HTTP",
		TimeoutSec: 30, ConnectionDraining: &compute.ConnectionDraining{DrainingTimeoutSec: 60}, LogConfig: &compute.BackendServiceLogConfig{Enable: true},
		Backends: []*compute.Backend{{Group: ruletest.G("zones/us-east1-b/instanceGroups/web-ig"), BalancingMode: "RATE"}}}
	if edit != nil {
		edit(b)
	}
	inv.Compute.BackendServices = []*compute.BackendService{b}
	inv.Logs = &inventory.Logs{Since: ruletest.Now.Add(-time.Hour), Until: ruletest.Now,
		Requests: map[string][]inventory.RequestFailures{}, CappedRequests: map[string]bool{}, Probes: map[string][]inventory.ProbeResult{}}
	if len(failures) > 0 {
		inv.Logs.Requests["global/backendServices/web"] = failures
	}
	return inv
}

func failures(status, count int, details string) inventory.RequestFailures {
	return inventory.RequestFailures{Status: status, Details: details, Count: count, First: ruletest.Now.Add(-50 * time.Minute), Last: ruletest.Now.Add(-10 * time.Minute),
		Samples: []inventory.RequestEntry{{Time: ruletest.Now.Add(-10 * time.Minute), Method: "GET", URL: "https://shop.example.com/cart", Status: status, Latency: "0.031s"}}}
}

func TestLBTrafficErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		inv   func() *inventory.Inventory
		rules []*inspect.Rule
		want  []string
		sev   []inspect.Severity
	}{
		{"no --logs", func() *inventory.Inventory {
			inv := trafficProject(nil)
			inv.Logs = nil
			return inv
		}, nil, nil, nil},
		{"nothing failed", func() *inventory.Inventory { return trafficProject(nil) }, nil, nil, nil},
		{"clients going away are never a finding", func() *inventory.Inventory {
			return trafficProject(nil, failures(0, 40, "client_disconnected_before_any_response"), failures(403, 7, "denied_by_security_policy"))
		}, nil, nil, nil},
		{"unhealthy backends no configuration rule explains", func() *inventory.Inventory {
			return trafficProject(nil, failures(502, 12, "failed_to_pick_backend"), failures(0, 3, "client_disconnected_before_any_response"))
		}, nil, []string{"lb-traffic-errors BackendService /web: The request logs of backend service web show 12× 502 failed_to_pick_backend in the last hour (2026-11-28T08:10:00Z to 2026-11-28T08:50:00Z): the load balancer found no healthy backend to send the request to, which no finding of health-check-firewall-missing, health-check-port-mismatch, health-check-protocol-mismatch, readiness-probe-health-check-mismatch, neg-missing, backend-unhealthy explains"},
			[]inspect.Severity{inspect.Warning}},
		{"the drain finding takes the evidence", func() *inventory.Inventory {
			return trafficProject(func(b *compute.BackendService) { b.ConnectionDraining = nil }, failures(502, 23, "backend_connection_closed_before_data_sent_to_client"))
		}, []*inspect.Rule{ConnectionDrainingDisabled}, []string{"connection-draining-disabled BackendService /web: Backend service web (EXTERNAL_MANAGED, HTTP) has connectionDraining.drainingTimeoutSec 0 and instance-group backends (web-ig)",
			"(502 at every scale-in and rolling update) — logs: 23× 502 backend_connection_closed_before_data_sent_to_client in the last hour"}, []inspect.Severity{inspect.Warning}},
		{"the backend's own errors are information", func() *inventory.Inventory {
			return trafficProject(nil, failures(500, 4, "response_sent_by_backend"))
		}, nil, []string{"4× 500 response_sent_by_backend in the last hour"}, []inspect.Severity{inspect.Info}},
		{"timeouts name the backend service's timeout", func() *inventory.Inventory {
			return trafficProject(nil, failures(504, 9, "backend_timeout"))
		}, nil, []string{"9× 504 backend_timeout in the last hour (2026-11-28T08:10:00Z to 2026-11-28T08:50:00Z): the backend did not answer within the backend service's timeoutSec (30 s)"},
			[]inspect.Severity{inspect.Warning}},
		{"a capped count is a lower bound", func() *inventory.Inventory {
			inv := trafficProject(nil, failures(502, 1000, "failed_to_pick_backend"))
			inv.Logs.CappedRequests["global/backendServices/web"] = true
			return inv
		}, nil, []string{"show at least 1000× 502 failed_to_pick_backend"}, []inspect.Severity{inspect.Warning}},
		{"unknown details and none at all", func() *inventory.Inventory {
			return trafficProject(nil, failures(502, 2, "brand_new_failure"), failures(503, 1, ""))
		}, nil, []string{"1× 503 (no statusDetails) in the last hour", "2× 502 brand_new_failure in the last hour"}, []inspect.Severity{inspect.Warning, inspect.Warning}},
		{"probe logs of an instance group", func() *inventory.Inventory {
			inv := trafficProject(nil)
			inv.Logs.Probes[inventory.ProbeGroupKey(ruletest.Project, "us-east1-b", "instanceGroups", "web-ig")] = []inventory.ProbeResult{
				{Endpoint: "10.1.0.7:80", State: "UNHEALTHY", Detailed: "UNHEALTHY", Result: "HTTP response: 404, Error: Not Found", Since: ruletest.Now.Add(-20 * time.Minute)}}
			return inv
		}, nil, []string{"The health-check logs of backend service web say its health-check probes fail: 10.1.0.7:80 (instance group web-ig in us-east1-b) UNHEALTHY since 2026-11-28T08:40:00Z (\"HTTP response: 404, Error: Not Found\"): the probe got an answer that is not a success"},
			[]inspect.Severity{inspect.Warning}},
		{"many failing endpoints: five named, the rest counted", func() *inventory.Inventory {
			inv := trafficProject(nil)
			var rs []inventory.ProbeResult
			for i := range 7 {
				rs = append(rs, inventory.ProbeResult{Endpoint: fmt.Sprintf("10.1.0.%d:80", i), State: "UNHEALTHY", Detailed: "TIMEOUT", Since: ruletest.Now.Add(-time.Hour)})
			}
			inv.Logs.Probes[inventory.ProbeGroupKey(ruletest.Project, "us-east1-b", "instanceGroups", "web-ig")] = rs
			return inv
		}, nil, []string{"10.1.0.4:80 (instance group web-ig in us-east1-b) TIMEOUT since 2026-11-28T08:00:00Z; 2 more endpoints: the probe got no answer in time"},
			[]inspect.Severity{inspect.Warning}},
		{"an endpoint that failed and recovered", func() *inventory.Inventory {
			inv := trafficProject(nil)
			inv.Logs.Probes[inventory.ProbeGroupKey(ruletest.Project, "us-east1-b", "instanceGroups", "web-ig")] = []inventory.ProbeResult{
				{Endpoint: "10.1.0.7:80", State: "HEALTHY", Detailed: "HEALTHY", Previous: "TIMEOUT", Since: ruletest.Now.Add(-5 * time.Minute)}}
			return inv
		}, nil, nil, nil},
		{"another backend service's probes", func() *inventory.Inventory {
			inv := trafficProject(nil)
			inv.Logs.Probes[inventory.ProbeGroupKey(ruletest.Project, "us-east1-c", "instanceGroups", "web-ig")] = []inventory.ProbeResult{{Endpoint: "10.1.0.8:80", State: "UNHEALTHY", Detailed: "TIMEOUT"}}
			return inv
		}, nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := inspect.Run(tc.inv(), append(tc.rules, LBTrafficErrors))
			if len(res.Failures) > 0 {
				t.Fatal(res.Failures)
			}
			fs := res.Findings
			if len(tc.rules) > 0 {
				// One finding, the explaining rule's, with the note appended.
				if len(fs) != 1 {
					t.Fatalf("%d findings: %v", len(fs), ruletest.Messages(fs))
				}
				for _, w := range tc.want {
					if !strings.Contains(ruletest.Messages(fs)[0], w) {
						t.Errorf("%q lacks %q", ruletest.Messages(fs)[0], w)
					}
				}
				if evs, _ := fs[0].Evidence["lb-traffic-errors"].([]map[string]any); len(evs) != 1 {
					t.Errorf("evidence %v", fs[0].Evidence)
				}
				return
			}
			ruletest.Expect(t, fs, tc.want...)
			for i, f := range fs {
				if f.Severity != tc.sev[i] {
					t.Errorf("%s: severity %v, want %v", f.Message, f.Severity, tc.sev[i])
				}
				if f.Remediation == "" || f.Evidence["window"] == nil && f.Evidence["probes"] == nil {
					t.Errorf("finding without fix or evidence: %+v", f)
				}
			}
		})
	}
}

// TestTrafficEvidenceAttaches: on a GKE backend, the scale-down 502s go to
// the workload's preStop finding, and a backend group whose probes time
// out, with the requests no backend could take, to backend-unhealthy.
func TestTrafficEvidenceAttaches(t *testing.T) {
	t.Parallel()
	cl, bs := ruletest.NEGService(30, corev1.Container{Name: "web"}, nil)
	cl.Ingresses[0].Annotations[gke.AnnIngressBackends] = `{"` + bs.Name + `":"HEALTHY"}`
	bs.LogConfig = &compute.BackendServiceLogConfig{Enable: true}
	group := bs.Backends[0].Group
	inv := ruletest.Inventory(cl)
	inv.CollectedAt = ruletest.Now
	inv.Compute.BackendServices = []*compute.BackendService{bs}
	inv.Compute.NEGs = []*compute.NetworkEndpointGroup{{Name: bs.Name, Id: 8812, SelfLink: group, NetworkEndpointType: "GCE_VM_IP_PORT"}}
	inv.Compute.BackendHealth = map[string]map[string]*compute.BackendServiceGroupHealth{bs.SelfLink: {group: {HealthStatus: []*compute.HealthStatus{{HealthState: "UNHEALTHY"}}}}}
	key := inventory.ScopedKey(bs.SelfLink)
	inv.Logs = &inventory.Logs{Since: ruletest.Now.Add(-time.Hour), Until: ruletest.Now, CappedRequests: map[string]bool{},
		Requests: map[string][]inventory.RequestFailures{key: {failures(502, 23, "backend_connection_closed_before_data_sent_to_client"), failures(503, 4, "failed_to_pick_backend")}},
		Probes: map[string][]inventory.ProbeResult{inventory.ProbeGroupKey(ruletest.Project, "europe-west1-b", "networkEndpointGroups", "8812"): {
			{Endpoint: "10.4.0.9:8080", State: "UNHEALTHY", Detailed: "TIMEOUT", Since: ruletest.Now.Add(-30 * time.Minute)}}}}
	res := inspect.Run(inv, []*inspect.Rule{PreStopHookMissing, BackendUnhealthy, LBTrafficErrors})
	got := map[string]inspect.Finding{}
	for _, f := range res.Findings {
		got[f.Rule] = f
	}
	if len(res.Findings) != 2 || got["lb-traffic-errors"].Rule != "" {
		t.Fatalf("findings: %v", ruletest.Messages(res.Findings))
	}
	if f := got["prestop-hook-missing"]; !strings.Contains(f.Message, "— logs: 23× 502 backend_connection_closed_before_data_sent_to_client") {
		t.Errorf("preStop: %s", f.Message)
	}
	f := got["backend-unhealthy"]
	if evs, _ := f.Evidence["lb-traffic-errors"].([]map[string]any); len(evs) != 2 ||
		!strings.Contains(f.Message, "4× 503 failed_to_pick_backend") || !strings.Contains(f.Message, "10.4.0.9:8080 (europe-west1-b) TIMEOUT since 2026-11-28T08:30:00Z") {
		t.Errorf("backend-unhealthy: %s %v", f.Message, f.Evidence)
	}
}

func TestLBTrafficErrorsCounts(t *testing.T) {
	t.Parallel()
	// The backend services whose request logs were read are judged: web
	// (12 failed_to_pick_backend) fails, api (logged, nothing failed)
	// passes; quiet has request logging off, so it is not judged.
	inv := trafficProject(nil, failures(502, 12, "failed_to_pick_backend"))
	api := webLike("api", nil)
	api.LogConfig = &compute.BackendServiceLogConfig{Enable: true}
	inv.Compute.BackendServices = append(inv.Compute.BackendServices, api, webLike("quiet", nil))
	for _, s := range []inventory.Source{inventory.LoggingRequests, inventory.LoggingHealthChecks} {
		inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: s, Scope: projectScope, Status: inventory.StatusOK})
	}
	ruletest.ExpectCounts(t, inv, LBTrafficErrors, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// Without --logs nothing is judged and nothing is a gap: the logs
	// were not asked for.
	inv = trafficProject(nil)
	inv.Logs = nil
	ruletest.ExpectCounts(t, inv, LBTrafficErrors, ruletest.Counts{})
	// Asked for and refused, the logs are the gap.
	inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.LoggingRequests, Scope: projectScope, Status: inventory.StatusError,
		Error: "googleapi: Error 403: Permission 'logging.logEntries.list' denied"})
	c := ruletest.ExpectCounts(t, inv, LBTrafficErrors, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.LoggingRequests))
}
