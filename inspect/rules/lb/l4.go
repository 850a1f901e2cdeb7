package lb

import (
	corev1 "k8s.io/api/core/v1"

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
// them.
func l4ServicesByIP(inv *inventory.Inventory) map[string]l4ServiceRef {
	out := map[string]l4ServiceRef{}
	for _, s := range core.L4Services(inv) {
		for _, ip := range core.LBIngressIPs(s.Svc) {
			out[ip] = l4ServiceRef{cl: s.Cl, svc: s.Svc}
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
