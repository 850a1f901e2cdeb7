package core

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inventory"
)

// L4Service is a Service of type LoadBalancer that GKE builds a
// passthrough Network Load Balancer for.
type L4Service struct {
	Cl       *inventory.Cluster
	Svc      *corev1.Service
	Internal bool
}

// IsGKEL4 reports whether GKE builds the Service's load balancer: type
// LoadBalancer with no loadBalancerClass, or one of GKE's.
func IsGKEL4(svc *corev1.Service) bool {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return false
	}
	c := svc.Spec.LoadBalancerClass
	return c == nil || *c == "" || strings.HasPrefix(*c, "networking.gke.io/")
}

// L4Internal reports whether the Service asks for an internal load
// balancer: networking.gke.io/load-balancer-type (or the deprecated
// cloud.google.com/load-balancer-type) "Internal", or the
// networking.gke.io/l4-regional-internal class.
func L4Internal(svc *corev1.Service) bool {
	if c := svc.Spec.LoadBalancerClass; c != nil && strings.HasPrefix(*c, "networking.gke.io/l4-regional-internal") {
		return true
	}
	for _, k := range []string{"networking.gke.io/load-balancer-type", "cloud.google.com/load-balancer-type"} {
		if strings.EqualFold(svc.Annotations[k], "internal") {
			return true
		}
	}
	return false
}

// L4Services lists the GKE LoadBalancer Services of the clusters whose
// Services were read.
func L4Services(inv *inventory.Inventory) []L4Service {
	var out []L4Service
	for _, cl := range inv.Clusters {
		if !inv.Known(inventory.KubeServices, cl.Scope()) {
			continue
		}
		for i := range cl.Services {
			svc := &cl.Services[i]
			if IsGKEL4(svc) {
				out = append(out, L4Service{Cl: cl, Svc: svc, Internal: L4Internal(svc)})
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
