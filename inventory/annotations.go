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
