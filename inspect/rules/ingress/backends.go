package ingress

import (
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// forIngressBackends calls fn for each Service backend of each GKE Ingress
// in clusters whose Ingresses and Services were both read.
func forIngressBackends(inv *inventory.Inventory, fn func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string, b core.IngressBackend)) {
	for _, cl := range inv.Clusters {
		if !inv.Known(inventory.KubeIngresses, cl.Scope()) || !inv.Known(inventory.KubeServices, cl.Scope()) {
			continue
		}
		core.GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) {
			for _, b := range core.BackendsOf(ing) {
				fn(cl, ing, class, b)
			}
		})
	}
}
