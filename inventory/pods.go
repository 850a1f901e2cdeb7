package inventory

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NEGReadinessGate is the Pod readiness gate GKE's NEG controller injects
// into the Pods of a Service exposed through NEGs (kubernetes/ingress-gce
// pkg/neg/shared.NegReadinessGate); its readiness reflector sets the
// condition of that type.
const NEGReadinessGate = "cloud.google.com/load-balancer-neg-ready"

// GatedPod is what lbdiag keeps of a Pod with the NEG readiness gate: its
// name, labels, age and phase, and its conditions (the gate's among them).
// It decodes from a Pod as the API server writes it; every other field
// is dropped at decode time.
type GatedPod struct {
	Metadata struct {
		Namespace         string            `json:"namespace"`
		Name              string            `json:"name"`
		Labels            map[string]string `json:"labels,omitempty"`
		CreationTimestamp metav1.Time       `json:"creationTimestamp"`
		DeletionTimestamp *metav1.Time      `json:"deletionTimestamp,omitempty"`
	} `json:"metadata"`
	Spec struct {
		ReadinessGates []corev1.PodReadinessGate `json:"readinessGates,omitempty"`
	} `json:"spec"`
	Status struct {
		Phase      corev1.PodPhase       `json:"phase,omitempty"`
		Conditions []corev1.PodCondition `json:"conditions,omitempty"`
	} `json:"status"`
}

// Gated reports whether the Pod has the NEG readiness gate.
func (p *GatedPod) Gated() bool {
	for _, g := range p.Spec.ReadinessGates {
		if string(g.ConditionType) == NEGReadinessGate {
			return true
		}
	}
	return false
}

// Condition returns the Pod's condition of a type, or nil.
func (p *GatedPod) Condition(t string) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if string(p.Status.Conditions[i].Type) == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}
