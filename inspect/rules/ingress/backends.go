package ingress

import (
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// forServiceIngresses calls fn for each GKE Ingress in clusters whose
// Ingresses and Services were both read; the pass records the clusters
// where they were not, which the rule could not check.
func forServiceIngresses(p *inspect.Pass, fn func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string)) {
	for _, cl := range p.Inventory.Clusters {
		if !p.Known(inventory.KubeIngresses, cl.Scope()) || !p.Known(inventory.KubeServices, cl.Scope()) {
			continue
		}
		core.GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) { fn(cl, ing, class) })
	}
}

// forIngressBackends calls fn for each Service backend of each GKE Ingress
// in clusters whose Ingresses and Services were both read.
func forIngressBackends(p *inspect.Pass, fn func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string, b core.IngressBackend)) {
	forServiceIngresses(p, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
		for _, b := range core.BackendsOf(ing) {
			fn(cl, ing, class, b)
		}
	})
}
