package rules

import (
	"encoding/json"
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// Service annotations read by GKE's controllers.
const (
	annNEG             = "cloud.google.com/neg"
	annNEGStatus       = "cloud.google.com/neg-status"
	annAppProtocols    = "cloud.google.com/app-protocols"
	annAppProtocolsOld = "service.alpha.kubernetes.io/app-protocols"
)

// negAnnotation is the cloud.google.com/neg annotation.
type negAnnotation struct {
	Ingress      bool                       `json:"ingress"`
	ExposedPorts map[string]json.RawMessage `json:"exposed_ports"`
	Zones        []string                   `json:"zones"`
}

// parseNEG reads the NEG annotation; set is false when it is absent.
func parseNEG(svc *corev1.Service) (a negAnnotation, set bool, err error) {
	v, ok := svc.Annotations[annNEG]
	if !ok {
		return a, false, nil
	}
	return a, true, json.Unmarshal([]byte(v), &a)
}

// negStatus is the cloud.google.com/neg-status annotation the NEG
// controller writes.
type negStatus struct {
	// NEGs maps a Service port number (as a string) to the NEG's name.
	NEGs  map[string]string `json:"network_endpoint_groups"`
	Zones []string          `json:"zones"`
}

func parseNEGStatus(svc *corev1.Service) (negStatus, bool) {
	var st negStatus
	v, ok := svc.Annotations[annNEGStatus]
	if !ok || json.Unmarshal([]byte(v), &st) != nil {
		return st, false
	}
	return st, true
}

// servesIngressNEG reports whether an Ingress of class reaches the Service
// through NEGs (container-native load balancing): always for the regional
// classes, with "ingress": true in the NEG annotation for gce.
func servesIngressNEG(svc *corev1.Service, class string) bool {
	if class == classInternal || class == classRegionalExternal {
		return true
	}
	a, set, err := parseNEG(svc)
	return set && err == nil && a.Ingress
}

// backendConfigForPort returns the BackendConfig name that applies to a
// Service port: the ports entry of its name, then of its number, then the
// default; "" when none does.
func (r backendConfigRef) forPort(p corev1.ServicePort) string {
	if n, ok := r.Ports[p.Name]; ok && p.Name != "" {
		return n
	}
	if n, ok := r.Ports[strconv.Itoa(int(p.Port))]; ok {
		return n
	}
	return r.Default
}
