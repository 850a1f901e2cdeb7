package rules

import (
	"encoding/json"
	"sort"
	"strings"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

const annIngressBackends = "ingress.kubernetes.io/backends"

// ingressBackendNames returns the backend service names the controller
// wrote on an Ingress after its last successful sync.
func ingressBackendNames(ing *networkingv1.Ingress) []string {
	var m map[string]string
	if json.Unmarshal([]byte(ing.Annotations[annIngressBackends]), &m) != nil {
		return nil
	}
	return sortedKeys(m)
}

// serviceBackend is a backend service built for one port of a Service.
type serviceBackend struct {
	BS   *compute.BackendService
	Port corev1.ServicePort
}

// backendServicesOf returns the backend services GKE built for a Service
// of this cluster: those named in the Service's neg-status or in the
// backends annotation of the cluster's Ingresses that route to it, whose
// description names the Service. Backend service names embed the cluster,
// descriptions do not; the annotations tie both to this cluster.
func backendServicesOf(inv *inventory.Inventory, cl *inventory.Cluster, svc *corev1.Service) []serviceBackend {
	names := map[string]bool{}
	if st, ok := parseNEGStatus(svc); ok {
		for _, n := range st.NEGs {
			names[n] = true
		}
	}
	for i := range cl.Ingresses {
		ing := &cl.Ingresses[i]
		if ing.Namespace != svc.Namespace {
			continue
		}
		for _, b := range backendsOf(ing) {
			if b.Service.Name == svc.Name {
				for _, n := range ingressBackendNames(ing) {
					names[n] = true
				}
				break
			}
		}
	}
	var out []serviceBackend
	for _, bs := range inv.Compute.BackendServices {
		if !names[bs.Name] || inventory.ProjectOf(bs.SelfLink) != cl.Project {
			continue
		}
		d, ok := parseBackendServiceDescription(bs.Description)
		if !ok || d.Service != svc.Namespace+"/"+svc.Name {
			continue
		}
		name, number := d.port()
		for _, sp := range svc.Spec.Ports {
			if (name != "" && sp.Name == name) || (name == "" && sp.Port == number) {
				out = append(out, serviceBackend{BS: bs, Port: sp})
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].BS.SelfLink < out[j].BS.SelfLink })
	return out
}

// negBacked reports whether a backend service's backends are NEGs.
func negBacked(bs *compute.BackendService) bool {
	if len(bs.Backends) == 0 {
		return strings.HasPrefix(bs.Name, "k8s1-")
	}
	for _, b := range bs.Backends {
		if !strings.Contains(b.Group, "/networkEndpointGroups/") {
			return false
		}
	}
	return true
}

// backendServiceResource names a backend service.
func backendServiceResource(bs *compute.BackendService) inspect.Resource {
	loc := "global"
	if bs.Region != "" {
		loc = inventory.LastSegment(bs.Region)
	}
	return inspect.Resource{Kind: "BackendService", Project: inventory.ProjectOf(bs.SelfLink), Location: loc, Name: bs.Name}
}

// gcloudScope is the gcloud flag selecting a resource's scope.
func gcloudScope(bs *compute.BackendService) string {
	if bs.Region != "" {
		return "--region " + inventory.LastSegment(bs.Region)
	}
	return "--global"
}
