package lb

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
)

// PreStopShorterThanDrain reports preStop hooks that end before draining.
var PreStopShorterThanDrain = &inspect.Rule{
	ID:       "prestop-shorter-than-drain",
	Severity: inspect.Warning,
	Title:    "Every preStop hook of a NEG-served workload lasts the draining timeout plus 60 s",
	Doc: inspect.Doc{
		Why:     `The load balancer keeps sending requests to a terminating Pod until its endpoint has left the NEG (up to about 60 s) and then drains for the backend service's draining timeout. A preStop hook shorter than both together lets the container stop while requests still arrive: 502s during scale-down. lbdiag recognises sleep hooks (the sleep action, exec sleep N, sh -c "sleep N && ..."); for other hooks the duration is unknown and it does not guess.`,
		Fix:     `Lengthen the hook to at least drainingTimeoutSec + 60 seconds, and raise terminationGracePeriodSeconds above it.`,
		Sources: []string{core.SrcTroubleshoot + ": Resolve NEG-related 500-series errors during workload scaling"},
		URL:     core.DocTroubleshootLB,
	},
	Check: func(p *inspect.Pass) {
		workloadFindings(p, func(n core.NEGServing, w core.Workload) {
			drain, ok := n.Drain()
			if !ok {
				drainUnknown(p, n)
				return
			}
			need := float64(drain + negDetachLatency)
			var short []string
			var forms []string
			timed := false // a hook whose duration lbdiag knows
			for _, c := range w.Template.Spec.Containers {
				ps := core.PreStopOf(c)
				timed = timed || ps.Known
				if ps.Known && ps.Seconds < need {
					short = append(short, c.Name)
					forms = append(forms, fmt.Sprintf("%s: %s", c.Name, ps.Form))
				}
			}
			if !timed {
				return
			}
			res := core.KubeResource(n.Cl, w.Kind, *w.Meta)
			p.Judge(res)
			if len(short) == 0 {
				return
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("preStop hook of container %s is shorter than the backend service's draining timeout %d s + %d s of NEG detach latency = %d s (%s): the container can stop while the load balancer still sends it requests",
					strings.Join(short, ", "), drain, negDetachLatency, int64(need), strings.Join(forms, "; ")),
				Resource:    res,
				Evidence:    map[string]any{"preStop": forms, "drainingTimeoutSec": drain, "requiredSeconds": int64(need), "service": n.Svc.Namespace + "/" + n.Svc.Name},
				Remediation: fmt.Sprintf("kubectl patch %s %s -n %s --type strategic -p '%s'", strings.ToLower(w.Kind), w.Meta.Name, w.Meta.Namespace, preStopPatch(short, int64(need), *w.Template)),
			})
		})
	},
}
