package core

import (
	"encoding/json"
	"regexp"
	"strconv"
)

// IngressOfDescription returns "ns/name" from the description GKE's
// controller writes on forwarding rules and target proxies.
func IngressOfDescription(desc string) string {
	var d struct {
		Ingress string `json:"kubernetes.io/ingress-name"`
	}
	if json.Unmarshal([]byte(desc), &d) != nil {
		return ""
	}
	return d.Ingress
}

// ServiceOfDescription returns "ns/name" from the description of an L4
// forwarding rule or an L7 backend service.
func ServiceOfDescription(desc string) string {
	var d struct {
		Service   string `json:"kubernetes.io/service-name"`
		NetworkGS string `json:"networking.gke.io/service-name"`
	}
	if json.Unmarshal([]byte(desc), &d) != nil {
		return ""
	}
	if d.Service != "" {
		return d.Service
	}
	return d.NetworkGS
}

// backendServiceDescription is what the Ingress controller writes on a
// backend service.
type backendServiceDescription struct {
	Service  string   `json:"kubernetes.io/service-name"`
	Port     string   `json:"kubernetes.io/service-port"`
	Features []string `json:"x-features"`
}

var backendPortPattern = regexp.MustCompile(`ServiceBackendPort\{Name:([^,]*),Number:(\d+),\}`)

// port returns the Service port a backend service was built for: its name
// or its number. Descriptions carry "&ServiceBackendPort{Name:,Number:80,}"
// (networking/v1), or "80" / "http" in older objects.
func (d backendServiceDescription) port() (name string, number int32) {
	if m := backendPortPattern.FindStringSubmatch(d.Port); m != nil {
		n, _ := strconv.Atoi(m[2])
		return m[1], int32(n)
	}
	if n, err := strconv.Atoi(d.Port); err == nil {
		return "", int32(n)
	}
	return d.Port, 0
}

func ParseBackendServiceDescription(desc string) (backendServiceDescription, bool) {
	d, err := decodeJSON[backendServiceDescription]("bs-description", desc)
	return d, err == nil && d.Service != ""
}
