package gke

import (
	"regexp"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"
)

// The controllers write JSON descriptions on what they build. lbdiag reads
// them to map a Compute Engine resource back to its Kubernetes object.

// IngressOfDescription returns "ns/name" from the description the Ingress
// controller writes on forwarding rules, target proxies and URL maps
// ({"kubernetes.io/ingress-name": "ns/name"}).
func IngressOfDescription(desc string) string {
	d, err := decodeJSON[struct {
		Ingress string `json:"kubernetes.io/ingress-name"`
	}]("ingress-description", desc)
	if err != nil {
		return ""
	}
	return d.Ingress
}

// ServiceOfDescription returns "ns/name" from the description of an L4
// forwarding rule or backend service, or an L7 backend service:
// {"kubernetes.io/service-name": ...} (the Ingress controller, the older L4
// controller) or {"networking.gke.io/service-name": ...} (the L4
// controller with subsetting and the NetLB controller); "" when neither.
func ServiceOfDescription(desc string) string {
	d, err := decodeJSON[map[string]any]("service-description", desc)
	if err != nil {
		return ""
	}
	for _, k := range []string{"kubernetes.io/service-name", "networking.gke.io/service-name"} {
		if s, ok := d[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// BackendServiceDescription is what the Ingress controller writes on a
// backend service (kubernetes/ingress-gce pkg/utils/description.go).
type BackendServiceDescription struct {
	// Service is "ns/name".
	Service string `json:"kubernetes.io/service-name"`
	// RawPort is the Service port as the controller printed it.
	RawPort  string   `json:"kubernetes.io/service-port"`
	Features []string `json:"x-features"`
}

var backendPortPattern = regexp.MustCompile(`ServiceBackendPort\{Name:([^,]*),Number:(\d+),\}`)

// Port returns the Service port a backend service was built for: its name
// or its number. Descriptions carry "&ServiceBackendPort{Name:,Number:80,}"
// (networking/v1), or "80" / "http" in older objects.
func (d BackendServiceDescription) Port() (name string, number int32) {
	if m := backendPortPattern.FindStringSubmatch(d.RawPort); m != nil {
		n, _ := strconv.Atoi(m[2])
		return m[1], int32(n)
	}
	if n, err := strconv.Atoi(d.RawPort); err == nil {
		return "", int32(n)
	}
	return d.RawPort, 0
}

// ParseBackendServiceDescription reads an Ingress backend service's
// description; ok is false when it is not one (no Service named).
func ParseBackendServiceDescription(desc string) (BackendServiceDescription, bool) {
	d, err := decodeJSON[BackendServiceDescription]("bs-description", desc)
	return d, err == nil && d.Service != ""
}

// NEGDescription is what the NEG controller writes on a NEG it creates
// (kubernetes/ingress-gce pkg/utils/description.go NegDescription): the
// cluster's kube-system UID, and the Service port it serves.
type NEGDescription struct {
	ClusterUID string `json:"cluster-uid"`
	Namespace  string `json:"namespace"`
	Service    string `json:"service-name"`
	Port       string `json:"port"`
}

// ParseNEGDescription reads a NEG's description; ok is false when it is
// not JSON.
func ParseNEGDescription(desc string) (NEGDescription, bool) {
	d, err := decodeJSON[NEGDescription]("neg-description", desc)
	return d, err == nil
}

// Makers of a backend service, as BackendServiceMaker tells them.
const (
	MakerIngress = "Ingress"
	MakerGateway = "Gateway"
	MakerL4      = "L4"
)

// BackendServiceMaker tells who made a backend service, from its name and
// description: MakerIngress (GKE's Ingress controller, description naming
// the Service), MakerGateway (gkegw1-), MakerL4 (a LoadBalancer Service),
// or "". svc is the Service "ns/name" when the description names it.
func BackendServiceMaker(bs *compute.BackendService) (maker, svc string) {
	if d, ok := ParseBackendServiceDescription(bs.Description); ok {
		return MakerIngress, d.Service
	}
	switch {
	case strings.HasPrefix(bs.Name, PrefixGateway):
		return MakerGateway, ""
	case strings.HasPrefix(bs.Name, PrefixNEG) || strings.HasPrefix(bs.Name, PrefixIGBackend):
		return MakerIngress, ""
	case strings.HasPrefix(bs.Name, PrefixV2) || strings.HasPrefix(bs.Name, "k8s-"):
		return MakerL4, ServiceOfDescription(bs.Description)
	}
	return "", ""
}
