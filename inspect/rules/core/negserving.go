package core

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inventory"
)

// negServing is a Service an Ingress reaches through NEGs, with the backend
// services built for it.
type NEGServing struct {
	Cl  *inventory.Cluster
	Svc *corev1.Service
	// Ingresses are the Ingresses and Gateways ("Gateway ns/name") that
	// reach it.
	Ingresses []string
	// Backends are its NEG backend services; only meaningful when bsKnown.
	Backends []serviceBackend
	BsKnown  bool
	// Gateway is set when a Gateway reaches the Service; policy is the
	// GCPBackendPolicy targeting it, if any, and policyKnown says whether
	// the cluster's GCPBackendPolicies were read at all.
	Gateway     bool
	Policy      *inventory.GCPBackendPolicy
	PolicyKnown bool
}

// Drain returns the longest draining timeout of the Service's backend
// services, and whether it is known. For a Service behind a Gateway whose
// backend service lbdiag cannot name, the GCPBackendPolicy's
// connectionDraining (0 when unset) is what the controller applies; when the
// policies could not be read, the timeout is unknown.
func (n NEGServing) Drain() (int64, bool) {
	if n.BsKnown && len(n.Backends) > 0 {
		var d int64
		for _, b := range n.Backends {
			if b.BS.ConnectionDraining != nil {
				d = max(d, b.BS.ConnectionDraining.DrainingTimeoutSec)
			}
		}
		return d, true
	}
	if n.Gateway && n.PolicyKnown {
		return PolicyDrain(n.Policy), true
	}
	return 0, false
}

func PolicyDrain(p *inventory.GCPBackendPolicy) int64 {
	if p == nil || p.Spec.Default == nil || p.Spec.Default.ConnectionDraining == nil || p.Spec.Default.ConnectionDraining.DrainingTimeoutSec == nil {
		return 0
	}
	return *p.Spec.Default.ConnectionDraining.DrainingTimeoutSec
}

// backendPolicyOf returns the GCPBackendPolicy targeting the Service.
func backendPolicyOf(cl *inventory.Cluster, svc *corev1.Service) *inventory.GCPBackendPolicy {
	for i := range cl.GCPBackendPolicies {
		p := &cl.GCPBackendPolicies[i]
		ref := p.Spec.TargetRef
		if p.Namespace == svc.Namespace && ref.Kind == "Service" && ref.Name == svc.Name {
			return p
		}
	}
	return nil
}

// GatewayBackendServices finds the backend services a Gateway built for a
// Service port among those its networking.gke.io/backend-services
// annotation lists: GKE names them gkegw1-<id>-<namespace>-<service>-<port>-<hash>.
func GatewayBackendServices(x *Index, cl *inventory.Cluster, svc *corev1.Service) []serviceBackend {
	var out []serviceBackend
	for _, gw := range cl.Gateways {
		for _, path := range gke.GatewayAnnotationPaths(gw.Annotations[gke.AnnGatewayBackendServices]) {
			bs := x.bsByKey[inventory.ScopedKey(path)]
			if bs == nil {
				continue
			}
			for _, sp := range svc.Spec.Ports {
				if gatewayBackendOf(bs.Name, svc.Namespace, svc.Name, sp.Port) {
					out = append(out, serviceBackend{BS: bs, Port: sp})
				}
			}
		}
	}
	return out
}

// gatewayBackendOf reports whether a GKE Gateway backend service name,
// gkegw1-<id>-<namespace>-<service>-<port>-<hash>, is of a Service port.
// GKE shortens the namespace and the Service's name to fit 63 characters,
// so each may be a prefix of the real one.
func gatewayBackendOf(bsName, ns, svc string, port int32) bool {
	parts := strings.Split(bsName, "-")
	if len(parts) < 6 || parts[0] != "gkegw1" {
		return strings.Contains(bsName, fmt.Sprintf("-%s-%s-%d-", ns, svc, port))
	}
	if parts[len(parts)-2] != fmt.Sprint(port) {
		return false
	}
	middle := parts[2 : len(parts)-2] // namespace and Service, each maybe cut
	for i := 1; i < len(middle); i++ {
		n, s := strings.Join(middle[:i], "-"), strings.Join(middle[i:], "-")
		exact := n == ns && s == svc
		// One field cut, when the name is at GKE's length cap.
		cut := len(bsName) >= 60 && ((n == ns && strings.HasPrefix(svc, s)) || (s == svc && strings.HasPrefix(ns, n)))
		if exact || cut {
			return true
		}
	}
	return false
}

// computeNEGServings lists, for every cluster whose Ingresses and Services
// were read, the Services its GKE Ingresses and Gateways reach through
// NEGs. GKE's own default backend is left out: GKE manages it.
func computeNEGServings(x *Index) []NEGServing {
	inv := x.Inv
	bsKnown := inv.Known(inventory.ComputeBackendServices, inventory.ProjectScope(inv.Project))
	var out []NEGServing
	for _, cl := range inv.Clusters {
		if !inv.Known(inventory.KubeIngresses, cl.Scope()) || !inv.Known(inventory.KubeServices, cl.Scope()) {
			continue
		}
		index := map[string]int{}
		GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) {
			for _, b := range BackendsOf(ing) {
				svc := FindService(cl, ing.Namespace, b.Service.Name)
				if svc == nil || gke.IsDefaultBackend(svc.Namespace, svc.Name) || !gke.ServesIngressNEG(svc, class) {
					continue
				}
				key := svc.Namespace + "/" + svc.Name
				i, ok := index[key]
				if !ok {
					i = len(out)
					index[key] = i
					n := NEGServing{Cl: cl, Svc: svc, BsKnown: bsKnown}
					for _, sb := range BackendServicesOf(x, cl, svc) {
						if negBacked(sb.BS) {
							n.Backends = append(n.Backends, sb)
						}
					}
					out = append(out, n)
				}
				if name := "Ingress " + ing.Namespace + "/" + ing.Name; !Contains(out[i].Ingresses, name) {
					out[i].Ingresses = append(out[i].Ingresses, name)
				}
			}
		})
		if !inv.Known(inventory.KubeGateways, cl.Scope()) || !inv.Known(inventory.KubeHTTPRoutes, cl.Scope()) {
			continue
		}
		for _, b := range x.LBBackends(cl) {
			if b.OwnerKind != "Gateway" || gke.IsDefaultBackend(b.Svc.Namespace, b.Svc.Name) {
				continue
			}
			key := b.Svc.Namespace + "/" + b.Svc.Name
			i, ok := index[key]
			if !ok {
				i = len(out)
				index[key] = i
				out = append(out, NEGServing{Cl: cl, Svc: b.Svc, BsKnown: bsKnown})
			}
			n := &out[i]
			if !n.Gateway {
				n.Gateway = true
				n.Backends = append(n.Backends, GatewayBackendServices(x, cl, b.Svc)...)
				if n.PolicyKnown = inv.Known(inventory.KubeGCPBackendPolicies, cl.Scope()); n.PolicyKnown {
					n.Policy = backendPolicyOf(cl, b.Svc)
				}
			}
			if name := "Gateway " + b.Owner.Namespace + "/" + b.Owner.Name; !Contains(n.Ingresses, name) {
				n.Ingresses = append(n.Ingresses, name)
			}
		}
	}
	// The same words whatever order the API server listed the objects in.
	for i := range out {
		sort.Strings(out[i].Ingresses)
	}
	return out
}
