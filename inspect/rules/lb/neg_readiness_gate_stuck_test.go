package lb

import (
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// gatedPod is a Pod of Service shop/web (app=web) created age before
// ruletest.Now, with the NEG readiness gate's condition as the readiness
// reflector writes it (status "" for none yet).
func gatedPod(name string, age time.Duration, status corev1.ConditionStatus, reason string) inventory.GatedPod {
	var p inventory.GatedPod
	p.Metadata.Namespace, p.Metadata.Name = "shop", name
	p.Metadata.Labels = map[string]string{"app": "web", "pod-template-hash": "7c9d8b6f5"}
	p.Metadata.CreationTimestamp = metav1.NewTime(ruletest.Now.Add(-age))
	p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: inventory.NEGReadinessGate}}
	p.Status.Phase = "Running"
	ready := corev1.ConditionTrue
	if status != "True" {
		ready = corev1.ConditionFalse
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: "Ready", Status: ready}}
	if status != "" {
		msg := map[string]string{
			"LoadBalancerNegReady":    `Pod has become Healthy in NEG "Key{\"k8s1-0123abcd-shop-web-80-9f8e7d6c\", zone: \"europe-west1-b\"}" attached to BackendService "Key{\"k8s1-0123abcd-shop-web-80-9f8e7d6c\"}". Marking condition "cloud.google.com/load-balancer-neg-ready" to True.`,
			"LoadBalancerNegTimeout":  `Timeout waiting for pod to become healthy in at least one of the NEG(s): [k8s1-0123abcd-shop-web-80-9f8e7d6c]. Marking condition "cloud.google.com/load-balancer-neg-ready" to True.`,
			"LoadBalancerNegNotReady": `Waiting for pod to become healthy in at least one of the NEG(s): [k8s1-0123abcd-shop-web-80-9f8e7d6c]`,
		}[reason]
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: inventory.NEGReadinessGate, Status: status, Reason: reason, Message: msg,
			LastTransitionTime: metav1.NewTime(ruletest.Now.Add(-age + 10*time.Minute))})
	}
	return p
}

func gateInventory(pods ...inventory.GatedPod) (*inventory.Inventory, *inventory.Cluster) {
	cl, bs := ruletest.NEGService(30, corev1.Container{Name: "web"}, nil)
	cl.GatedPods = pods
	inv := ruletest.Inventory(cl)
	inv.CollectedAt = ruletest.Now
	inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.KubePods, Scope: cl.Scope(), Status: inventory.StatusOK})
	inv.Compute.BackendServices = []*compute.BackendService{bs}
	return inv, cl
}

func TestNEGReadinessGateStuck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pods []inventory.GatedPod
		want []string
	}{
		{name: "every Pod seen healthy", pods: []inventory.GatedPod{gatedPod("web-1", time.Hour, "True", "LoadBalancerNegReady"), gatedPod("web-2", time.Hour, "True", "LoadBalancerNegReady")}},
		{name: "let in by the fail-safe", pods: []inventory.GatedPod{gatedPod("web-1", time.Hour, "True", "LoadBalancerNegTimeout"), gatedPod("web-2", time.Hour, "True", "LoadBalancerNegReady")},
			want: []string{"1 Pod (web-1) passed the gate only by its 10-minute fail-safe (LoadBalancerNegTimeout)"}},
		{name: "still waiting, within the fail-safe", pods: []inventory.GatedPod{gatedPod("web-1", 4*time.Minute, "False", "LoadBalancerNegNotReady")}},
		{name: "held back long past the fail-safe", pods: []inventory.GatedPod{gatedPod("web-1", 40*time.Minute, "False", "LoadBalancerNegNotReady"), gatedPod("web-2", 2*time.Hour, "", "")},
			want: []string{"2 Pods (web-1 (False LoadBalancerNegNotReady, created 40m0s ago), web-2 (no condition, created 2 hours ago)) are still held back"}},
		{name: "a Pending Pod (unschedulable) is not held back by the gate", pods: []inventory.GatedPod{func() inventory.GatedPod {
			p := gatedPod("web-3", 2*time.Hour, "", "")
			p.Status.Phase = "Pending"
			p.Status.Conditions = []corev1.PodCondition{{Type: "PodScheduled", Status: corev1.ConditionFalse, Reason: "Unschedulable"}}
			return p
		}()}},
		{name: "another namespace's Pod", pods: []inventory.GatedPod{func() inventory.GatedPod {
			p := gatedPod("web-1", time.Hour, "True", "LoadBalancerNegTimeout")
			p.Metadata.Namespace = "other"
			return p
		}()}},
		{name: "another Service's Pod", pods: []inventory.GatedPod{func() inventory.GatedPod {
			p := gatedPod("api-1", time.Hour, "True", "LoadBalancerNegTimeout")
			p.Metadata.Labels = map[string]string{"app": "api"}
			return p
		}()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv, _ := gateInventory(tc.pods...)
			got := ruletest.Run(t, inv, NEGReadinessGateStuck)
			if len(tc.want) == 0 {
				if len(got) != 0 {
					t.Fatalf("findings: %v", ruletest.Messages(got))
				}
				return
			}
			if len(got) != 1 || got[0].Resource.Kind != "Service" || got[0].Resource.Name != "web" {
				t.Fatalf("findings: %v", ruletest.Messages(got))
			}
			for _, w := range tc.want {
				if !strings.Contains(got[0].Message, w) {
					t.Errorf("message %q\nlacks %q", got[0].Message, w)
				}
			}
		})
	}
}

func TestNEGReadinessGateStuckCounts(t *testing.T) {
	t.Parallel()
	// One Service with gated Pods: judged.
	inv, cl := gateInventory(gatedPod("web-1", time.Hour, "True", "LoadBalancerNegReady"))
	ruletest.ExpectCounts(t, inv, NEGReadinessGateStuck, ruletest.Counts{Judged: 1, Passed: 1})
	inv, _ = gateInventory(gatedPod("web-1", time.Hour, "True", "LoadBalancerNegTimeout"))
	ruletest.ExpectCounts(t, inv, NEGReadinessGateStuck, ruletest.Counts{Judged: 1, Failed: 1})
	// No Pod of the Service has the gate (it is not injected yet, or the
	// Pods run elsewhere): nothing judged.
	inv, _ = gateInventory()
	ruletest.ExpectCounts(t, inv, NEGReadinessGateStuck, ruletest.Counts{})
	// The Pods could not be listed: could not check the cluster.
	inv, cl = gateInventory(gatedPod("web-1", time.Hour, "True", "LoadBalancerNegTimeout"))
	ruletest.FailSource(inv, inventory.KubePods, cl.Scope())
	c := ruletest.ExpectCounts(t, inv, NEGReadinessGateStuck, ruletest.Counts{CouldNotCheck: 1})
	if !strings.Contains(strings.Join(c.Reasons, " "), "kubernetes.pods") {
		t.Errorf("reasons %q", c.Reasons)
	}
}
