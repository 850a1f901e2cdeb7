package gke

import (
	"encoding/json"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// NEGAnnotation is the cloud.google.com/neg annotation of a Service.
type NEGAnnotation struct {
	// Ingress asks for NEGs for the Ingress's backends.
	Ingress bool `json:"ingress"`
	// ExposedPorts asks for standalone NEGs, keyed by Service port number.
	ExposedPorts map[string]json.RawMessage `json:"exposed_ports"`
	Zones        []string                   `json:"zones"`
}

// ParseNEG reads the NEG annotation; set is false when it is absent, err
// when it does not parse.
func ParseNEG(svc *corev1.Service) (a NEGAnnotation, set bool, err error) {
	v, ok := svc.Annotations[AnnNEG]
	if !ok {
		return a, false, nil
	}
	a, err = decodeJSON[NEGAnnotation]("neg", v)
	return a, true, err
}

// NEGStatus is the cloud.google.com/neg-status annotation the NEG
// controller writes.
type NEGStatus struct {
	// NEGs maps a Service port number (as a string) to the NEG's name.
	NEGs  map[string]string `json:"network_endpoint_groups"`
	Zones []string          `json:"zones"`
}

// ParseNEGStatus reads the NEG controller's status; ok is false when it is
// absent or does not parse.
func ParseNEGStatus(svc *corev1.Service) (NEGStatus, bool) {
	v, ok := svc.Annotations[AnnNEGStatus]
	if !ok {
		return NEGStatus{}, false
	}
	st, err := decodeJSON[NEGStatus]("neg-status", v)
	return st, err == nil
}

// ServesIngressNEG reports whether an Ingress of class reaches the Service
// through NEGs (container-native load balancing): always for the regional
// classes, with "ingress": true in the NEG annotation for gce.
func ServesIngressNEG(svc *corev1.Service, class string) bool {
	if IngressNeedsNEG(class) {
		return true
	}
	a, set, err := ParseNEG(svc)
	return set && err == nil && a.Ingress
}

// AppProtocols returns the app-protocols annotation the controller reads
// (the alpha key first, then the GA key, as
// kubernetes/ingress-gce pkg/annotations/service.go does), its key, and
// whether one is set.
func AppProtocols(svc *corev1.Service) (key, raw string, set bool) {
	for _, k := range []string{AnnAppProtocolsAlpha, AnnAppProtocols} {
		if v, ok := svc.Annotations[k]; ok {
			return k, v, true
		}
	}
	return "", "", false
}

// AppProtocol is the protocol the app-protocols annotation gives a Service
// port: "HTTP" when none, or when the annotation does not parse.
func AppProtocol(svc *corev1.Service, port corev1.ServicePort) string {
	_, raw, set := AppProtocols(svc)
	if !set {
		return "HTTP"
	}
	var m map[string]string
	if json.Unmarshal([]byte(raw), &m) == nil && m[port.Name] != "" {
		return m[port.Name]
	}
	return "HTTP"
}

// IsGKEL4 reports whether GKE builds the Service's load balancer: type
// LoadBalancer with no loadBalancerClass, or one of GKE's.
func IsGKEL4(svc *corev1.Service) bool {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return false
	}
	c := svc.Spec.LoadBalancerClass
	return c == nil || *c == "" || strings.HasPrefix(*c, "networking.gke.io/")
}

// L4Internal reports whether the Service asks for an internal load
// balancer: networking.gke.io/load-balancer-type (or the deprecated
// cloud.google.com/load-balancer-type) "Internal", or the
// networking.gke.io/l4-regional-internal class.
func L4Internal(svc *corev1.Service) bool {
	if c := svc.Spec.LoadBalancerClass; c != nil && strings.HasPrefix(*c, "networking.gke.io/l4-regional-internal") {
		return true
	}
	for _, k := range []string{AnnL4Type, AnnL4TypeDeprecated} {
		if strings.EqualFold(svc.Annotations[k], "internal") {
			return true
		}
	}
	return false
}
