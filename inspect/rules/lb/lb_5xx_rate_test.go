package lb

import (
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// metricsProject has three URL maps in front of one backend service each:
// shop (5 % errors), blog (0.5 %) and quiet (3 failed of 20); and
// archive, with no series: idle.
func metricsProject() *inventory.Inventory {
	inv := ruletest.LBProject()
	for _, name := range []string{"shop", "blog", "quiet", "archive"} {
		inv.Compute.BackendServices = append(inv.Compute.BackendServices, &compute.BackendService{Name: name + "-bs", SelfLink: ruletest.G("global/backendServices/" + name + "-bs"),
			LoadBalancingScheme: "EXTERNAL_MANAGED", Protocol: "HTTP", TimeoutSec: 30, ConnectionDraining: &compute.ConnectionDraining{DrainingTimeoutSec: 60}})
		inv.Compute.URLMaps = append(inv.Compute.URLMaps, &compute.UrlMap{Name: name, SelfLink: ruletest.G("global/urlMaps/" + name),
			DefaultService: ruletest.G("global/backendServices/" + name + "-bs")})
	}
	inv.Metrics = &inventory.Metrics{Since: ruletest.Now.Add(-time.Hour), Until: ruletest.Now, Max5xxRatio: 0.01, Traffic: map[string]*inventory.Traffic{
		"UrlMap/global/shop":  {Requests: 36000, Errors5xx: 1800, P95Ms: 250, HasP95: true},
		"UrlMap/global/blog":  {Requests: 7200, Errors5xx: 36},
		"UrlMap/global/quiet": {Requests: 20, Errors5xx: 3},
	}}
	inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.MonitoringTraffic, Scope: inventory.ProjectScope(ruletest.Project), Status: inventory.StatusOK})
	return inv
}

func TestLB5xxRate(t *testing.T) {
	t.Parallel()
	inv := metricsProject()
	fs := ruletest.Run(t, inv, LB5xxRate)
	ruletest.Expect(t, fs, "UrlMap /shop: URL map shop answered 5.0% of its 36000 requests of the last hour with a server error (1800 5xx, above --max-5xx-ratio 1.0%)")
	if ev := fs[0].Evidence; ev["backendLatencyP95Ms"] != 250.0 || ev["ratio5xx"] != 0.05 || !strings.Contains(fs[0].Remediation, "--logs 1h") {
		t.Errorf("evidence %v fix %s", ev, fs[0].Remediation)
	}
	// Judged: the four URL maps; shop fails, blog (0.5 %), quiet (too few
	// requests to judge a ratio) and archive (idle) pass.
	ruletest.ExpectCounts(t, inv, LB5xxRate, ruletest.Counts{Judged: 4, Passed: 3, Failed: 1})

	// A stricter threshold catches blog too.
	inv = metricsProject()
	inv.Metrics.Max5xxRatio = 0.001
	ruletest.Expect(t, ruletest.Run(t, inv, LB5xxRate), "URL map blog answered 0.5%", "URL map shop answered 5.0%")

	// Without --metrics nothing is judged and nothing is a gap; metrics
	// asked for and refused are the gap.
	inv = metricsProject()
	inv.Metrics = nil
	inv.Coverage = inv.Coverage[:len(inv.Coverage)-1]
	ruletest.ExpectCounts(t, inv, LB5xxRate, ruletest.Counts{})
	inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.MonitoringTraffic, Scope: inventory.ProjectScope(ruletest.Project),
		Status: inventory.StatusError, Error: "googleapi: Error 403: Permission monitoring.timeSeries.list denied"})
	c := ruletest.ExpectCounts(t, inv, LB5xxRate, ruletest.Counts{CouldNotCheck: 1})
	if !strings.Contains(strings.Join(c.Reasons, " "), "monitoring.timeSeries") {
		t.Errorf("reasons %q", c.Reasons)
	}
}

// TestLB5xxRateExplained: a configuration finding that explains server
// errors on the map's backend service takes the rate as evidence; the
// rate is then no finding of its own.
func TestLB5xxRateExplained(t *testing.T) {
	t.Parallel()
	// Nothing is wrong with the backend services: the rate stands alone.
	inv := metricsProject()
	res := inspect.Run(inv, []*inspect.Rule{LB5xxRate, BackendTimeoutTooLong, ConnectionDrainingDisabled})
	if len(res.Findings) != 1 || res.Findings[0].Rule != "lb-5xx-rate" {
		t.Errorf("findings %v", ruletest.Messages(res.Findings))
	}
	// Make shop's backend service drain nothing: connection-draining-
	// disabled fires on it and explains the errors.
	inv = metricsProject()
	inv.Compute.BackendServices[0].ConnectionDraining = &compute.ConnectionDraining{DrainingTimeoutSec: 0}
	inv.Compute.BackendServices[0].Backends = []*compute.Backend{{Group: ruletest.G("zones/us-east1-b/instanceGroups/shop-ig")}}
	res = inspect.Run(inv, []*inspect.Rule{LB5xxRate, ConnectionDrainingDisabled})
	if len(res.Findings) != 1 || res.Findings[0].Rule != "connection-draining-disabled" || res.Findings[0].Evidence["lb-5xx-rate"] == nil ||
		!strings.Contains(res.Findings[0].Message, "Cloud Monitoring counts 5.0% server errors (1800 of 36000 requests) on URL map shop over the last hour") {
		t.Errorf("findings %v", ruletest.Messages(res.Findings))
	}
}
