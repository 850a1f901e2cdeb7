package lb

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
)

// TerminationGraceTooShort reports grace periods that end before preStop.
var TerminationGraceTooShort = &inspect.Rule{
	ID:       "termination-grace-too-short",
	Severity: inspect.Error,
	Title:    "Every NEG-served workload's grace period outlasts its preStop hook",
	Doc: inspect.Doc{
		Why: `terminationGracePeriodSeconds (30 s when unset) counts from the start of the preStop hook. When the hook lasts longer than the grace period, the kubelet kills the container before draining ends, and before the application could shut down cleanly: the preStop hook does not protect the requests it was written for.`,
		Fix: `Set terminationGracePeriodSeconds to the preStop duration plus the application's shutdown time:
  kubectl patch deployment NAME -n NS -p '{"spec":{"template":{"spec":{"terminationGracePeriodSeconds":150}}}}'`,
		Sources: []string{core.SrcTroubleshoot + ": Resolve NEG-related 500-series errors during workload scaling", "Kubernetes: Pod termination (kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination)"},
		URL:     core.DocTroubleshootLB,
	},
	Check: func(p *inspect.Pass) {
		workloadFindings(p, func(n core.NEGServing, w core.Workload) {
			grace, set := core.GracePeriod(*w.Template)
			var longest float64
			var which string
			timed := false // a hook whose duration lbdiag knows
			for _, c := range w.Template.Spec.Containers {
				ps := core.PreStopOf(c)
				timed = timed || ps.Known
				if ps.Known && ps.Seconds > longest {
					longest, which = ps.Seconds, c.Name+": "+ps.Form
				}
			}
			if !timed {
				return
			}
			res := core.KubeResource(n.Cl, w.Kind, *w.Meta)
			p.Judge(res)
			if longest == 0 || float64(grace) >= longest+shutdownMargin {
				return
			}
			graceText := fmt.Sprintf("%d s", grace)
			if !set {
				graceText += " (the default)"
			}
			want := int64(longest) + 30
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("terminationGracePeriodSeconds is %s but the preStop hook lasts %.0f s (%s): the container is killed before the hook ends and %d s of shutdown time",
					graceText, longest, which, shutdownMargin),
				Resource:    res,
				Evidence:    map[string]any{"terminationGracePeriodSeconds": grace, "preStopSeconds": longest, "preStop": which},
				Remediation: fmt.Sprintf(`kubectl patch %s %s -n %s -p '{"spec":{"template":{"spec":{"terminationGracePeriodSeconds":%d}}}}'`, strings.ToLower(w.Kind), w.Meta.Name, w.Meta.Namespace, want),
			})
		})
	},
}
