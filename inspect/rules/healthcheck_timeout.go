package rules

import (
	"fmt"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// HealthCheckTimeoutExceedsInterval reports health checks whose timeout is
// longer than their interval.
var HealthCheckTimeoutExceedsInterval = &inspect.Rule{
	ID:       "healthcheck-timeout-exceeds-interval",
	Severity: inspect.Error,
	Title:    "Every health check a BackendConfig or HealthCheckPolicy configures has timeoutSec no greater than checkIntervalSec",
	Doc: inspect.Doc{
		Why: `Compute Engine rejects a health check whose timeoutSec exceeds its checkIntervalSec. GKE's CRDs do not validate this for BackendConfig, so the manifest is accepted and the controller's health-check update fails on every sync: the load balancer keeps probing with the old settings and the backend's configuration never converges.`,
		Fix: `Make timeoutSec at most checkIntervalSec:
  kubectl patch backendconfig BC -n NS --type merge -p '{"spec":{"healthCheck":{"timeoutSec":5,"checkIntervalSec":15}}}'`,
		Sources: []string{srcCheckGKEIngress + " HealthCheckTimeoutCheck", "Compute Engine health checks: timeoutSec must be <= checkIntervalSec"},
		URL:     docIngressFeatures + "#direct_health",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			if inv.Known(inventory.KubeHealthCheckPolicies, cl.Scope()) {
				for i := range cl.HealthCheckPolicies {
					hp := &cl.HealthCheckPolicies[i]
					d := hp.Spec.Default
					if d == nil {
						continue
					}
					// Unset fields take the CRD's defaults: 5 s and 5 s.
					interval, timeout := int64(5), int64(5)
					if d.CheckIntervalSec != nil {
						interval = *d.CheckIntervalSec
					}
					if d.TimeoutSec != nil {
						timeout = *d.TimeoutSec
					}
					if timeout <= interval {
						continue
					}
					p.Report(inspect.Finding{
						Message:  fmt.Sprintf("spec.default.timeoutSec is %d, greater than checkIntervalSec %d: Compute Engine rejects the health check, so the Gateway controller cannot apply it", timeout, interval),
						Resource: kubeResource(cl, "HealthCheckPolicy", hp.ObjectMeta),
						Evidence: map[string]any{"spec.default.timeoutSec": timeout, "spec.default.checkIntervalSec": interval},
						Remediation: fmt.Sprintf(`kubectl patch healthcheckpolicy %s -n %s --type merge -p '{"spec":{"default":{"timeoutSec":%d}}}'`,
							hp.Name, hp.Namespace, interval),
					})
				}
			}
			if !inv.Known(inventory.KubeBackendConfigs, cl.Scope()) {
				continue
			}
			for i := range cl.BackendConfigs {
				bc := &cl.BackendConfigs[i]
				hc := bc.Spec.HealthCheck
				if hc == nil || hc.TimeoutSec == nil || hc.CheckIntervalSec == nil || *hc.TimeoutSec <= *hc.CheckIntervalSec {
					continue
				}
				p.Report(inspect.Finding{
					Message: fmt.Sprintf("spec.healthCheck.timeoutSec is %d, greater than checkIntervalSec %d: Compute Engine rejects the health check, so the controller cannot apply it",
						*hc.TimeoutSec, *hc.CheckIntervalSec),
					Resource: kubeResource(cl, "BackendConfig", bc.ObjectMeta),
					Evidence: map[string]any{"spec.healthCheck.timeoutSec": *hc.TimeoutSec, "spec.healthCheck.checkIntervalSec": *hc.CheckIntervalSec},
					Remediation: fmt.Sprintf(`kubectl patch backendconfig %s -n %s --type merge -p '{"spec":{"healthCheck":{"timeoutSec":%d}}}'`,
						bc.Name, bc.Namespace, *hc.CheckIntervalSec),
				})
			}
		}
	},
}
