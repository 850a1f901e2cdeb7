package core

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// IngressBackend is one Service backend of an Ingress and where it is.
type IngressBackend struct {
	// Field is the backend's place in the spec, e.g.
	// "spec.rules[0].http.paths[1].backend".
	Field string
	// Pointer is the JSON pointer of the backend's service, for
	// kubectl patch --type json.
	Pointer string
	Host    string
	Path    string
	Service *networkingv1.IngressServiceBackend
}

// BackendsOf lists the Service backends of an Ingress: the default backend
// first, then every path of every rule with an http block.
func BackendsOf(ing *networkingv1.Ingress) []IngressBackend {
	var out []IngressBackend
	if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
		out = append(out, IngressBackend{Field: "spec.defaultBackend", Pointer: "/spec/defaultBackend/service", Path: "(default)", Service: b.Service})
	}
	for i, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for j, p := range r.HTTP.Paths {
			if p.Backend.Service == nil {
				continue
			}
			out = append(out, IngressBackend{
				Field:   fmt.Sprintf("spec.rules[%d].http.paths[%d].backend", i, j),
				Pointer: fmt.Sprintf("/spec/rules/%d/http/paths/%d/backend/service", i, j),
				Host:    r.Host, Path: p.Path, Service: p.Backend.Service,
			})
		}
	}
	return out
}

// Where renders a backend's host and path for messages.
func (b IngressBackend) Where() string {
	if b.Field == "spec.defaultBackend" {
		return "the default backend"
	}
	host := b.Host
	if host == "" {
		host = "*"
	}
	return fmt.Sprintf("host %s path %s", host, b.Path)
}

// PortLabel renders an Ingress backend port as the controller matches it:
// by name when named, else by number.
func PortLabel(p networkingv1.ServiceBackendPort) string {
	if p.Name != "" {
		return p.Name
	}
	return strconv.Itoa(int(p.Number))
}

// FindService returns the Service ns/name of the cluster, or nil.
func FindService(cl *inventory.Cluster, ns, name string) *corev1.Service {
	return cl.Service(ns, name)
}

// ServicePort returns the Service port an Ingress backend port selects:
// the port of that name when the backend names one, else the port of that
// number (never the targetPort).
func ServicePort(svc *corev1.Service, p networkingv1.ServiceBackendPort) *corev1.ServicePort {
	for i := range svc.Spec.Ports {
		sp := &svc.Spec.Ports[i]
		if (p.Name != "" && sp.Name == p.Name) || (p.Name == "" && sp.Port == p.Number) {
			return sp
		}
	}
	return nil
}

// ServicesInNamespace lists the names of the cluster's Services in ns.
func ServicesInNamespace(cl *inventory.Cluster, ns string) []string {
	var out []string
	for _, s := range cl.Services {
		if s.Namespace == ns {
			out = append(out, s.Name)
		}
	}
	return out
}

// gkeIngresses calls fn for every Ingress GKE's controller serves.
func GKEIngresses(cl *inventory.Cluster, fn func(ing *networkingv1.Ingress, class string)) {
	for i := range cl.Ingresses {
		ing := &cl.Ingresses[i]
		if class, ok := gke.GKEIngress(ing); ok {
			fn(ing, class)
		}
	}
}

// PortName renders a Service port for messages: its name and number.
func PortName(p corev1.ServicePort) string {
	if p.Name != "" {
		return fmt.Sprintf("%s (%d)", p.Name, p.Port)
	}
	return strconv.Itoa(int(p.Port))
}

// ForIngresses calls fn for each GKE Ingress of each cluster whose
// Ingresses were read.
func ForIngresses(p *inspect.Pass, fn func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string)) {
	for _, cl := range p.Inventory.Clusters {
		if !p.Known(inventory.KubeIngresses, cl.Scope()) {
			continue
		}
		GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) { fn(cl, ing, class) })
	}
}
