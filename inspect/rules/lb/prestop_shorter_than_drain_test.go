package lb

import (
	"testing"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
)

func TestPreStopShorterThanDrain(t *testing.T) {
	t.Parallel()
	runDrainCases(t, PreStopShorterThanDrain, []drainCase{
		{name: "preStop too short", drain: 30, container: sleep(60), grace: ruletest.Ptr[int64](120), want: []string{"draining timeout 30 s + 60 s of NEG detach latency = 90 s"}},
		{name: "preStop long enough", drain: 30, container: sleep(90), grace: ruletest.Ptr[int64](120)},
		{name: "preStop duration unknown", drain: 30, container: httpHook},
		{name: "draining unknown", failBS: true, container: sleep(10)},
		{name: "no backend service built yet", noBS: true, container: sleep(10)},
	})
}

func TestPreStopShorterThanDrainCounts(t *testing.T) {
	t.Parallel()
	// Deployment shop/web is judged when its hook's duration and the
	// drain are known: 60 s fails against 30 + 60, 90 s passes; an HTTP
	// hook is not judged; the drain unknown for want of the backend
	// services is a gap, for want of a backend service built yet is not.
	expectDrainCounts(t, PreStopShorterThanDrain, map[string]drainCount{
		"too short":        {drainCase{drain: 30, container: sleep(60), grace: ruletest.Ptr[int64](120)}, ruletest.Counts{Judged: 1, Failed: 1}},
		"long enough":      {drainCase{drain: 30, container: sleep(90), grace: ruletest.Ptr[int64](120)}, ruletest.Counts{Judged: 1, Passed: 1}},
		"duration unknown": {drainCase{drain: 30, container: httpHook}, ruletest.Counts{}},
		"draining unknown": {drainCase{failBS: true, container: sleep(10)}, ruletest.Counts{CouldNotCheck: 1}},
		"not built yet":    {drainCase{noBS: true, container: sleep(10)}, ruletest.Counts{}},
	})
}
