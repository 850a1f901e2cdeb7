package gateway

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// GatewayPolicyTargetMissing reports GKE policies whose targetRef names
// nothing they can apply to.
var GatewayPolicyTargetMissing = &inspect.Rule{
	ID:       "gateway-policy-target-missing",
	Severity: inspect.Error,
	Title:    "Every GKE Gateway policy targets an existing object of the kind it applies to, in its namespace",
	Doc: inspect.Doc{
		Why: `GKE's policies apply to what their targetRef names, in the policy's own namespace: a GCPBackendPolicy, HealthCheckPolicy or GCPTrafficDistributionPolicy to a Service (a ServiceImport with multi-cluster Gateways), a GCPGatewayPolicy to a Gateway. A target that does not exist, of another kind, or in another namespace leaves the policy unattached (TargetNotFound or Invalid): the backends run with defaults (no draining, no Cloud Armor, the default health check, no SSL policy) and nothing else says so.`,
		Fix: `Point spec.targetRef (spec.targetRefs) at the Service or Gateway, in the policy's namespace, or move the policy to the target's namespace.`,
		Sources: []string{"GKE: Configure Gateway resources using Policies, limitations (cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources)",
			"GoogleCloudPlatform/gke-gateway-api apis/networking/v1 (targetRef types)"},
		URL: "https://cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			// The policies of a kind that was not read are not judged.
			for _, s := range policySources {
				p.Known(s, cl.Scope())
			}
			for _, pol := range allPolicies(cl) {
				res := core.KubeResource(cl, pol.kind, pol.meta)
				decided := len(pol.targets) > 0
				for _, ref := range pol.targets {
					problem, fix, known := policyTargetProblem(p, cl, pol, ref)
					decided = decided && known
					if problem != "" {
						p.Report(inspect.Finding{Message: problem, Resource: res, Key: ref.Kind + "/" + ref.Name,
							Evidence: map[string]any{"targetRef": fmt.Sprintf("%s/%s %s", ref.Group, ref.Kind, ref.Name), "namespace": pol.meta.Namespace}, Remediation: fix})
					}
				}
				if decided {
					p.Judge(res)
				}
			}
		}
	},
}

// policySources are the lists of GKE's policies.
var policySources = []inventory.Source{inventory.KubeGCPBackendPolicies, inventory.KubeHealthCheckPolicies, inventory.KubeGCPGatewayPolicies, inventory.KubeTrafficPolicies}

// knower answers whether a source was read: the inventory, or a pass that
// also records where it was not.
type knower interface {
	Known(source inventory.Source, scope string) bool
	KnownObject(source inventory.Source, cl *inventory.Cluster, resource, ns, name string) bool
}

// policyTargetProblem says what is wrong with a policy's target, and the
// fix; "" when nothing is, or lbdiag could not tell: known is false then
// (the target's kind was not read, as k records, or is a ServiceImport).
func policyTargetProblem(k knower, cl *inventory.Cluster, pol policyTarget, ref inventory.PolicyTargetReference) (problem, fix string, known bool) {
	kindCmd := strings.ToLower(pol.kind)
	if ref.Namespace != nil && *ref.Namespace != "" && *ref.Namespace != pol.meta.Namespace {
		return fmt.Sprintf("spec.targetRef names %s %s/%s in another namespace: GKE attaches a %s only to a target in its own namespace (%s), so it applies to nothing", ref.Kind, *ref.Namespace, ref.Name, pol.kind, pol.meta.Namespace),
			fmt.Sprintf("kubectl get %s %s -n %s -o yaml | sed 's/namespace: %s/namespace: %s/' | kubectl apply -f -   # recreate the policy in the target's namespace, without targetRef.namespace, then delete the old one",
				kindCmd, pol.meta.Name, pol.meta.Namespace, pol.meta.Namespace, *ref.Namespace), true
	}
	wantGroup, wantKinds := "", []string{"Service", "ServiceImport"}
	if pol.kind == "GCPGatewayPolicy" {
		wantGroup, wantKinds = core.GatewayGroup, []string{"Gateway"}
	}
	if !core.Contains(wantKinds, ref.Kind) {
		return fmt.Sprintf("spec.targetRef names kind %q: a %s applies to %s only, so it applies to nothing", ref.Kind, pol.kind, strings.Join(wantKinds, " or ")),
			fmt.Sprintf("kubectl edit %s %s -n %s   # spec.targetRef: {group: %q, kind: %s, name: NAME}", kindCmd, pol.meta.Name, pol.meta.Namespace, wantGroup, wantKinds[0]), true
	}
	ns := pol.meta.Namespace
	switch ref.Kind {
	case "Service":
		if ref.Group != "" {
			return fmt.Sprintf("spec.targetRef names Service with group %q: the core group is \"\"", ref.Group),
				fmt.Sprintf(`kubectl patch %s %s -n %s --type merge -p '{"spec":{"targetRef":{"group":""}}}'`, kindCmd, pol.meta.Name, pol.meta.Namespace), true
		}
		if core.FindService(cl, ns, ref.Name) != nil {
			return "", "", true
		}
		if !k.KnownObject(inventory.KubeServices, cl, "services", ns, ref.Name) {
			return "", "", false
		}
		problem, fix = targetMissing(pol, ref, "Service", core.ServicesInNamespace(cl, ns))
		return problem, fix, true
	case "Gateway":
		if core.FindGateway(cl, ns, ref.Name) != nil {
			return "", "", true
		}
		if !k.Known(inventory.KubeGateways, cl.Scope()) {
			return "", "", false
		}
		problem, fix = targetMissing(pol, ref, "Gateway", core.GatewaysInNamespace(cl, ns))
		return problem, fix, true
	}
	return "", "", false // ServiceImport: multi-cluster, not read
}

func targetMissing(pol policyTarget, ref inventory.PolicyTargetReference, kind string, candidates []string) (string, string) {
	ns := pol.meta.Namespace
	msg := fmt.Sprintf("spec.targetRef names %s %s/%s, which does not exist: the policy applies to nothing (TargetNotFound)", kind, ns, ref.Name)
	fix := fmt.Sprintf("set spec.targetRef.name of %s %s/%s to the %s it is meant for", pol.kind, ns, pol.meta.Name, kind)
	if near := core.Nearest(ref.Name, candidates); near != "" {
		msg += fmt.Sprintf("; %q exists there (a typo?)", near)
		fix = fmt.Sprintf(`kubectl patch %s %s -n %s --type merge -p '{"spec":{"targetRef":{"name":"%s"}}}'`, strings.ToLower(pol.kind), pol.meta.Name, ns, near)
		if pol.kind == "GCPTrafficDistributionPolicy" {
			fix = fmt.Sprintf("kubectl edit %s %s -n %s   # spec.targetRefs: name: %s (was %s)", strings.ToLower(pol.kind), pol.meta.Name, ns, near, ref.Name)
		}
	}
	return msg, fix
}

// allPolicies are the cluster's GKE policies that were read, with their
// targets.
func allPolicies(cl *inventory.Cluster) []policyTarget {
	out := policies(cl)
	for _, p := range cl.GCPGatewayPolicies {
		out = append(out, policyTarget{kind: "GCPGatewayPolicy", meta: p.ObjectMeta, target: p.Spec.TargetRef, targets: []inventory.PolicyTargetReference{p.Spec.TargetRef}, status: p.Status})
	}
	for _, p := range cl.TrafficPolicies {
		out = append(out, policyTarget{kind: "GCPTrafficDistributionPolicy", meta: p.ObjectMeta, targets: p.Spec.TargetRefs, status: p.Status})
	}
	return out
}
