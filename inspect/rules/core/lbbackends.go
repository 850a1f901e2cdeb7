package core

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// lbBackend is one Service port behind a load balancer built from an
// Ingress or a Gateway.
type LBBackend struct {
	cl *inventory.Cluster
	// Owner is the Ingress or Gateway.
	Owner     inspect.Resource
	OwnerKind string // "Ingress" or "Gateway"
	Class     string
	Svc       *corev1.Service
	Port      corev1.ServicePort
	// neg is true when the load balancer reaches Pods through NEGs;
	// false for instance groups (NodePorts).
	NEG bool
	// RegionalProxy is true for Envoy-based load balancers, whose data
	// traffic comes from the proxy-only subnet.
	RegionalProxy bool
}

// lbBackends lists every Service port behind the cluster's GKE Ingresses
// and Gateways, once per owner.
func LBBackends(cl *inventory.Cluster) []LBBackend {
	var out []LBBackend
	seen := map[string]bool{}
	add := func(b LBBackend) {
		key := b.Owner.Kind + "/" + b.Owner.Namespace + "/" + b.Owner.Name + "/" + b.Svc.Namespace + "/" + b.Svc.Name + "/" + b.Port.Name + "/" + strconv.Itoa(int(b.Port.Port))
		if !seen[key] {
			seen[key] = true
			out = append(out, b)
		}
	}
	GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) {
		for _, b := range BackendsOf(ing) {
			svc := FindService(cl, ing.Namespace, b.Service.Name)
			if svc == nil {
				continue
			}
			sp := ServicePort(svc, b.Service.Port)
			if sp == nil {
				continue
			}
			add(LBBackend{cl: cl, Owner: KubeResource(cl, "Ingress", ing.ObjectMeta), OwnerKind: "Ingress", Class: class, Svc: svc, Port: *sp,
				NEG: gke.ServesIngressNEG(svc, class), RegionalProxy: class != gke.ClassGCE})
		}
	})
	for i := range cl.Gateways {
		gw := &cl.Gateways[i]
		if !gke.IsGKEGatewayClass(gw.Spec.GatewayClassName) {
			continue
		}
		for _, r := range cl.RoutesOf(gw) {
			for _, rule := range r.Spec.Rules {
				for _, ref := range rule.BackendRefs {
					if (ref.Kind != nil && *ref.Kind != "Service") || (ref.Group != nil && *ref.Group != "") {
						continue
					}
					ns := r.Namespace
					if ref.Namespace != nil {
						ns = *ref.Namespace
					}
					svc := FindService(cl, ns, ref.Name)
					if svc == nil || ref.Port == nil {
						continue
					}
					for _, sp := range svc.Spec.Ports {
						if sp.Port == *ref.Port {
							add(LBBackend{cl: cl, Owner: KubeResource(cl, "Gateway", gw.ObjectMeta), OwnerKind: "Gateway", Class: gw.Spec.GatewayClassName,
								Svc: svc, Port: sp, NEG: true, RegionalProxy: gke.GatewayRegionalProxy(gw.Spec.GatewayClassName)})
						}
					}
				}
			}
		}
	}
	return out
}

// PodPort resolves a Service port's targetPort to the container port
// number: from the Service's EndpointSlices, else from the Pod templates
// of the workloads it selects. ok is false when a named port cannot be
// resolved.
func PodPort(cl *inventory.Cluster, svc *corev1.Service, sp corev1.ServicePort) (int, bool) {
	tp := sp.TargetPort
	if tp.Type == intstr.Int {
		if tp.IntVal == 0 {
			return int(sp.Port), true
		}
		return int(tp.IntVal), true
	}
	if tp.StrVal == "" {
		return int(sp.Port), true
	}
	for _, es := range cl.EndpointSlices {
		if es.Namespace != svc.Namespace || es.Labels[discoveryv1.LabelServiceName] != svc.Name {
			continue
		}
		for _, p := range es.Ports {
			if p.Name != nil && *p.Name == sp.Name && p.Port != nil {
				return int(*p.Port), true
			}
		}
	}
	for _, w := range WorkloadsOf(cl, svc) {
		for _, c := range w.Template.Spec.Containers {
			for _, cp := range c.Ports {
				if cp.Name == tp.StrVal {
					return int(cp.ContainerPort), true
				}
			}
		}
	}
	return 0, false
}

// NodesServing returns the distinct nodes with a ready endpoint of the
// Service.
func NodesServing(cl *inventory.Cluster, svc *corev1.Service) []string {
	set := map[string]bool{}
	for _, es := range cl.EndpointSlices {
		if es.Namespace != svc.Namespace || es.Labels[discoveryv1.LabelServiceName] != svc.Name {
			continue
		}
		for _, e := range es.Endpoints {
			if e.NodeName != nil && (e.Conditions.Ready == nil || *e.Conditions.Ready) {
				set[*e.NodeName] = true
			}
		}
	}
	return SortedKeys(set)
}

func SortedUnique(s []string) []string {
	m := map[string]bool{}
	for _, x := range s {
		m[x] = true
	}
	return SortedKeys(m)
}
