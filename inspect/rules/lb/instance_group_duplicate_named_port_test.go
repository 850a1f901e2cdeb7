package lb

import (
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestInstanceGroupDuplicateNamedPort(t *testing.T) {
	t.Parallel()
	inv := ruletest.LBProject()
	inv.Compute.InstanceGroups = []*compute.InstanceGroup{
		{Name: "twice", SelfLink: ruletest.G("zones/europe-west4-a/instanceGroups/twice"), NamedPorts: []*compute.NamedPort{{Name: "http", Port: 8443}, {Name: "http", Port: 8080}}},
		{Name: "distinct", SelfLink: ruletest.G("zones/europe-west4-a/instanceGroups/distinct"), NamedPorts: []*compute.NamedPort{{Name: "http", Port: 8080}, {Name: "https", Port: 8443}}},
	}
	got := ruletest.Run(t, inv, InstanceGroupDuplicateNamedPort)
	ruletest.Expect(t, got, `Instance group twice defines named port "http" on ports 8080 and 8443`)
	if !strings.Contains(got[0].Remediation, "--named-ports=http:8443 --zone europe-west4-a") {
		t.Errorf("remediation %q", got[0].Remediation)
	}
}

func TestInstanceGroupDuplicateNamedPortCounts(t *testing.T) {
	t.Parallel()
	// Every instance group is judged: twice (http twice) fails, distinct
	// and bare (no named port) pass.
	inv := ruletest.LBProject()
	inv.Compute.InstanceGroups = []*compute.InstanceGroup{
		{Name: "twice", SelfLink: ruletest.G("zones/europe-west4-a/instanceGroups/twice"), NamedPorts: []*compute.NamedPort{{Name: "http", Port: 8443}, {Name: "http", Port: 8080}}},
		{Name: "distinct", SelfLink: ruletest.G("zones/europe-west4-a/instanceGroups/distinct"), NamedPorts: []*compute.NamedPort{{Name: "http", Port: 8080}, {Name: "https", Port: 8443}}},
		{Name: "bare", SelfLink: ruletest.G("zones/europe-west4-b/instanceGroups/bare")},
	}
	ruletest.ExpectCounts(t, inv, InstanceGroupDuplicateNamedPort, ruletest.Counts{Judged: 3, Passed: 2, Failed: 1})
	ruletest.FailSource(inv, inventory.ComputeInstanceGroups, projectScope)
	c := ruletest.ExpectCounts(t, inv, InstanceGroupDuplicateNamedPort, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.ComputeInstanceGroups))
}
