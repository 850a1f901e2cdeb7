package ingress

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inspect/rules/events"
	"github.com/lbdiag/lbdiag/inventory"
)

func condition(conds []metav1.Condition, t string) *metav1.Condition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

// GatewayNotProgrammed reports Gateways the controller could not program
// and routes it did not accept.
var GatewayNotProgrammed = &inspect.Rule{
	ID:       "gateway-not-programmed",
	Severity: inspect.Error,
	Title:    "Every GKE Gateway is Programmed and every HTTPRoute is Accepted with resolved references",
	Doc: inspect.Doc{
		Why:     `GKE's Gateway controller sets a Gateway's Programmed condition to False, with the Compute Engine error in its message, when it cannot build the load balancer: the Gateway gets no address and serves nothing. An HTTPRoute that is not Accepted by its Gateway, or whose backend references do not resolve (a missing Service, a port it does not have, a cross-namespace reference without a ReferenceGrant), routes nothing.`,
		Fix:     `Read the condition's message (kubectl describe gateway GW -n NS / kubectl describe httproute R -n NS) and fix its cause; lbdiag names the rule that explains a known cause.`,
		Sources: []string{"Gateway API status conditions (gateway-api.sigs.k8s.io/reference/spec)", "GKE Gateway troubleshooting (cloud.google.com/kubernetes-engine/docs/troubleshooting/troubleshooting-gateway)"},
		URL:     "https://cloud.google.com/kubernetes-engine/docs/troubleshooting/troubleshooting-gateway",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			if inv.Known(inventory.KubeGateways, cl.Scope()) {
				for i := range cl.Gateways {
					gw := &cl.Gateways[i]
					c := condition(gw.Status.Conditions, "Programmed")
					if !strings.HasPrefix(gw.Spec.GatewayClassName, "gke-l7-") || c == nil || c.Status != metav1.ConditionFalse {
						continue
					}
					res := core.KubeResource(cl, "Gateway", gw.ObjectMeta)
					f := inspect.Finding{
						Message:     fmt.Sprintf("Programmed is False (reason %s): %s", c.Reason, c.Message),
						Resource:    res,
						Evidence:    map[string]any{"condition": "Programmed", "status": "False", "reason": c.Reason, "message": c.Message},
						Remediation: fmt.Sprintf("kubectl describe gateway %s -n %s   # fix the cause the message names", gw.Name, gw.Namespace),
					}
					if !c.LastTransitionTime.IsZero() { // unset: say nothing rather than 0001-01-01
						f.Evidence["since"] = c.LastTransitionTime.UTC().Format(time.RFC3339)
					}
					if cause := events.Classify(c.Message); cause != nil {
						f.Evidence["cause"] = cause.Label
						if cause.Rule != "" {
							f.Message += fmt.Sprintf(" — cause: %s (rule %s)", cause.Label, cause.Rule)
							f.Remediation = fmt.Sprintf("fix the %s: lbdiag explain %s", cause.Label, cause.Rule)
							f.Evidence["explainedBy"] = cause.Rule
							f.AttachTo = &inspect.Attachment{Rule: cause.Rule, Resource: res}
						}
					}
					p.Report(f)
				}
			}
			if !inv.Known(inventory.KubeHTTPRoutes, cl.Scope()) {
				continue
			}
			for i := range cl.HTTPRoutes {
				r := &cl.HTTPRoutes[i]
				var problems []string
				for _, parent := range r.Status.Parents {
					for _, t := range []string{"Accepted", "ResolvedRefs"} {
						if c := condition(parent.Conditions, t); c != nil && c.Status == metav1.ConditionFalse {
							problems = append(problems, fmt.Sprintf("%s is False for parent %s (reason %s): %s", t, parent.ParentRef.Name, c.Reason, c.Message))
						}
					}
				}
				if len(problems) == 0 {
					continue
				}
				p.Report(inspect.Finding{
					Message:     strings.Join(problems, "; "),
					Resource:    core.KubeResource(cl, "HTTPRoute", r.ObjectMeta),
					Evidence:    map[string]any{"problems": problems},
					Remediation: fmt.Sprintf("kubectl describe httproute %s -n %s   # fix the parentRefs or backendRefs the conditions name", r.Name, r.Namespace),
				})
			}
		}
	},
}

// policyTarget is the Service a GKE policy targets, and its attachment.
type policyTarget struct {
	kind   string
	meta   metav1.ObjectMeta
	target inventory.PolicyTargetReference
	status inventory.PolicyStatus
}

func policies(cl *inventory.Cluster) []policyTarget {
	var out []policyTarget
	for _, p := range cl.GCPBackendPolicies {
		out = append(out, policyTarget{kind: "GCPBackendPolicy", meta: p.ObjectMeta, target: p.Spec.TargetRef, status: p.Status})
	}
	for _, p := range cl.HealthCheckPolicies {
		out = append(out, policyTarget{kind: "HealthCheckPolicy", meta: p.ObjectMeta, target: p.Spec.TargetRef, status: p.Status})
	}
	return out
}

// GatewayPolicyNotAttached reports GKE policies that do not apply.
var GatewayPolicyNotAttached = &inspect.Rule{
	ID:       "gateway-policy-not-attached",
	Severity: inspect.Warning,
	Title:    "Every GCPBackendPolicy and HealthCheckPolicy targets an existing Service and is Attached",
	Doc: inspect.Doc{
		Why:     `A GCPBackendPolicy or HealthCheckPolicy applies only when its targetRef names a Service in its namespace and the Gateway controller attached it. A policy whose target does not exist, or that lost to an older policy on the same Service (only one per Service applies), is silently ignored: the backend runs with defaults (no draining, no logging, no Cloud Armor, default health check).`,
		Fix:     `Point spec.targetRef at the Service (group "", kind Service, name, in the policy's namespace), and keep one policy of each kind per Service.`,
		Sources: []string{"Configure Gateway resources using Policies (cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources)", "GoogleCloudPlatform/gke-gateway-api apis/networking/v1 (Attached condition)"},
		URL:     "https://cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			if !inv.Known(inventory.KubeServices, cl.Scope()) {
				continue
			}
			for _, pol := range policies(cl) {
				ref := pol.target
				res := core.KubeResource(cl, pol.kind, pol.meta)
				ns := pol.meta.Namespace
				if ref.Namespace != nil && *ref.Namespace != "" {
					ns = *ref.Namespace
				}
				if ref.Kind == "Service" && ref.Group == "" && core.FindService(cl, ns, ref.Name) == nil && inv.KnownObject(inventory.KubeServices, cl, "services", ns, ref.Name) {
					near := core.Nearest(ref.Name, core.ServicesInNamespace(cl, ns))
					msg := fmt.Sprintf("spec.targetRef names Service %s/%s, which does not exist: the policy applies to nothing", ns, ref.Name)
					fix := fmt.Sprintf("set spec.targetRef.name of %s %s/%s to the Service it is meant for", pol.kind, pol.meta.Namespace, pol.meta.Name)
					if near != "" {
						msg += fmt.Sprintf("; %q exists there (a typo?)", near)
						fix = fmt.Sprintf(`kubectl patch %s %s -n %s --type merge -p '{"spec":{"targetRef":{"name":"%s"}}}'`, strings.ToLower(pol.kind), pol.meta.Name, pol.meta.Namespace, near)
					}
					p.Report(inspect.Finding{Message: msg, Resource: res, Evidence: map[string]any{"targetRef": ref.Kind + "/" + ref.Name, "namespace": ns}, Remediation: fix})
					continue
				}
				conds := append([]metav1.Condition(nil), pol.status.Conditions...)
				for _, a := range pol.status.Ancestors {
					conds = append(conds, a.Conditions...)
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

// NEGMissing reports NEGs the NEG controller lists that do not exist.
var NEGMissing = &inspect.Rule{
	ID:       "neg-missing",
	Severity: inspect.Error,
	Title:    "Every NEG a Service's neg-status lists exists in each of its zones",
	Doc: inspect.Doc{
		Why:     `The NEG controller writes the Service's NEGs and their zones in cloud.google.com/neg-status. When one is absent from Compute Engine (deleted by hand, the controller lagging or failing), the Ingress controller's sync fails with "networkEndpointGroups/... was not found" (404) and Pods in that zone get no traffic.`,
		Fix:     `Look at the Service's events (kubectl describe service SVC -n NS) for the NEG controller's error; removing and re-adding the cloud.google.com/neg annotation makes the controller recreate the NEGs.`,
		Sources: []string{"kubernetes/ingress-gce pkg/neg/controller.go (syncNegStatusAnnotation), pkg/backends/neg_linker.go", "kubernetes/kubernetes issue #93740 (NEG 404)"},
		URL:     core.DocNEG,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !inv.Known(inventory.ComputeNEGs, inventory.ProjectScope(inv.Project)) {
			return
		}
		exists := map[string]bool{}
		for _, n := range inv.Compute.NEGs {
			exists[inventory.LocationOf(n.SelfLink)+"/"+n.Name] = true
		}
		forServices(inv, func(cl *inventory.Cluster, svc *corev1.Service) {
			st, ok := core.ParseNEGStatus(svc)
			if !ok {
				return
			}
			var missing []string
			for _, port := range core.SortedKeys(st.NEGs) {
				for _, z := range st.Zones {
					if !exists[z+"/"+st.NEGs[port]] {
						missing = append(missing, fmt.Sprintf("%s in %s (port %s)", st.NEGs[port], z, port))
					}
				}
			}
			if len(missing) == 0 {
				return
			}
			p.Report(inspect.Finding{
				Message:  fmt.Sprintf("cloud.google.com/neg-status lists NEGs that Compute Engine does not have: %s: the Ingress sync fails with a NEG 404 and Pods there get no traffic", strings.Join(missing, ", ")),
				Resource: core.KubeResource(cl, "Service", svc.ObjectMeta),
				Evidence: map[string]any{"missing": missing, "negStatus": svc.Annotations[core.AnnNEGStatus]},
				Remediation: fmt.Sprintf("kubectl describe service %s -n %s   # the NEG controller's error; to have the NEGs recreated: kubectl annotate service %s -n %s %s- && kubectl annotate service %s -n %s %s='%s'",
					svc.Name, svc.Namespace, svc.Name, svc.Namespace, core.AnnNEG, svc.Name, svc.Namespace, core.AnnNEG, svc.Annotations[core.AnnNEG]),
			})
		})
	},
}

// IGExternalTrafficLocal reports instance-group backends on Services with
// externalTrafficPolicy Local.
var IGExternalTrafficLocal = &inspect.Rule{
	ID:       "ig-external-traffic-local",
	Severity: inspect.Warning,
	Title:    "No Ingress reaches a Service with externalTrafficPolicy Local through instance groups",
	Doc: inspect.Doc{
		Why: `With instance-group backends every node is a backend, and with externalTrafficPolicy: Local a node without a serving Pod drops the request: the load balancer sends traffic there until its health check (by default 10 failures 60 s apart) notices, and clients see 502s. The troubleshooting guide lists exactly this: many nodes, serving Pods on a few, externalTrafficPolicy: Local.`,
		Fix: `Any of the guide's three options:
  1. Use container-native load balancing (VPC-native cluster): kubectl annotate service SVC -n NS cloud.google.com/neg='{"ingress":true}'
  2. kubectl patch service SVC -n NS -p '{"spec":{"externalTrafficPolicy":"Cluster"}}'
  3. Label the nodes without serving Pods node.kubernetes.io/exclude-from-external-load-balancers=true`,
		Sources: []string{core.SrcTroubleshoot + ": External Ingress produces HTTP 502 errors (unmanaged instance groups)"},
		URL:     core.DocTroubleshootLB,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		seen := map[string]bool{}
		for _, cl := range inv.Clusters {
			if !inv.Known(inventory.KubeIngresses, cl.Scope()) || !inv.Known(inventory.KubeServices, cl.Scope()) {
				continue
			}
			for _, b := range core.LBBackends(cl) {
				if b.NEG || b.OwnerKind != "Ingress" || b.Svc.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
					continue
				}
				key := cl.Scope() + "/" + b.Svc.Namespace + "/" + b.Svc.Name
				if seen[key] {
					continue
				}
				seen[key] = true
				counts := "lbdiag could not count the nodes serving it"
				ev := map[string]any{"externalTrafficPolicy": "Local", "ingress": b.Owner.Namespace + "/" + b.Owner.Name}
				if inv.Known(inventory.KubeNodes, cl.Scope()) && inv.Known(inventory.KubeEndpointSlices, cl.Scope()) {
					serving := core.NodesServing(cl, b.Svc)
					counts = fmt.Sprintf("%d of the cluster's %d nodes run a serving Pod", len(serving), len(cl.Nodes))
					ev["nodes"], ev["nodesWithServingPods"] = len(cl.Nodes), serving
				}
				fix := fmt.Sprintf("kubectl patch service %s -n %s -p '{\"spec\":{\"externalTrafficPolicy\":\"Cluster\"}}'", b.Svc.Name, b.Svc.Namespace)
				if cl.Info.GetIpAllocationPolicy().GetUseIpAliases() {
					fix = fmt.Sprintf("kubectl annotate service %s -n %s cloud.google.com/neg='{\"ingress\":true}' --overwrite   # or: %s", b.Svc.Name, b.Svc.Namespace, fix)
				}
				p.Report(inspect.Finding{
					Message:     fmt.Sprintf("Ingress %s/%s reaches this Service through instance groups and it has externalTrafficPolicy: Local (%s): nodes without a serving Pod answer 502 until the health check marks them down", b.Owner.Namespace, b.Owner.Name, counts),
					Resource:    core.KubeResource(cl, "Service", b.Svc.ObjectMeta),
					Evidence:    ev,
					Remediation: fix,
				})
			}
		}
	},
}
