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
		for _, n := range core.IndexOf(p).NEGServings() {
			if !n.BsKnown {
				continue
			}
			ref, hasRef, refErr := core.ParseBackendConfig(n.Svc)
			for _, sb := range n.Backends {
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
					Resource:    core.BackendServiceResource(sb.BS),
					Evidence:    map[string]any{"connectionDraining.drainingTimeoutSec": 0, "service": svc.Namespace + "/" + svc.Name, "cluster": n.Cl.Location() + "/" + n.Cl.Name(), "ingresses": n.Ingresses, "backendConfig": bcName},
					Remediation: fix,
				})
			}
			// Behind a Gateway without a backend service lbdiag can name,
			// the GCPBackendPolicy says what the controller applies.
			if n.Gateway && n.PolicyKnown && len(n.Backends) == 0 && core.PolicyDrain(n.Policy) == 0 {
				field, fix := gatewayDrainFix(n)
				res := core.KubeResource(n.Cl, "Service", n.Svc.ObjectMeta)
				if n.Policy != nil {
					res = core.KubeResource(n.Cl, "GCPBackendPolicy", n.Policy.ObjectMeta)
				}
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

// agree picks the singular or plural form for n things.
func agree(n int, singular, plural string) string {
	if n == 1 {
		return singular
	}
	return plural
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
				Resource:    core.KubeResource(n.Cl, w.Kind, w.Meta),
				Evidence:    map[string]any{"containers": missing, "service": n.Svc.Namespace + "/" + n.Svc.Name, "ingresses": n.Ingresses},
				Remediation: fmt.Sprintf("kubectl patch %s %s -n %s --type strategic -p '%s'", strings.ToLower(w.Kind), w.Meta.Name, w.Meta.Namespace, preStopPatch(missing, need, w.Template)),
			})
		})
	},
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

// PreStopShorterThanDrain reports preStop hooks that end before draining.
var PreStopShorterThanDrain = &inspect.Rule{
	ID:       "prestop-shorter-than-drain",
	Severity: inspect.Warning,
	Title:    "Every preStop hook of a NEG-served workload lasts the draining timeout plus 60 s",
	Doc: inspect.Doc{
		Why:     `The load balancer keeps sending requests to a terminating Pod until its endpoint has left the NEG (up to about 60 s) and then drains for the backend service's draining timeout. A preStop hook shorter than both together lets the container stop while requests still arrive: 502s during scale-down. lbdiag recognises sleep hooks (the sleep action, exec sleep N, sh -c "sleep N && ..."); for other hooks the duration is unknown and it does not guess.`,
		Fix:     `Lengthen the hook to at least drainingTimeoutSec + 60 seconds, and raise terminationGracePeriodSeconds above it.`,
		Sources: []string{core.SrcTroubleshoot + ": Resolve NEG-related 500-series errors during workload scaling"},
		URL:     core.DocTroubleshootLB,
	},
	Check: func(p *inspect.Pass) {
		workloadFindings(p, func(n core.NEGServing, w core.Workload) {
			drain, ok := n.Drain()
			if !ok {
				return
			}
			need := float64(drain + negDetachLatency)
			var short []string
			var forms []string
			for _, c := range w.Template.Spec.Containers {
				ps := core.PreStopOf(c)
				if ps.Known && ps.Seconds < need {
					short = append(short, c.Name)
					forms = append(forms, fmt.Sprintf("%s: %s", c.Name, ps.Form))
				}
			}
			if len(short) == 0 {
				return
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("preStop hook of container %s is shorter than the backend service's draining timeout %d s + %d s of NEG detach latency = %d s (%s): the container can stop while the load balancer still sends it requests",
					strings.Join(short, ", "), drain, negDetachLatency, int64(need), strings.Join(forms, "; ")),
				Resource:    core.KubeResource(n.Cl, w.Kind, w.Meta),
				Evidence:    map[string]any{"preStop": forms, "drainingTimeoutSec": drain, "requiredSeconds": int64(need), "service": n.Svc.Namespace + "/" + n.Svc.Name},
				Remediation: fmt.Sprintf("kubectl patch %s %s -n %s --type strategic -p '%s'", strings.ToLower(w.Kind), w.Meta.Name, w.Meta.Namespace, preStopPatch(short, int64(need), w.Template)),
			})
		})
	},
}

// TerminationGraceTooShort reports grace periods that end before preStop.
var TerminationGraceTooShort = &inspect.Rule{
	ID:       "termination-grace-too-short",
	Severity: inspect.Error,
	Title:    "Every NEG-served workload's grace period outlasts its preStop hook",
	Doc: inspect.Doc{
		Why: `terminationGracePeriodSeconds (30 s when unset) counts from the start of the preStop hook. When the hook lasts longer than the grace period, the kubelet kills the container before draining ends, and before the application could shut down cleanly: the preStop hook does not protect the requests it was written for.`,
		Fix: `Set terminationGracePeriodSeconds to the preStop duration plus the application's shutdown time:
  kubectl patch deployment NAME -n NS -p '{"spec":{"template":{"spec":{"terminationGracePeriodSeconds":150}}}}'`,
		Sources: []string{core.SrcTroubleshoot + ": Resolve NEG-related 500-series errors during workload scaling", "Kubernetes: Pod termination (kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination)"},
		URL:     core.DocTroubleshootLB,
	},
	Check: func(p *inspect.Pass) {
		workloadFindings(p, func(n core.NEGServing, w core.Workload) {
			grace, set := core.GracePeriod(w.Template)
			var longest float64
			var which string
			for _, c := range w.Template.Spec.Containers {
				if ps := core.PreStopOf(c); ps.Known && ps.Seconds > longest {
					longest, which = ps.Seconds, c.Name+": "+ps.Form
				}
			}
			if longest == 0 || float64(grace) >= longest+shutdownMargin {
				return
			}
			graceText := fmt.Sprintf("%d s", grace)
			if !set {
				graceText += " (the default)"
			}
			want := int64(longest) + 30
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("terminationGracePeriodSeconds is %s but the preStop hook lasts %.0f s (%s): the container is killed before the hook ends and %d s of shutdown time",
					graceText, longest, which, shutdownMargin),
				Resource:    core.KubeResource(n.Cl, w.Kind, w.Meta),
				Evidence:    map[string]any{"terminationGracePeriodSeconds": grace, "preStopSeconds": longest, "preStop": which},
				Remediation: fmt.Sprintf(`kubectl patch %s %s -n %s -p '{"spec":{"template":{"spec":{"terminationGracePeriodSeconds":%d}}}}'`, strings.ToLower(w.Kind), w.Meta.Name, w.Meta.Namespace, want),
			})
		})
	},
}
