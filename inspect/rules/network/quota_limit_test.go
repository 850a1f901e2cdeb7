package network

import (
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestQuotaLimit(t *testing.T) {
	t.Parallel()
	inv := ruletest.LBProject()
	inv.Compute.Project = &compute.Project{Name: ruletest.Project, Quotas: []*compute.Quota{
		{Metric: "FORWARDING_RULES", Usage: 12, Limit: 15}, {Metric: "BACKEND_SERVICES", Usage: 75, Limit: 75},
		{Metric: "URL_MAPS", Usage: 5, Limit: 75}, {Metric: "CPUS_ALL_REGIONS", Usage: 32, Limit: 32}, {Metric: "SSL_POLICIES", Usage: 0, Limit: 0}}}
	inv.Compute.Regions = []*compute.Region{
		{Name: "us-east1", Quotas: []*compute.Quota{{Metric: "IN_USE_ADDRESSES", Usage: 8, Limit: 8}}},
		// Exhausted, but nothing of the project is there.
		{Name: "asia-east1", Quotas: []*compute.Quota{{Metric: "IN_USE_ADDRESSES", Usage: 8, Limit: 8}}}}
	inv.Compute.Addresses = []*compute.Address{ruletest.Address("spare", "us-east1", "RESERVED")}
	got := ruletest.Run(t, inv, QuotaLimit)
	ruletest.Expect(t, got, "Quota BACKEND_SERVICES of project acme-test is exhausted: 75 of 75 used (100 %)",
		"Quota IN_USE_ADDRESSES of region us-east1 is exhausted: 8 of 8 used (100 %)",
		"Quota FORWARDING_RULES of project acme-test is nearly exhausted: 12 of 15 used (80 %)")
	if got[0].Severity != inspect.Error || got[2].Severity != inspect.Warning || !strings.Contains(got[2].Remediation, "compute.googleapis.com/forwarding_rules") {
		t.Errorf("severities %v %v, remediation %q", got[0].Severity, got[2].Severity, got[2].Remediation)
	}
	// Quotas not read: nothing to judge.
	inv = ruletest.LBProject()
	ruletest.Expect(t, ruletest.Run(t, inv, QuotaLimit))
}

func TestQuotaLimitCounts(t *testing.T) {
	t.Parallel()
	// Judged: the project (2 quotas over 80 %: fails) and the 2 regions
	// holding the project's addresses, us-east1 (exhausted: fails) and
	// europe-west1 (1 of 8: passes). asia-east1 holds nothing of the
	// project: not judged.
	inv := ruletest.LBProject()
	inv.Compute.Project = &compute.Project{Name: ruletest.Project, Quotas: []*compute.Quota{
		{Metric: "FORWARDING_RULES", Usage: 12, Limit: 15}, {Metric: "BACKEND_SERVICES", Usage: 75, Limit: 75}, {Metric: "URL_MAPS", Usage: 5, Limit: 75}}}
	inv.Compute.Regions = []*compute.Region{
		{Name: "us-east1", Quotas: []*compute.Quota{{Metric: "IN_USE_ADDRESSES", Usage: 8, Limit: 8}}},
		{Name: "europe-west1", Quotas: []*compute.Quota{{Metric: "IN_USE_ADDRESSES", Usage: 1, Limit: 8}}},
		{Name: "asia-east1", Quotas: []*compute.Quota{{Metric: "IN_USE_ADDRESSES", Usage: 8, Limit: 8}}}}
	inv.Compute.Addresses = []*compute.Address{ruletest.Address("spare", "us-east1", "RESERVED"), ruletest.Address("ew", "europe-west1", "IN_USE")}
	ruletest.ExpectCounts(t, inv, QuotaLimit, ruletest.Counts{Judged: 3, Passed: 1, Failed: 2})

	// The project's and the regions' quotas could not be read: nothing
	// judged, 2 reads missing for the project.
	ruletest.FailSource(inv, inventory.ComputeProject, inventory.ProjectScope(ruletest.Project))
	ruletest.FailSource(inv, inventory.ComputeRegions, inventory.ProjectScope(ruletest.Project))
	c := ruletest.ExpectCounts(t, inv, QuotaLimit, ruletest.Counts{CouldNotCheck: 2})
	expectReason(t, c, inventory.ComputeProject)
	expectReason(t, c, inventory.ComputeRegions)
}
