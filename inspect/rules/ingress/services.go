package ingress

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// forServices calls fn for each Service of each cluster whose Services were
// read; the pass records the clusters where they were not.
func forServices(p *inspect.Pass, fn func(cl *inventory.Cluster, svc *corev1.Service)) {
	for _, cl := range p.Inventory.Clusters {
		if !p.Known(inventory.KubeServices, cl.Scope()) {
			continue
		}
		for i := range cl.Services {
			fn(cl, &cl.Services[i])
		}
	}
}

// latent says how much a Service annotation the Ingress controller rejects
// matters now: an error when a GKE Ingress routes to the Service (its
// translation fails), a warning when none does yet (the controller reads
// the annotation only for Service ports an Ingress uses). The text says
// which.
func latent(cl *inventory.Cluster, svc *corev1.Service) (inspect.Severity, string) {
	users := core.IngressesUsingService(cl, svc.Namespace, svc.Name)
	if len(users) == 0 {
		return inspect.Warning, "latent: no GKE Ingress routes to this Service yet, and the first that does will fail to sync"
	}
	return inspect.Error, "Ingress " + strings.Join(users, ", ") + " routes to this Service and cannot sync"
}
