package inventory

import (
	"encoding/json"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// Annotations GKE's controllers write, naming the Compute Engine resources
// they built. Collectors read them to know which backend services to ask
// the health of; rules read them to join Kubernetes with Compute Engine.
const (
	AnnIngressBackends        = "ingress.kubernetes.io/backends"
	AnnGatewayBackendServices = "networking.gke.io/backend-services"
)

// IngressBackendNames returns the backend service names of an Ingress's
// ingress.kubernetes.io/backends annotation (written after the last
// successful sync), sorted; none when it is absent or not JSON.
func IngressBackendNames(ing *networkingv1.Ingress) []string {
	var m map[string]string
	if json.Unmarshal([]byte(ing.Annotations[AnnIngressBackends]), &m) != nil {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// GatewayAnnotationPaths splits a networking.gke.io/* resource annotation
// of a Gateway: comma-separated paths carrying the project number, or bare
// names on 2021-era Gateways.
func GatewayAnnotationPaths(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Ingress classes served by GKE's Ingress controller, and the annotation
// that selects one.
const (
	AnnIngressClass       = "kubernetes.io/ingress.class"
	ClassGCE              = "gce"
	ClassInternal         = "gce-internal"
	ClassRegionalExternal = "gce-regional-external"
)

// IngressClass returns the class GKE's controller sees: the annotation, or
// "gce" when the annotation is absent or empty and spec.ingressClassName is
// unset; "" when spec.ingressClassName selects another controller.
func IngressClass(ing *networkingv1.Ingress) string {
	v, ok := ing.Annotations[AnnIngressClass]
	if ok && v != "" {
		return v
	}
	if ing.Spec.IngressClassName == nil {
		return ClassGCE
	}
	return ""
}

// GKEIngress reports whether GKE's Ingress controller builds an Application
// Load Balancer for the Ingress, and of which class.
func GKEIngress(ing *networkingv1.Ingress) (string, bool) {
	c := IngressClass(ing)
	return c, c == ClassGCE || c == ClassInternal || c == ClassRegionalExternal
}

// IngressResourceScope is where the controller builds an Ingress's
// resources: "global" for gce, "regions/<region>" for the regional classes.
func IngressResourceScope(class, region string) string {
	if class == ClassGCE {
		return "global"
	}
	return "regions/" + region
}

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
		if key != "" && !containsString(out[key], owner) {
			out[key] = append(out[key], owner)
		}
	}
	for i := range cl.Ingresses {
		ing := &cl.Ingresses[i]
		class, ok := GKEIngress(ing)
		if !ok {
			continue
		}
		for _, n := range IngressBackendNames(ing) {
			add(IngressResourceScope(class, cl.Region())+"/backendServices/"+n, "Ingress "+ing.Namespace+"/"+ing.Name)
		}
	}
	for _, gw := range cl.Gateways {
		for _, p := range GatewayAnnotationPaths(gw.Annotations[AnnGatewayBackendServices]) {
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

func containsString(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}
