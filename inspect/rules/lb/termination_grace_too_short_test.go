package lb

import (
	"testing"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
)

func TestTerminationGraceTooShort(t *testing.T) {
	t.Parallel()
	runDrainCases(t, TerminationGraceTooShort, []drainCase{
		{name: "default grace too short", drain: 30, container: sleep(90), want: []string{"terminationGracePeriodSeconds is 30 s (the default) but the preStop hook lasts 90 s"}},
		{name: "grace covers the hook", drain: 30, container: sleep(90), grace: ruletest.Ptr[int64](95)},
		{name: "grace without margin", drain: 30, container: sleep(90), grace: ruletest.Ptr[int64](92), want: []string{"is 92 s"}},
	})
}
