package lb

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// The NEG readiness reflector's condition reasons and its fail-safe
// (kubernetes/ingress-gce pkg/neg/readiness/reflector.go).
const (
	negGateTimeout = "LoadBalancerNegTimeout"
	// negGateFailSafe is the reflector's unreadyTimeout: a Pod not healthy
	// in its NEG that long after its creation is let in anyway.
	negGateFailSafe = 10 * time.Minute
	// negGateSlack is how long past the fail-safe lbdiag waits before it
	// calls a gate that is still false stuck.
	negGateSlack = 5 * time.Minute
)

// NEGReadinessGateStuck reports Services whose Pods the NEG readiness gate
// holds back, or let in without the load balancer ever seeing them
// healthy.
var NEGReadinessGateStuck = &inspect.Rule{
	ID:       "neg-readiness-gate-stuck",
	Severity: inspect.Warning,
	Needs:    []inventory.Source{inventory.KubePods},
	Title:    "Every Pod behind a GKE NEG passes its NEG readiness gate because the load balancer saw it healthy",
	Doc: inspect.Doc{
		Why: `For a Service exposed through NEGs, GKE injects the readiness gate cloud.google.com/load-balancer-neg-ready into its Pods: a Pod is Ready only once the NEG controller's readiness reflector saw it healthy in its NEG (reason LoadBalancerNegReady), which keeps rolling updates from outrunning the load balancer. If the load balancer never sees it healthy, the reflector gives up ` + "10 minutes after the Pod's creation and sets the condition True anyway with reason LoadBalancerNegTimeout" + `: the rollout goes on while the load balancer still fails the Pod's health check, and once the old Pods are gone the backend has no healthy endpoint. A condition still False (LoadBalancerNegNotReady) well past those 10 minutes means the reflector is not acting at all, and the Pod never turns Ready ("my new Pods never get traffic", a Deployment stuck mid-rollout). lbdiag lists the Pods (keeping only those with the gate) and reads the condition.`,
		Fix: `For LoadBalancerNegTimeout: make the load balancer see the Pods healthy (the health check's port and path, health-check-firewall-missing, readiness-probe-health-check-mismatch), then restart them: kubectl rollout restart deployment NAME -n NS. For a gate stuck False: kubectl describe pod POD -n NS and the NEG controller's events on the Service (lb-sync-error); check that the Service's cloud.google.com/neg-status names the NEGs.`,
		Sources: []string{"Container-native load balancing: Pod readiness (cloud.google.com/kubernetes-engine/docs/concepts/container-native-load-balancing#pod_readiness)",
			"kubernetes/ingress-gce pkg/neg/readiness/reflector.go (the condition's reasons and the 10-minute unreadyTimeout)", core.SrcTroubleshoot},
		URL: "https://cloud.google.com/kubernetes-engine/docs/concepts/container-native-load-balancing#pod_readiness",
	},
	Check: func(p *inspect.Pass) {
		for _, n := range negServings(p) {
			// Known records a cluster whose Pods were not listed once.
			if gke.IsDefaultBackend(n.Svc.Namespace, n.Svc.Name) || len(n.Svc.Spec.Selector) == 0 || !p.Known(inventory.KubePods, n.Cl.Scope()) {
				continue
			}
			checkGatedPods(p, n)
		}
	},
}

// checkGatedPods judges the gated Pods of one NEG-served Service.
func checkGatedPods(p *inspect.Pass, n core.NEGServing) {
	inv := p.Inventory
	sel := labels.SelectorFromSet(n.Svc.Spec.Selector)
	var timedOut, stuck, stuckWhy []string
	var pods []map[string]any
	judged := false
	for _, pod := range n.Cl.GatedPodsIn(n.Svc.Namespace) {
		m := pod.Metadata
		if m.DeletionTimestamp != nil || !sel.Matches(labels.Set(m.Labels)) ||
			(pod.Status.Phase != "Running" && pod.Status.Phase != "Pending") {
			continue
		}
		judged = true
		cond := pod.Condition(inventory.NEGReadinessGate)
		age := inv.CollectedAt.Sub(m.CreationTimestamp.Time)
		switch {
		case cond != nil && cond.Status == "True" && cond.Reason == negGateTimeout:
			timedOut = append(timedOut, m.Name)
			pods = append(pods, map[string]any{"pod": m.Name, "reason": cond.Reason, "since": cond.LastTransitionTime.UTC().Format(time.RFC3339)})
		// Held back: only a Running Pod is one the reflector should have
		// let in. A Pending one (unschedulable, pulling its image) has
		// no endpoint in any NEG yet, and is not Ready for its own
		// reasons.
		case pod.Status.Phase == "Running" && (cond == nil || cond.Status != "True") && !m.CreationTimestamp.IsZero() && !inv.CollectedAt.IsZero() && age > negGateFailSafe+negGateSlack:
			reason := "no condition"
			if cond != nil {
				reason = string(cond.Status) + " " + cond.Reason
			}
			stuck = append(stuck, m.Name)
			stuckWhy = append(stuckWhy, fmt.Sprintf("%s (%s, created %s ago)", m.Name, reason, core.HumanDuration(age)))
			pods = append(pods, map[string]any{"pod": m.Name, "reason": reason, "created": m.CreationTimestamp.UTC().Format(time.RFC3339)})
		}
	}
	if !judged {
		return // no Pod of the Service carries the gate
	}
	res := core.KubeResource(n.Cl, "Service", n.Svc.ObjectMeta)
	p.Judge(res)
	if len(timedOut) == 0 && len(stuck) == 0 {
		return
	}
	sort.Strings(timedOut)
	sort.Strings(stuckWhy)
	var parts []string
	if len(timedOut) > 0 {
		parts = append(parts, fmt.Sprintf("%d %s (%s) passed the gate only by its 10-minute fail-safe (LoadBalancerNegTimeout): the load balancer never saw them healthy, and they take traffic it fails",
			len(timedOut), agree(len(timedOut), "Pod", "Pods"), examples(timedOut)))
	}
	if len(stuck) > 0 {
		parts = append(parts, fmt.Sprintf("%d %s (%s) %s still held back by the gate long past its fail-safe: the NEG readiness reflector is not acting and they never turn Ready",
			len(stuck), agree(len(stuck), "Pod", "Pods"), examples(stuckWhy), agree(len(stuck), "is", "are")))
	}
	fix := fmt.Sprintf("kubectl describe pod %s -n %s; kubectl describe service %s -n %s   # the NEG controller's events and cloud.google.com/neg-status", stuck0(stuck), n.Svc.Namespace, n.Svc.Name, n.Svc.Namespace)
	if len(timedOut) > 0 {
		var gets []string
		for _, sb := range n.Backends {
			gets = append(gets, fmt.Sprintf("gcloud compute backend-services get-health %s %s --project %s", sb.BS.Name, core.GCloudScope(sb.BS), inventory.ProjectOf(sb.BS.SelfLink)))
		}
		if len(gets) == 0 {
			gets = []string{"gcloud compute backend-services get-health BACKEND_SERVICE --global --project " + inv.Project}
		}
		fix = fmt.Sprintf("%s   # why the load balancer fails them; then kubectl rollout restart the workload of Service %s/%s", strings.Join(core.SortedUnique(gets), " && "), n.Svc.Namespace, n.Svc.Name)
	}
	p.Report(inspect.Finding{
		Message:     fmt.Sprintf("Service %s/%s is exposed through NEGs with the readiness gate %s, but %s", n.Svc.Namespace, n.Svc.Name, inventory.NEGReadinessGate, strings.Join(parts, "; ")),
		Resource:    res,
		Evidence:    map[string]any{"readinessGate": inventory.NEGReadinessGate, "pods": pods, "timedOut": len(timedOut), "heldBack": len(stuck)},
		Remediation: fix,
	})
}

// stuck0 is the first held-back Pod, for the fix ("POD" when none).
func stuck0(stuck []string) string {
	if len(stuck) == 0 {
		return "POD"
	}
	sort.Strings(stuck)
	return stuck[0]
}
