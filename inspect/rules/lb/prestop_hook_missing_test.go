package lb

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestPreStopHookMissing(t *testing.T) {
	t.Parallel()
	runDrainCases(t, PreStopHookMissing, []drainCase{
		{name: "no preStop", drain: 30, container: corev1.Container{Name: "web"}, want: []string{"Container web of this Deployment has no preStop hook"}},
		{name: "no preStop, backend services unreadable", failBS: true, container: corev1.Container{Name: "web"}, want: []string{"no preStop hook"}},
		{name: "preStop present", drain: 30, container: httpHook},
	})
}

func TestPreStopHookMissingCounts(t *testing.T) {
	t.Parallel()
	// Deployment shop/web, the one workload of the NEG-served Service, is
	// judged whatever the drain: without a hook it fails, with one it
	// passes.
	expectDrainCounts(t, PreStopHookMissing, map[string]drainCount{
		"no preStop":      {drainCase{drain: 30, container: corev1.Container{Name: "web"}}, ruletest.Counts{Judged: 1, Failed: 1}},
		"preStop present": {drainCase{drain: 30, container: httpHook}, ruletest.Counts{Judged: 1, Passed: 1}},
	})
	// The Deployments unreadable: the cluster is the gap.
	inv := drainInventory(drainCase{drain: 30, container: corev1.Container{Name: "web"}})
	ruletest.FailSource(inv, inventory.KubeDeployments, inv.Clusters[0].Scope())
	c := ruletest.ExpectCounts(t, inv, PreStopHookMissing, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.KubeDeployments))
	// The Services unreadable: the NEG-served Services are unknown.
	inv = drainInventory(drainCase{drain: 30, container: corev1.Container{Name: "web"}})
	ruletest.FailSource(inv, inventory.KubeServices, inv.Clusters[0].Scope())
	c = ruletest.ExpectCounts(t, inv, PreStopHookMissing, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.KubeServices))
}
