package ingress

import (
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// ReadinessProbeHealthCheckMismatch reports GKE-made health checks whose
// path differs from the Pods' readiness probe.
var ReadinessProbeHealthCheckMismatch = &inspect.Rule{
	ID:       "readiness-probe-health-check-mismatch",
	Severity: inspect.Warning,
	Title:    "Every Ingress health check GKE built from a readiness probe still probes the probe's path",
	Doc: inspect.Doc{
		Why: `When GKE's Ingress controller creates the health check of a backend, it copies the Pods' HTTP readiness probe (its path, when the probe checks the serving port with the same scheme); without one it probes "/". It does this only when it creates the health check: a probe added or changed later never reaches the load balancer. The load balancer then judges the Pods by a path that may not exist any more, or that answers 200 while the application is not ready (or the reverse): backends flap UNHEALTHY, or traffic goes to Pods that are not ready. A BackendConfig healthCheck.requestPath is applied on every sync and avoids it.`,
		Fix: `Set the path in the Service port's BackendConfig, which the controller applies on every sync:
  kubectl patch backendconfig NAME -n NS --type merge -p '{"spec":{"healthCheck":{"requestPath":"/PATH"}}}'
(create one and reference it from the Service's cloud.google.com/backend-config annotation if there is none).`,
		Sources: []string{"GKE Ingress: health checks, the readiness probe is used only when the health check is created (" + core.DocIngressConfig + "#health_checks)",
			"kubernetes/ingress-gce pkg/healthchecks (probe applied on creation), pkg/backends/features/healthcheck.go"},
		URL: core.DocIngressConfig + "#health_checks",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		x := core.IndexOf(p)
		ps := inventory.ProjectScope(inv.Project)
		if !p.Known(inventory.ComputeBackendServices, ps) || !p.Known(inventory.ComputeHealthChecks, ps) {
			return
		}
		reported := map[string]bool{}
		for _, cl := range inv.Clusters {
			if !p.Known(inventory.KubeIngresses, cl.Scope()) || !p.Known(inventory.KubeServices, cl.Scope()) || !core.WorkloadSourcesKnown(p, cl) {
				continue
			}
			core.GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) {
				for _, b := range core.BackendsOf(ing) {
					svc := core.FindService(cl, ing.Namespace, b.Service.Name)
					if svc == nil {
						continue
					}
					sp := core.ServicePort(svc, b.Service.Port)
					if sp == nil {
						continue
					}
					// A BackendConfig path wins on every sync.
					bcName, bcExists := "", false
					if ref, ok, err := gke.ParseBackendConfig(svc); ok {
						if err != nil || !p.Known(inventory.KubeBackendConfigs, cl.Scope()) {
							continue // its BackendConfig may set the path: unknown
						}
						bcName = ref.ForPort(*sp)
						bc := core.FindBackendConfig(cl, svc.Namespace, bcName)
						if bc != nil && bc.Spec.HealthCheck != nil && bc.Spec.HealthCheck.RequestPath != nil {
							continue
						}
						bcExists = bc != nil
					}
					probe, src := readinessProbeFor(cl, svc, *sp)
					if probe == nil {
						continue
					}
					want := probe.HTTPGet.Path
					if want == "" {
						want = "/"
					}
					res := core.KubeResource(cl, "Service", svc.ObjectMeta)
					for _, sb := range core.BackendServicesOf(x, cl, svc) {
						if sb.Port.Port != sp.Port || len(sb.BS.HealthChecks) == 0 || reported[sb.BS.SelfLink] {
							continue
						}
						hc := x.HealthCheck(sb.BS.HealthChecks[0])
						if hc == nil {
							// Not read: the pass records it when its
							// project's health checks were not listed.
							p.KnownResource(inventory.ComputeHealthChecks, sb.BS.HealthChecks[0])
							continue
						}
						got, ok := core.HealthCheckPath(hc)
						if !ok {
							continue
						}
						// Judged once a health check built from the probe
						// is compared with it.
						p.Judge(res)
						if got == want {
							continue
						}
						reported[sb.BS.SelfLink] = true
						fix := fmt.Sprintf(`kubectl patch backendconfig %s -n %s --type merge -p '{"spec":{"healthCheck":{"requestPath":"%s"}}}'`, bcName, svc.Namespace, want)
						switch {
						case bcName != "" && !bcExists:
							// The Service names one that does not exist
							// (backendconfig-missing): create it.
							fix = fmt.Sprintf("kubectl apply -f - <<'EOF'\napiVersion: cloud.google.com/v1\nkind: BackendConfig\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  healthCheck:\n    requestPath: %s\nEOF", bcName, svc.Namespace, want)
						case bcName == "":
							fix = fmt.Sprintf("kubectl apply -f - <<'EOF'\napiVersion: cloud.google.com/v1\nkind: BackendConfig\nmetadata:\n  name: %s-hc\n  namespace: %s\nspec:\n  healthCheck:\n    requestPath: %s\nEOF\nkubectl annotate service %s -n %s cloud.google.com/backend-config='{\"default\": \"%s-hc\"}' --overwrite",
								svc.Name, svc.Namespace, want, svc.Name, svc.Namespace, svc.Name)
						}
						p.Report(inspect.Finding{
							Key: hc.Name,
							Message: fmt.Sprintf("Health check %s of Service %s/%s port %s (Ingress %s/%s) probes %q, but the Pods' readiness probe (%s) checks %q: GKE copies the probe only when it creates the health check, so the load balancer judges the Pods by a path they no longer declare ready",
								hc.Name, svc.Namespace, svc.Name, core.PortName(*sp), ing.Namespace, ing.Name, got, src, want),
							Resource: res,
							Evidence: map[string]any{"healthCheck": hc.Name, "healthCheck.requestPath": got, "readinessProbe.path": want, "probeOf": src,
								"healthCheck.description": strings.TrimSpace(hc.Description), "backendService": sb.BS.Name},
							Remediation: fix,
						})
					}
				}
			})
		}
	},
}
