package inventory

import (
	"slices"
	"strings"

	"github.com/lbdiag/lbdiag/gke"
)

// ScopedKey is "scope/collection/name" of a Compute Engine resource path
// ("global/backendServices/x", "regions/r/backendServices/x"), the project
// left out: Gateway annotations carry the project number, selfLinks the
// ID. It is "" for a path that names no resource.
func ScopedKey(path string) string {
	rel := RelativeName(path)
	parts := strings.Split(strings.Trim(rel, "/"), "/")
	if len(parts) < 4 || parts[0] != "projects" {
		return ""
	}
	return strings.Join(parts[2:], "/")
}

// ServingBackendServices returns the scoped keys of the backend services
// the controllers' annotations name for the cluster's GKE Ingresses
// (ingress.kubernetes.io/backends, in the Ingress class's scope) and
// Gateways (networking.gke.io/backend-services, full paths), each with the
// owners that name it ("Ingress ns/name", "Gateway ns/name").
func ServingBackendServices(cl *Cluster) map[string][]string {
	out := map[string][]string{}
	add := func(key, owner string) {
		if key != "" && !slices.Contains(out[key], owner) {
			out[key] = append(out[key], owner)
		}
	}
	for i := range cl.Ingresses {
		ing := &cl.Ingresses[i]
		class, ok := gke.GKEIngress(ing)
		if !ok {
			continue
		}
		for _, n := range gke.IngressBackendNames(ing) {
			add(gke.IngressResourceScope(class, cl.Region())+"/backendServices/"+n, "Ingress "+ing.Namespace+"/"+ing.Name)
		}
	}
	for _, gw := range cl.Gateways {
		for _, p := range gke.GatewayAnnotationPaths(gw.Annotations[gke.AnnGatewayBackendServices]) {
			key := ScopedKey(p)
			if key == "" {
				// A bare name of an early Gateway: global.
				key = "global/backendServices/" + p
			}
			add(key, "Gateway "+gw.Namespace+"/"+gw.Name)
		}
	}
	return out
}
