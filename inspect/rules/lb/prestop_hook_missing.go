package lb

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
)

// PreStopHookMissing reports NEG-served workloads whose containers have no
// preStop hook.
var PreStopHookMissing = &inspect.Rule{
	ID:       "prestop-hook-missing",
	Severity: inspect.Warning,
	Title:    "Every container of a workload served through NEGs has a preStop hook",
	Doc: inspect.Doc{
		Why: `A terminating Pod gets SIGTERM at once, but its endpoint leaves the NEG and the load balancer stops sending it requests only up to about a minute later. Without a preStop hook that keeps the container serving meanwhile, requests still routed to the Pod fail: 502s and 503s during every scale-down and rollout.`,
		Fix: `Add a preStop hook that outlasts the draining timeout plus about 60 s of NEG detach latency, and a grace period longer than that:
  lifecycle: {preStop: {sleep: {seconds: 120}}}        # Kubernetes 1.30+, or exec: ["sh","-c","sleep 120"]
  terminationGracePeriodSeconds: 150`,
		Sources: []string{core.SrcTroubleshoot + ": Resolve NEG-related 500-series errors during workload scaling"},
		URL:     core.DocTroubleshootLB,
	},
	Check: func(p *inspect.Pass) {
		workloadFindings(p, func(n core.NEGServing, w core.Workload) {
			res := core.KubeResource(n.Cl, w.Kind, *w.Meta)
			p.Judge(res)
			var missing []string
			for _, c := range w.Template.Spec.Containers {
				if !core.PreStopOf(c).Present {
					missing = append(missing, c.Name)
				}
			}
			if len(missing) == 0 {
				return
			}
			need := int64(negDetachLatency)
			if d, ok := n.Drain(); ok {
				need += d
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("%s %s of this %s %s no preStop hook, but %s %s its Pods through NEGs (Service %s): requests still routed to a terminating Pod fail during scale-down",
					agree(len(missing), "Container", "Containers"), strings.Join(missing, ", "), w.Kind, agree(len(missing), "has", "have"),
					strings.Join(n.Ingresses, ", "), agree(len(n.Ingresses), "reaches", "reach"), n.Svc.Name),
				Resource:    res,
				Evidence:    map[string]any{"containers": missing, "service": n.Svc.Namespace + "/" + n.Svc.Name, "ingresses": n.Ingresses},
				Remediation: fmt.Sprintf("kubectl patch %s %s -n %s --type strategic -p '%s'", strings.ToLower(w.Kind), w.Meta.Name, w.Meta.Namespace, preStopPatch(missing, need, *w.Template)),
			})
		})
	},
}
