package gke

import (
	"encoding/json"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// Ingress classes served by GKE's Ingress controller.
const (
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

// IngressNeedsNEG reports whether an Ingress class reaches Services only
// through NEGs (the regional classes).
func IngressNeedsNEG(class string) bool {
	return class == ClassInternal || class == ClassRegionalExternal
}

// IngressBackendNames returns the backend service names of an Ingress's
// ingress.kubernetes.io/backends annotation (written after the last
// successful sync), sorted; none when it is absent or not JSON.
func IngressBackendNames(ing *networkingv1.Ingress) []string {
	m := IngressBackendStates(ing)
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// IngressBackendStates returns the ingress.kubernetes.io/backends
// annotation: backend service name to the controller's health summary
// ("HEALTHY" when at least one endpoint is); nil when absent or not JSON.
func IngressBackendStates(ing *networkingv1.Ingress) map[string]string {
	var m map[string]string
	if json.Unmarshal([]byte(ing.Annotations[AnnIngressBackends]), &m) != nil {
		return nil
	}
	return m
}

// StaticIP is the reserved address an Ingress asks for by name.
type StaticIP struct {
	// Annotation is the key that names it.
	Annotation string
	Name       string
	// Global is set for the global annotation.
	Global bool
}

// StaticIPOf returns the address an Ingress names: the global annotation
// first, as the controller reads it, else the regional one.
func StaticIPOf(ing *networkingv1.Ingress) (StaticIP, bool) {
	if n := strings.TrimSpace(ing.Annotations[AnnGlobalStaticIP]); n != "" {
		return StaticIP{Annotation: AnnGlobalStaticIP, Name: n, Global: true}, true
	}
	if n := strings.TrimSpace(ing.Annotations[AnnRegionalIP]); n != "" {
		return StaticIP{Annotation: AnnRegionalIP, Name: n}, true
	}
	return StaticIP{}, false
}

// StaticIPNames returns every static-IP name an Ingress's annotations
// carry, untrimmed, with the key of each.
func StaticIPNames(ing *networkingv1.Ingress) map[string]string {
	out := map[string]string{}
	for _, k := range []string{AnnGlobalStaticIP, AnnRegionalIP} {
		if v := ing.Annotations[k]; v != "" {
			out[k] = v
		}
	}
	return out
}

// ManagedCertificateNames are the ManagedCertificates an Ingress names.
func ManagedCertificateNames(ing *networkingv1.Ingress) []string {
	return SplitList(ing.Annotations[AnnManagedCerts])
}

// PreSharedCertNames are the SslCertificates an Ingress names.
func PreSharedCertNames(ing *networkingv1.Ingress) []string {
	return SplitList(ing.Annotations[AnnPreSharedCert])
}

// FrontendConfigName returns the FrontendConfig an Ingress names; set is
// false when the annotation is absent ("" names none).
func FrontendConfigName(ing *networkingv1.Ingress) (name string, set bool) {
	name, set = ing.Annotations[AnnFrontendConfig]
	return name, set
}

// AllowHTTP returns the raw allow-http annotation; set is false when it is
// absent.
func AllowHTTP(ing *networkingv1.Ingress) (value string, set bool) {
	value, set = ing.Annotations[AnnAllowHTTP]
	return value, set
}

// IsDefaultBackend reports whether a Service is GKE's own default backend
// (kube-system/default-http-backend), which GKE manages.
func IsDefaultBackend(ns, name string) bool {
	return ns == "kube-system" && name == "default-http-backend"
}

// URLMapPaths are the URL-map path rules GKE's Ingress controller renders
// for one Ingress path (ingress-gce pkg/controller/translator
// validateAndGetPaths): Prefix "/" is "/*"; Prefix "/foo" and "/foo/" are
// "/foo" and "/foo/*"; Exact and ImplementationSpecific (or no type) keep
// the path as written; an empty path is "/*". ok is false for a path the
// controller rejects (an Exact or Prefix path with a "*", or an empty one).
func URLMapPaths(path string, pathType *networkingv1.PathType) (paths []string, ok bool) {
	t := networkingv1.PathTypeImplementationSpecific
	if pathType != nil {
		t = *pathType
	}
	switch t {
	case networkingv1.PathTypeImplementationSpecific:
		if path == "" {
			return []string{"/*"}, true
		}
		return []string{path}, true
	case networkingv1.PathTypeExact:
		if path == "" || strings.Contains(path, "*") {
			return nil, false
		}
		return []string{path}, true
	case networkingv1.PathTypePrefix:
		if path == "" || strings.Contains(path, "*") {
			return nil, false
		}
		if path == "/" {
			return []string{"/*"}, true
		}
		p := strings.TrimSuffix(path, "/")
		return []string{p, p + "/*"}, true
	}
	return nil, false
}
