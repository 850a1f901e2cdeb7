package lb

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// negDetachLatency is the time the guide allows for a Pod's endpoint to
// leave its NEG and stop receiving new requests.
const negDetachLatency = 60

// shutdownMargin is the least time lbdiag leaves the application to shut
// down after its preStop hook and before SIGKILL.
const shutdownMargin = 5

// agree picks the singular or plural form for n things.
func agree(n int, singular, plural string) string {
	if n == 1 {
		return singular
	}
	return plural
}

// negServings are the NEG-served Services of the index; it records the
// clusters whose Ingresses, Services, Gateways or HTTPRoutes were not read,
// where the index could not find them (it checks coverage without the
// pass).
func negServings(p *inspect.Pass) []core.NEGServing {
	for _, cl := range p.Inventory.Clusters {
		s := cl.Scope()
		_ = p.Known(inventory.KubeIngresses, s) && p.Known(inventory.KubeServices, s) &&
			p.Known(inventory.KubeGateways, s) && p.Known(inventory.KubeHTTPRoutes, s)
	}
	return core.IndexOf(p).NEGServings()
}

// workloadFindings calls check for each workload of each NEG-served Service
// once, in clusters whose workloads were read.
func workloadFindings(p *inspect.Pass, check func(n core.NEGServing, w core.Workload)) {
	seen := map[string]bool{}
	for _, n := range negServings(p) {
		if !core.WorkloadSourcesKnown(p, n.Cl) {
			continue
		}
		for _, w := range core.WorkloadsOf(n.Cl, n.Svc) {
			key := n.Cl.Scope() + "/" + w.Kind + "/" + w.Meta.Namespace + "/" + w.Meta.Name
			if seen[key] {
				continue
			}
			seen[key] = true
			check(n, w)
		}
	}
}

// drainUnknown records why a NEG-served Service's draining timeout is
// unknown, when it is because a list was not read: the backend services,
// or, behind a Gateway, the GCPBackendPolicies. (A backend service not
// built yet is no gap.)
func drainUnknown(p *inspect.Pass, n core.NEGServing) {
	if !n.BsKnown {
		p.Known(inventory.ComputeBackendServices, inventory.ProjectScope(p.Inventory.Project))
	}
	if n.Gateway && !n.PolicyKnown {
		p.Known(inventory.KubeGCPBackendPolicies, n.Cl.Scope())
	}
}

// preStopPatch is a strategic-merge patch adding a sleep preStop hook of
// need seconds to the containers, with a grace period that covers it.
func preStopPatch(containers []string, need int64, t corev1.PodTemplateSpec) string {
	var cs []string
	for _, c := range containers {
		cs = append(cs, fmt.Sprintf(`{"name":"%s","lifecycle":{"preStop":{"exec":{"command":["sh","-c","sleep %d"]}}}}`, c, need))
	}
	grace, _ := core.GracePeriod(t)
	g := ""
	if grace < need+shutdownMargin {
		g = fmt.Sprintf(`"terminationGracePeriodSeconds":%d,`, need+30)
	}
	return fmt.Sprintf(`{"spec":{"template":{"spec":{%s"containers":[%s]}}}}`, g, strings.Join(cs, ","))
}
