package ingress

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// HTTPLBAddonDisabled reports clusters that serve Ingresses or Gateways with
// the HttpLoadBalancing add-on off.
var HTTPLBAddonDisabled = &inspect.Rule{
	ID:       "http-lb-addon-disabled",
	Severity: inspect.Error,
	Title:    "Every cluster with GCE Ingresses or Gateways has the HTTP load balancing add-on enabled",
	Doc: inspect.Doc{
		Why:     `GKE's Ingress and Gateway controllers run as the HttpLoadBalancing add-on. With addonsConfig.httpLoadBalancing.disabled, nothing reconciles GCE Ingresses or GKE Gateways: no load balancer is ever provisioned, and existing ones stop following changes.`,
		Fix:     `gcloud container clusters update CLUSTER --update-addons=HttpLoadBalancing=ENABLED --location LOCATION --project PROJECT`,
		Sources: []string{"Configuring Ingress for external Application Load Balancers: HttpLoadBalancing add-on (" + core.DocIngressConfig + ")", "GKE addonsConfig.httpLoadBalancing (container API)"},
		URL:     "https://cloud.google.com/kubernetes-engine/docs/how-to/load-balance-ingress",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			res := clusterResource(cl)
			gateways := inv.Known(inventory.KubeGateways, cl.Scope())
			if !cl.Info.GetAddonsConfig().GetHttpLoadBalancing().GetDisabled() {
				// Enabled: it passes whatever it serves; it is judged when
				// it is known to serve a GCE Ingress or a GKE Gateway.
				if inv.Known(inventory.KubeIngresses, cl.Scope()) && len(loadBalancedObjects(cl, gateways)) > 0 {
					p.Judge(res)
				}
				continue
			}
			if !p.Known(inventory.KubeIngresses, cl.Scope()) {
				continue
			}
			objs := loadBalancedObjects(cl, gateways)
			if len(objs) == 0 {
				// Without Ingresses, only the Gateways could make it
				// fail: unknown when they were not read.
				if !gateways {
					p.Known(inventory.KubeGateways, cl.Scope())
				}
				continue
			}
			p.Judge(res)
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("addonsConfig.httpLoadBalancing.disabled is true, but the cluster has %s: no load balancer is provisioned for them", strings.Join(objs, ", ")),
				Resource:    res,
				Evidence:    map[string]any{"addonsConfig.httpLoadBalancing.disabled": true, "objects": objs},
				Remediation: fmt.Sprintf("gcloud container clusters update %s --update-addons=HttpLoadBalancing=ENABLED %s --project %s", cl.Name(), gcloudLocationFlag(cl), cl.Project),
			})
		}
	},
}
