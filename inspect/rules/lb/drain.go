package lb

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
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

// workloadFindings calls check for each workload of each NEG-served Service
// once, in clusters whose workloads were read.
func workloadFindings(p *inspect.Pass, check func(n core.NEGServing, w core.Workload)) {
	inv := p.Inventory
	seen := map[string]bool{}
	for _, n := range core.IndexOf(p).NEGServings() {
		if !core.WorkloadSourcesKnown(inv, n.Cl) {
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
