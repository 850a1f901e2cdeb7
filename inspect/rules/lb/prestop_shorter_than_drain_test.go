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
