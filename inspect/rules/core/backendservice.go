package core

import (
	"sort"
	"strings"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// serviceBackend is a backend service built for one port of a Service.
type serviceBackend struct {
	BS   *compute.BackendService
	Port corev1.ServicePort
}

// BackendServicesOf returns the backend services GKE built for a Service
// of this cluster: those named in the Service's neg-status or in the
// backends annotation of the cluster's Ingresses that route to it, whose
// description names the Service. Backend service names embed the cluster,
// descriptions do not; the annotations tie both to this cluster.
func BackendServicesOf(x *Index, cl *inventory.Cluster, svc *corev1.Service) []serviceBackend {
	x.mu.Lock()
	out, ok := x.bsOf[svc]
	x.mu.Unlock()
	if ok {
		return out
	}
	out = backendServicesOf(x, cl, svc)
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.bsOf == nil {
		x.bsOf = map[*corev1.Service][]serviceBackend{}
	}
	if prev, ok := x.bsOf[svc]; ok {
		return prev
	}
	x.bsOf[svc] = out
	return out
}

func backendServicesOf(x *Index, cl *inventory.Cluster, svc *corev1.Service) []serviceBackend {
	keys := map[string]bool{}
	if st, ok := gke.ParseNEGStatus(svc); ok {
		// A NEG backend service has the NEG's name, global for gce
		// Ingresses, in the cluster's region for the regional classes.
		for _, n := range st.NEGs {
			keys["global/backendServices/"+n] = true
			keys["regions/"+cl.Region()+"/backendServices/"+n] = true
		}
	}
	for _, k := range x.ingressBS[cl.Scope()+"/"+svc.Namespace+"/"+svc.Name] {
		keys[k] = true
	}
	var out []serviceBackend
	for key := range keys {
		bs := x.bsByKey[key]
		if bs == nil || inventory.ProjectOf(bs.SelfLink) != cl.Project {
			continue
		}
		d, ok := x.bsDesc[bs]
		if !ok || d.Service != svc.Namespace+"/"+svc.Name {
			continue
		}
		pname, number := d.Port()
		for _, sp := range svc.Spec.Ports {
			if (pname != "" && sp.Name == pname) || (pname == "" && sp.Port == number) {
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

// BackendServiceResource names a backend service.
func BackendServiceResource(bs *compute.BackendService) inspect.Resource {
	loc := "global"
	if bs.Region != "" {
		loc = inventory.LastSegment(bs.Region)
	}
	return inspect.Resource{Kind: "BackendService", Project: inventory.ProjectOf(bs.SelfLink), Location: loc, Name: bs.Name}
}

// gcloudScope is the gcloud flag selecting a resource's scope.
func GCloudScope(bs *compute.BackendService) string {
	if bs.Region != "" {
		return "--region " + inventory.LastSegment(bs.Region)
	}
	return "--global"
}
