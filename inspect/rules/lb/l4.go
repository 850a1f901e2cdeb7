package lb

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

const docL4 = "https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer"

// l4ServiceRef is a LoadBalancer Service and its cluster.
type l4ServiceRef struct {
	cl  *inventory.Cluster
	svc *corev1.Service
}

// l4ServicesByIP maps the IPv4 addresses of GKE LoadBalancer Services to
// them. It asks the inventory, not the pass, whether the Services were
// read: they only name what sends to a backend service, and every backend
// service is judged without them.
func l4ServicesByIP(inv *inventory.Inventory) map[string]l4ServiceRef {
	out := map[string]l4ServiceRef{}
	for _, cl := range inv.Clusters {
		if !inv.Known(inventory.KubeServices, cl.Scope()) {
			continue
		}
		for i := range cl.Services {
			svc := &cl.Services[i]
			if !gke.IsGKEL4(svc) {
				continue
			}
			for _, ip := range core.LBIngressIPs(svc) {
				out[ip] = l4ServiceRef{cl: cl, svc: svc}
			}
		}
	}
	return out
}

func l4Kind(s core.L4Service) string {
	if s.Internal {
		return "internal"
	}
	return "external"
}
