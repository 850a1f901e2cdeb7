package lb

import (
	"fmt"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// BackendTimeoutTooLong reports external backend services with a timeout
// over a day.
var BackendTimeoutTooLong = &inspect.Rule{
	ID:       "backend-timeout-too-long",
	Severity: inspect.Warning,
	Title:    "No external backend service has a timeout over 86,400 seconds",
	Doc: inspect.Doc{
		Why:     `Google recommends no backend service timeout above 24 hours (86,400 s) for external Application Load Balancers: Google Cloud restarts its front ends periodically for updates and maintenance, so connections cannot live that long anyway, and a longer timeout only lets a stuck backend hold a request for days.`,
		Fix:     `gcloud compute backend-services update BS --timeout=86400 --global. For GKE, lower spec.timeoutSec in the BackendConfig (Ingress) or spec.default.timeoutSec in the GCPBackendPolicy (Gateway).`,
		Sources: []string{"Backend service timeout (" + docBackendService + "#timeout-setting)", "gcpdiag lb/BP/2025_002"},
		URL:     docBackendService + "#timeout-setting",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !backendServicesKnown(p) {
			return
		}
		for _, bs := range ownBackendServices(inv) {
			if (bs.LoadBalancingScheme != "EXTERNAL" && bs.LoadBalancingScheme != "EXTERNAL_MANAGED") || !core.IsProxyBackendService(bs) {
				continue
			}
			res := core.BackendServiceResource(bs)
			p.Judge(res)
			if bs.TimeoutSec <= 86400 {
				continue
			}
			fix := gkeFix(bs, `kubectl patch backendconfig BACKENDCONFIG -n NS --type merge -p '{"spec":{"timeoutSec":86400}}'   # the BackendConfig of Service SERVICE's port`,
				`kubectl patch gcpbackendpolicy POLICY -n NS --type merge -p '{"spec":{"default":{"timeoutSec":86400}}}'   # the GCPBackendPolicy of the Service`)
			if fix == "" {
				fix = fmt.Sprintf("gcloud compute backend-services update %s %s --timeout=86400 --project %s", bs.Name, core.GCloudScope(bs), inventory.ProjectOf(bs.SelfLink))
			}
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("Backend service %s (%s) has timeoutSec %d, over the 86,400 s (24 h) Google recommends at most: front-end restarts cut such connections anyway", bs.Name, bs.LoadBalancingScheme, bs.TimeoutSec),
				Resource:    res,
				Evidence:    map[string]any{"timeoutSec": bs.TimeoutSec},
				Remediation: fix,
			})
		}
	},
}
