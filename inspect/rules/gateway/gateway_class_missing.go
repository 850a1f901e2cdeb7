package gateway

import (
	"fmt"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// GatewayClassMissing reports Gateways whose GatewayClass does not exist.
var GatewayClassMissing = &inspect.Rule{
	ID:       "gateway-class-missing",
	Severity: inspect.Error,
	Title:    "Every Gateway names a GatewayClass that exists",
	Doc: inspect.Doc{
		Why: `A Gateway is programmed by the controller of its GatewayClass. When spec.gatewayClassName names no GatewayClass (a typo, a multi-cluster -mc class on a cluster without the fleet feature, or a cluster without the Gateway API enabled), no controller takes it: its status stays Accepted Unknown, "Waiting for controller", it gets no address, and nothing reports an error.`,
		Fix: `Set spec.gatewayClassName to one of GKE's classes (gke-l7-global-external-managed, gke-l7-regional-external-managed, gke-l7-rilb, gke-l7-gxlb, their -mc twins with multi-cluster Gateways); spec.gatewayClassName cannot change in place, so recreate the Gateway. A cluster with no GKE class needs the Gateway API:
  gcloud container clusters update CLUSTER --location LOCATION --gateway-api=standard`,
		Sources: []string{"Gateway API GatewayStatus conditions default (Accepted Unknown, Waiting for controller), apis/v1/gateway_types.go",
			"GKE GatewayClass capabilities (cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities)",
			"Deploying Gateways: enable the Gateway API (cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways)"},
		URL: "https://cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			if !p.Known(inventory.KubeGateways, cl.Scope()) || !p.Known(inventory.KubeGatewayClasses, cl.Scope()) {
				continue
			}
			classes := map[string]bool{}
			var names []string
			gkeEnabled := false
			for _, c := range cl.GatewayClasses {
				classes[c.Name] = true
				names = append(names, c.Name)
				gkeEnabled = gkeEnabled || c.Spec.ControllerName == gke.GatewayControllerName || gke.IsGKEGatewayClass(c.Name)
			}
			for i := range cl.Gateways {
				gw := &cl.Gateways[i]
				name := gw.Spec.GatewayClassName
				res := core.KubeResource(cl, "Gateway", gw.ObjectMeta)
				p.Judge(res)
				if classes[name] {
					continue
				}
				msg := fmt.Sprintf("spec.gatewayClassName %q names no GatewayClass of cluster %s: no controller programs the Gateway, which stays \"Waiting for controller\" with no address", name, cl.Name())
				near := core.Nearest(name, append(append([]string{}, names...), gke.GatewayClasses...))
				var fix string
				switch {
				case gke.GatewayClassMultiCluster(name) && core.Contains(gke.GatewayClasses, name) && gkeEnabled:
					msg += "; the -mc classes exist only where multi-cluster Gateways are enabled on the fleet"
					fix = fmt.Sprintf("gcloud container fleet ingress enable --config-membership MEMBERSHIP --project %s   # MEMBERSHIP: the fleet membership of the config cluster; or recreate the Gateway with the single-cluster class %s", cl.Project, name[:len(name)-3])
				case near != "" && (classes[near] || gkeEnabled):
					msg += fmt.Sprintf("; %q is GKE's (a typo?)", near)
					fix = fmt.Sprintf("kubectl get gateway %s -n %s -o yaml > gw.yaml   # set spec.gatewayClassName: %s (it cannot change in place), then: kubectl delete gateway %s -n %s && kubectl apply -f gw.yaml",
						gw.Name, gw.Namespace, near, gw.Name, gw.Namespace)
				case !gkeEnabled:
					msg += "; the cluster has no GKE GatewayClass: the Gateway API is not enabled"
					fix = fmt.Sprintf("gcloud container clusters update %s --location %s --gateway-api=standard --project %s", cl.Name(), cl.Location(), cl.Project)
				default:
					fix = fmt.Sprintf("recreate Gateway %s/%s with spec.gatewayClassName one of: %s", gw.Namespace, gw.Name, joinSorted(names))
				}
				p.Report(inspect.Finding{Message: msg, Resource: res,
					Evidence: map[string]any{"gatewayClassName": name, "gatewayClasses": names}, Remediation: fix})
			}
		}
	},
}
