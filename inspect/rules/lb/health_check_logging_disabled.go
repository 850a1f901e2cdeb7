package lb

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// HealthCheckLoggingDisabled reports health checks without logs on
// backend services that have unhealthy backends.
var HealthCheckLoggingDisabled = &inspect.Rule{
	ID:       "health-check-logging-disabled",
	Severity: inspect.Info,
	Needs:    []inventory.Source{inventory.ComputeBackendHealth},
	Title:    "Health checks of backend services with unhealthy backends log their probes",
	Doc: inspect.Doc{
		Why:     `When backends are UNHEALTHY, the health check's logs say why, per endpoint: the probe's result (TIMEOUT, connection refused, an HTTP status), its detailed state and since when. Without health-check logging the only way to learn it is to guess from the configuration. Logging is off unless enabled on the health check; GKE's Ingress controller keeps the setting when it updates a health check it made.`,
		Fix:     `gcloud compute health-checks update http HC --enable-logging --global (regional: --region R). For a Gateway, set spec.default.logConfig.enabled: true in the HealthCheckPolicy.`,
		Sources: []string{"Health check logging (cloud.google.com/load-balancing/docs/health-check-logging)", "kubernetes/ingress-gce pkg/healthchecks/healthcheck.go (keeps an existing health check's logConfig)", "gcpdiag lb/BP/2023_002"},
		URL:     "https://cloud.google.com/load-balancing/docs/health-check-logging",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !healthChecksKnown(p) {
			return
		}
		x := core.IndexOf(p)
		reported := map[string]bool{}
		for _, bs := range inv.Compute.BackendServices {
			health := inv.Compute.BackendHealth[bs.SelfLink]
			var sick []string
			for _, b := range bs.Backends {
				h, ok := health[b.Group]
				if !ok {
					// Not read: unknown, never healthy. The pass says so
					// when the health reads were not complete.
					p.Known(inventory.ComputeBackendHealth, inventory.ProjectScope(inv.Project))
					continue
				}
				if len(h.HealthStatus) == 0 {
					continue
				}
				healthy := 0
				for _, st := range h.HealthStatus {
					if st.HealthState == "HEALTHY" {
						healthy++
					}
				}
				if healthy < len(h.HealthStatus) {
					sick = append(sick, fmt.Sprintf("%s (%s): %d of %d healthy", inventory.LastSegment(b.Group), inventory.LocationOf(b.Group), healthy, len(h.HealthStatus)))
				}
			}
			if len(sick) == 0 {
				continue
			}
			for _, hcURL := range bs.HealthChecks {
				hc := x.HealthCheck(hcURL)
				if hc == nil {
					continue
				}
				res := core.ResourceOf("HealthCheck", hc.SelfLink)
				p.Judge(res)
				if reported[hc.SelfLink] || core.ProbeOf(hc).Logging {
					continue
				}
				reported[hc.SelfLink] = true
				k8s := ""
				if maker, _ := gke.BackendServiceMaker(bs); maker == "Gateway" {
					k8s = `kubectl patch healthcheckpolicy POLICY -n NS --type merge -p '{"spec":{"default":{"logConfig":{"enabled":true}}}}'   # the HealthCheckPolicy of the Service`
				}
				sort.Strings(sick)
				p.Report(inspect.Finding{
					Message:     fmt.Sprintf("Health check %s does not log its probes, and backend service %s has unhealthy backends (%s): why they fail cannot be read", hc.Name, bs.Name, strings.Join(sick, "; ")),
					Resource:    res,
					Evidence:    map[string]any{"logConfig.enable": false, "backendService": bs.Name, "unhealthy": sick},
					Remediation: hcFix(bs, hc, "--enable-logging", k8s),
				})
			}
		}
	},
}
