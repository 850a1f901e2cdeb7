package lb

import (
	"testing"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestTerminationGraceTooShort(t *testing.T) {
	t.Parallel()
	runDrainCases(t, TerminationGraceTooShort, []drainCase{
		{name: "default grace too short", drain: 30, container: sleep(90), want: []string{"terminationGracePeriodSeconds is 30 s (the default) but the preStop hook lasts 90 s"}},
		{name: "grace covers the hook", drain: 30, container: sleep(90), grace: ruletest.Ptr[int64](95)},
		{name: "grace without margin", drain: 30, container: sleep(90), grace: ruletest.Ptr[int64](92), want: []string{"is 92 s"}},
	})
}

func TestTerminationGraceTooShortCounts(t *testing.T) {
	t.Parallel()
	// Deployment shop/web is judged when its hook's duration is known:
	// the default 30 s fails a 90 s sleep, 95 s passes; an HTTP hook is
	// not judged.
	expectDrainCounts(t, TerminationGraceTooShort, map[string]drainCount{
		"default grace too short": {drainCase{drain: 30, container: sleep(90)}, ruletest.Counts{Judged: 1, Failed: 1}},
		"grace covers the hook":   {drainCase{drain: 30, container: sleep(90), grace: ruletest.Ptr[int64](95)}, ruletest.Counts{Judged: 1, Passed: 1}},
		"duration unknown":        {drainCase{drain: 30, container: httpHook}, ruletest.Counts{}},
	})
	inv := drainInventory(drainCase{drain: 30, container: sleep(90)})
	ruletest.FailSource(inv, inventory.KubeStatefulSets, inv.Clusters[0].Scope())
	c := ruletest.ExpectCounts(t, inv, TerminationGraceTooShort, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, string(inventory.KubeStatefulSets))
}
