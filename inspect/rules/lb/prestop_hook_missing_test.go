package lb

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestPreStopHookMissing(t *testing.T) {
	t.Parallel()
	runDrainCases(t, PreStopHookMissing, []drainCase{
		{name: "no preStop", drain: 30, container: corev1.Container{Name: "web"}, want: []string{"Container web of this Deployment has no preStop hook"}},
		{name: "no preStop, backend services unreadable", failBS: true, container: corev1.Container{Name: "web"}, want: []string{"no preStop hook"}},
		{name: "preStop present", drain: 30, container: httpHook},
	})
}
