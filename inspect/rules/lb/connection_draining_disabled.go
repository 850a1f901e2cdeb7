package lb

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// ConnectionDrainingDisabled reports proxy load balancers with instance
// group backends and no connection draining.
var ConnectionDrainingDisabled = &inspect.Rule{
	ID:       "connection-draining-disabled",
	Severity: inspect.Warning,
	Title:    "Every proxy load balancer with instance-group backends drains connections",
	Doc: inspect.Doc{
		Why:     `When an instance leaves an instance group (scale-in, a rolling update, autohealing) or the group leaves the backend service, connectionDraining.drainingTimeoutSec is how long requests in flight may finish. With 0, the load balancer cuts them at once: clients see 502s at every scale-in and deployment. It is 0 unless set (also on the backend services GKE's Ingress builds for instance groups). The NEG case is neg-drain-timeout-unset.`,
		Fix:     `gcloud compute backend-services update BS --connection-draining-timeout=60 --global. For a GKE Ingress, set spec.connectionDraining.drainingTimeoutSec in the Service port's BackendConfig.`,
		Sources: []string{"Enable connection draining (cloud.google.com/load-balancing/docs/enabling-connection-draining)", "gcpdiag lb/BP/2025_003"},
		URL:     "https://cloud.google.com/load-balancing/docs/enabling-connection-draining",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !backendServicesKnown(p) {
			return
		}
		for _, bs := range ownBackendServices(inv) {
			if !core.IsProxyBackendService(bs) {
				continue
			}
			var igs []string
			for _, b := range bs.Backends {
				if strings.Contains(b.Group, "/instanceGroups/") {
					igs = append(igs, inventory.LastSegment(b.Group))
				}
			}
			if len(igs) == 0 {
				continue
			}
			res := core.BackendServiceResource(bs)
			p.Judge(res)
			if bs.ConnectionDraining != nil && bs.ConnectionDraining.DrainingTimeoutSec > 0 {
				continue
			}
			fix := gkeFix(bs, `kubectl patch backendconfig BACKENDCONFIG -n NS --type merge -p '{"spec":{"connectionDraining":{"drainingTimeoutSec":60}}}'   # the BackendConfig of Service SERVICE's port`, "")
			if fix == "" {
				fix = fmt.Sprintf("gcloud compute backend-services update %s %s --connection-draining-timeout=60 --project %s", bs.Name, core.GCloudScope(bs), inventory.ProjectOf(bs.SelfLink))
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("Backend service %s (%s, %s) has connectionDraining.drainingTimeoutSec 0 and instance-group backends (%s): requests in flight on an instance that leaves its group are cut (502 at every scale-in and rolling update)",
					bs.Name, bs.LoadBalancingScheme, bs.Protocol, strings.Join(core.SortedUnique(igs), ", ")),
				Resource:    res,
				Evidence:    map[string]any{"connectionDraining.drainingTimeoutSec": 0, "instanceGroups": igs},
				Remediation: fix,
			})
		}
	},
}
