package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestBackendLoggingDisabled(t *testing.T) {
	t.Parallel()
	runServingCases(t, BackendLoggingDisabled, []servingCase{
		{name: "logging off", groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY")}, want: "logging"},
		{name: "logging on", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY")}},
	})
}

func TestBackendLoggingDisabledCounts(t *testing.T) {
	t.Parallel()
	// Three backend services: the Ingress's NEG one (logging off) fails,
	// api (an Application Load Balancer's, logging on) passes, db (an
	// internal passthrough one, no request logs) is not judged.
	inv := servingInventory(map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY")}, false)
	api := webLike("api", func(b *compute.BackendService) { b.LogConfig = &compute.BackendServiceLogConfig{Enable: true} })
	db := webLike("db", func(b *compute.BackendService) {
		b.LoadBalancingScheme, b.Protocol, b.Region = "INTERNAL", "TCP", ruletest.G("regions/europe-west1")
	})
	inv.Compute.BackendServices = append(inv.Compute.BackendServices, api, db)
	ruletest.ExpectCounts(t, inv, BackendLoggingDisabled, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// The Services unreadable only hide which LoadBalancer Service a
	// backend service serves: the same two are judged, no gap.
	ruletest.FailSource(inv, inventory.KubeServices, inv.Clusters[0].Scope())
	ruletest.ExpectCounts(t, inv, BackendLoggingDisabled, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// The backend services could not be listed: none is judged.
	inv.Compute.BackendServices = nil
	ruletest.FailSource(inv, inventory.ComputeBackendServices, projectScope)
	c := ruletest.ExpectCounts(t, inv, BackendLoggingDisabled, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeBackendServices))
}
