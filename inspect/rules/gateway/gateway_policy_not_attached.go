package gateway

import (
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// GatewayPolicyNotAttached reports GKE policies that do not apply.
var GatewayPolicyNotAttached = &inspect.Rule{
	ID:       "gateway-policy-not-attached",
	Severity: inspect.Warning,
	Title:    "Every GCPBackendPolicy and HealthCheckPolicy is Attached to its target",
	Doc: inspect.Doc{
		Why:     `A GCPBackendPolicy or HealthCheckPolicy applies only when the Gateway controller attached it (its Attached condition). A policy that lost to an older policy on the same Service (only one per Service applies, Conflicted), or that the controller found invalid, is silently ignored: the backend runs with defaults (no draining, no logging, no Cloud Armor, default health check). A target that does not exist is gateway-policy-target-missing's.`,
		Fix:     `Point spec.targetRef at the Service (group "", kind Service, name, in the policy's namespace), and keep one policy of each kind per Service.`,
		Sources: []string{"Configure Gateway resources using Policies (cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources)", "GoogleCloudPlatform/gke-gateway-api apis/networking/v1 (Attached condition)"},
		URL:     "https://cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			if !p.Known(inventory.KubeServices, cl.Scope()) {
				continue
			}
			// The policies of a kind that was not read are not judged.
			p.Known(inventory.KubeGCPBackendPolicies, cl.Scope())
			p.Known(inventory.KubeHealthCheckPolicies, cl.Scope())
			for _, pol := range policies(cl) {
				ref := pol.target
				res := core.KubeResource(cl, pol.kind, pol.meta)
				// The inventory, not the pass: a target lbdiag could not
				// look up does not keep the condition from being read.
				if problem, _, _ := policyTargetProblem(inv, cl, pol, ref); problem != "" {
					continue // gateway-policy-target-missing's finding
				}
				conds := append([]metav1.Condition(nil), pol.status.Conditions...)
				for _, a := range pol.status.Ancestors {
					conds = append(conds, a.Conditions...)
				}
				for _, c := range conds {
					if c.Type == "Attached" {
						p.Judge(res) // the controller has said whether it applies
						break
					}
				}
				sort.SliceStable(conds, func(i, j int) bool { return conds[i].Reason < conds[j].Reason })
				for _, c := range conds {
					if c.Type == "Attached" && c.Status == metav1.ConditionFalse {
						p.Report(inspect.Finding{
							Message:     fmt.Sprintf("Attached is False (reason %s): %s — the policy does not apply to %s %s", c.Reason, c.Message, ref.Kind, ref.Name),
							Resource:    res,
							Evidence:    map[string]any{"condition": "Attached", "reason": c.Reason, "message": c.Message, "targetRef": ref.Kind + "/" + ref.Name},
							Remediation: fmt.Sprintf("kubectl describe %s %s -n %s   # Conflicted: keep only the oldest policy per Service; TargetNotFound: fix spec.targetRef", strings.ToLower(pol.kind), pol.meta.Name, pol.meta.Namespace),
						})
						break
					}
				}
			}
		}
	},
}

// policyTarget is the Service a GKE policy targets, and its attachment.
type policyTarget struct {
	kind   string
	meta   metav1.ObjectMeta
	target inventory.PolicyTargetReference
	// targets are every target (GCPTrafficDistributionPolicy has several).
	targets []inventory.PolicyTargetReference
	status  inventory.PolicyStatus
}

func policies(cl *inventory.Cluster) []policyTarget {
	var out []policyTarget
	for _, p := range cl.GCPBackendPolicies {
		out = append(out, policyTarget{kind: "GCPBackendPolicy", meta: p.ObjectMeta, target: p.Spec.TargetRef, targets: []inventory.PolicyTargetReference{p.Spec.TargetRef}, status: p.Status})
	}
	for _, p := range cl.HealthCheckPolicies {
		out = append(out, policyTarget{kind: "HealthCheckPolicy", meta: p.ObjectMeta, target: p.Spec.TargetRef, targets: []inventory.PolicyTargetReference{p.Spec.TargetRef}, status: p.Status})
	}
	return out
}
