package core

import (
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// KubeResource names a Kubernetes object of a cluster.
func KubeResource(cl *inventory.Cluster, kind string, meta metav1.ObjectMeta) inspect.Resource {
	return inspect.Resource{Kind: kind, Project: cl.Project, Location: cl.Location(), Cluster: cl.Name(),
		Namespace: meta.Namespace, Name: meta.Name}
}

func MetaOf(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name}
}

// ClusterReadable reports whether the cluster's Ingresses, Services and
// Gateway objects were read.
func ClusterReadable(p *inspect.Pass, cl *inventory.Cluster) bool {
	for _, s := range []inventory.Source{inventory.KubeIngresses, inventory.KubeServices, inventory.KubeGateways, inventory.KubeHTTPRoutes} {
		if !p.Known(s, cl.Scope()) {
			return false
		}
	}
	return true
}

func FindBackendConfig(cl *inventory.Cluster, ns, name string) *inventory.BackendConfig {
	for i := range cl.BackendConfigs {
		if bc := &cl.BackendConfigs[i]; bc.Namespace == ns && bc.Name == name {
			return bc
		}
	}
	return nil
}

// IngressesUsingService returns "ns/name" of every GKE Ingress that routes
// to the Service.
func IngressesUsingService(cl *inventory.Cluster, ns, svc string) []string {
	var out []string
	for i := range cl.Ingresses {
		ing := &cl.Ingresses[i]
		if _, ok := gke.GKEIngress(ing); !ok || ing.Namespace != ns {
			continue
		}
		for _, b := range ingressServiceBackends(ing) {
			if b.Name == svc {
				out = append(out, ing.Namespace+"/"+ing.Name)
				break
			}
		}
	}
	return out
}

// ingressServiceBackends lists the Service backends of an Ingress: the
// default backend first, then every path.
func ingressServiceBackends(ing *networkingv1.Ingress) []*networkingv1.IngressServiceBackend {
	var out []*networkingv1.IngressServiceBackend
	if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
		out = append(out, b.Service)
	}
	for _, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			if p.Backend.Service != nil {
				out = append(out, p.Backend.Service)
			}
		}
	}
	return out
}
