package lb

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// NEGDrainTimeoutUnset reports NEG backend services without connection
// draining.
var NEGDrainTimeoutUnset = &inspect.Rule{
	ID:       "neg-drain-timeout-unset",
	Severity: inspect.Warning,
	Title:    "Every NEG backend service serving an Ingress drains connections on scale-down",
	Doc: inspect.Doc{
		Why: `When a Pod behind a NEG terminates, its endpoint is detached from the NEG. With connectionDraining.drainingTimeoutSec 0 the load balancer drops the requests in flight at that moment: clients see 502s during every scale-down and rollout. 0 is what GKE builds unless told otherwise: behind an Ingress, unless the BackendConfig of the Service's port sets spec.connectionDraining; behind a Gateway, unless a GCPBackendPolicy targeting the Service sets spec.default.connectionDraining.`,
		Fix: `Ingress: set a draining timeout in the BackendConfig of the Service's port (create one and annotate the Service if it has none):
  kubectl patch backendconfig BC -n NS --type merge -p '{"spec":{"connectionDraining":{"drainingTimeoutSec":60}}}'
Gateway: set it in the GCPBackendPolicy that targets the Service (create one if it has none):
  kubectl patch gcpbackendpolicy POLICY -n NS --type merge -p '{"spec":{"default":{"connectionDraining":{"drainingTimeoutSec":60}}}}'`,
		Sources: []string{core.SrcTroubleshoot + ": Resolve NEG-related 500-series errors during workload scaling", "BackendConfig connectionDraining (" + core.DocIngressFeatures + "#draining_timeout)",
			"GCPBackendPolicy connectionDraining (cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources#configure_connection_draining)"},
		URL: core.DocTroubleshootLB,
	},
	Check: func(p *inspect.Pass) {
		seen := map[string]bool{}
		for _, n := range negServings(p) {
			if !n.BsKnown {
				drainUnknown(p, n)
				continue
			}
			ref, hasRef, refErr := gke.ParseBackendConfig(n.Svc)
			for _, sb := range n.Backends {
				res := core.BackendServiceResource(sb.BS)
				p.Judge(res)
				if (sb.BS.ConnectionDraining != nil && sb.BS.ConnectionDraining.DrainingTimeoutSec > 0) || seen[sb.BS.SelfLink] {
					continue
				}
				seen[sb.BS.SelfLink] = true
				svc := n.Svc
				var field, fix string
				bcName := ""
				if hasRef && refErr == nil {
					bcName = ref.ForPort(sb.Port)
				}
				bc := core.FindBackendConfig(n.Cl, svc.Namespace, bcName)
				switch {
				case strings.HasPrefix(sb.BS.Name, "gkegw"):
					field, fix = gatewayDrainFix(n)
				case bc != nil && bc.Spec.ConnectionDraining != nil && bc.Spec.ConnectionDraining.DrainingTimeoutSec > 0:
					field = fmt.Sprintf("BackendConfig %s/%s sets spec.connectionDraining.drainingTimeoutSec to %d, but the backend service does not have it: the controller is not applying it (see the Ingress's events)",
						bc.Namespace, bc.Name, bc.Spec.ConnectionDraining.DrainingTimeoutSec)
					fix = describeIngresses(n.Ingresses) + "   # find the sync error that keeps the controller from applying it"
				case bcName != "" && bc == nil && p.Inventory.KnownObject(inventory.KubeBackendConfigs, n.Cl, "backendconfigs", svc.Namespace, bcName):
					field = fmt.Sprintf("set it in BackendConfig %s/%s, which this port names but which does not exist (see backendconfig-missing)", svc.Namespace, bcName)
					fix = fmt.Sprintf("kubectl apply -f - <<'EOF'\napiVersion: cloud.google.com/v1\nkind: BackendConfig\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  connectionDraining:\n    drainingTimeoutSec: 60\nEOF", bcName, svc.Namespace)
				case bcName != "":
					// Named by the annotation; lbdiag may not have read it.
					field = fmt.Sprintf("set it with spec.connectionDraining.drainingTimeoutSec of BackendConfig %s/%s, which this port uses", svc.Namespace, bcName)
					fix = fmt.Sprintf(`kubectl patch backendconfig %s -n %s --type merge -p '{"spec":{"connectionDraining":{"drainingTimeoutSec":60}}}'`, bcName, svc.Namespace)
				case hasRef:
					field = fmt.Sprintf("set it with spec.connectionDraining.drainingTimeoutSec of a BackendConfig named for this port in the Service's %s annotation", ref.Key)
					fix = fmt.Sprintf("add spec.connectionDraining.drainingTimeoutSec: 60 to a BackendConfig for port %s and name it in the Service's %s annotation", core.PortName(sb.Port), ref.Key)
				default:
					field = "set it with spec.connectionDraining.drainingTimeoutSec of a BackendConfig for this port (the Service's annotations name none)"
					fix = fmt.Sprintf("kubectl apply -f - <<'EOF'\napiVersion: cloud.google.com/v1\nkind: BackendConfig\nmetadata:\n  name: %s-draining\n  namespace: %s\nspec:\n  connectionDraining:\n    drainingTimeoutSec: 60\nEOF\nkubectl annotate service %s -n %s cloud.google.com/backend-config='{\"default\":\"%s-draining\"}'",
						svc.Name, svc.Namespace, svc.Name, svc.Namespace, svc.Name)
				}
				p.Report(inspect.Finding{
					Message: fmt.Sprintf("Backend service of Service %s/%s port %s (%s) has connectionDraining.drainingTimeoutSec 0: requests in flight to a terminating Pod are dropped (502 during scale-down); %s",
						svc.Namespace, svc.Name, core.PortName(sb.Port), strings.Join(n.Ingresses, ", "), field),
					Resource:    res,
					Evidence:    map[string]any{"connectionDraining.drainingTimeoutSec": 0, "service": svc.Namespace + "/" + svc.Name, "cluster": n.Cl.Location() + "/" + n.Cl.Name(), "ingresses": n.Ingresses, "backendConfig": bcName},
					Remediation: fix,
				})
			}
			// Behind a Gateway without a backend service lbdiag can name,
			// the GCPBackendPolicy says what the controller applies.
			if n.Gateway && len(n.Backends) == 0 && !n.PolicyKnown {
				drainUnknown(p, n)
			}
			if n.Gateway && n.PolicyKnown && len(n.Backends) == 0 {
				res := core.KubeResource(n.Cl, "Service", n.Svc.ObjectMeta)
				if n.Policy != nil {
					res = core.KubeResource(n.Cl, "GCPBackendPolicy", n.Policy.ObjectMeta)
				}
				p.Judge(res)
				if core.PolicyDrain(n.Policy) > 0 {
					continue
				}
				field, fix := gatewayDrainFix(n)
				p.Report(inspect.Finding{
					Message: fmt.Sprintf("Service %s/%s is reached through NEGs by %s with connection draining 0 (GCPBackendPolicy spec.default.connectionDraining.drainingTimeoutSec unset, whose default is 0): requests in flight to a terminating Pod are dropped; %s",
						n.Svc.Namespace, n.Svc.Name, strings.Join(n.Ingresses, ", "), field),
					Resource:    res,
					Evidence:    map[string]any{"gcpBackendPolicy": policyName(n.Policy), "service": n.Svc.Namespace + "/" + n.Svc.Name, "ingresses": n.Ingresses},
					Remediation: fix,
				})
			}
		}
	},
}

// describeIngresses is the kubectl command that shows the events of the
// Ingresses and Gateways in owners ("Ingress ns/name", "Gateway ns/name").
func describeIngresses(owners []string) string {
	var cmds []string
	for _, o := range owners {
		kind, ref, _ := strings.Cut(o, " ")
		ns, name, _ := strings.Cut(ref, "/")
		cmds = append(cmds, fmt.Sprintf("kubectl describe %s %s -n %s", strings.ToLower(kind), name, ns))
	}
	return strings.Join(cmds, " && ")
}

func policyName(p *inventory.GCPBackendPolicy) string {
	if p == nil {
		return ""
	}
	return p.Namespace + "/" + p.Name
}

// gatewayDrainFix says how to set draining for a Service behind a Gateway.
func gatewayDrainFix(n core.NEGServing) (string, string) {
	if n.Policy != nil {
		return fmt.Sprintf("set it with spec.default.connectionDraining.drainingTimeoutSec of GCPBackendPolicy %s/%s", n.Policy.Namespace, n.Policy.Name),
			fmt.Sprintf(`kubectl patch gcpbackendpolicy %s -n %s --type merge -p '{"spec":{"default":{"connectionDraining":{"drainingTimeoutSec":60}}}}'`, n.Policy.Name, n.Policy.Namespace)
	}
	return "set it with a GCPBackendPolicy targeting the Service (the Service has none)",
		fmt.Sprintf("kubectl apply -f - <<'EOF'\napiVersion: networking.gke.io/v1\nkind: GCPBackendPolicy\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  targetRef:\n    group: \"\"\n    kind: Service\n    name: %s\n  default:\n    connectionDraining:\n      drainingTimeoutSec: 60\nEOF",
			n.Svc.Name, n.Svc.Namespace, n.Svc.Name)
}
