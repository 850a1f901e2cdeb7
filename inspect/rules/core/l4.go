package core

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// L4Service is a Service of type LoadBalancer that GKE builds a
// passthrough Network Load Balancer for.
type L4Service struct {
	Cl       *inventory.Cluster
	Svc      *corev1.Service
	Internal bool
}

// L4Services lists the GKE LoadBalancer Services of the clusters whose
// Services were read.
func L4Services(p *inspect.Pass) []L4Service {
	var out []L4Service
	for _, cl := range p.Inventory.Clusters {
		if !p.Known(inventory.KubeServices, cl.Scope()) {
			continue
		}
		for i := range cl.Services {
			svc := &cl.Services[i]
			if gke.IsGKEL4(svc) {
				out = append(out, L4Service{Cl: cl, Svc: svc, Internal: gke.L4Internal(svc)})
			}
		}
	}
	return out
}

// LBIngressIPs are the addresses in a Service's status.loadBalancer.
func LBIngressIPs(svc *corev1.Service) []string {
	var out []string
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if in.IP != "" {
			out = append(out, in.IP)
		}
	}
	return out
}
