package gke

import (
	"encoding/json"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// BackendConfigRef is the parsed backend-config annotation of a Service.
type BackendConfigRef struct {
	// Key is the annotation key read (the GA key, else the beta one).
	Key string `json:"-"`
	// Raw is its value.
	Raw     string            `json:"-"`
	Default string            `json:"default"`
	Ports   map[string]string `json:"ports"`
}

// ParseBackendConfig reads the GA annotation, else the beta one, as
// kubernetes/ingress-gce pkg/annotations/service.go GetBackendConfigs
// does. ok is false when neither is set; err when the value does not
// parse.
func ParseBackendConfig(svc *corev1.Service) (ref BackendConfigRef, ok bool, err error) {
	for _, k := range []string{AnnBackendConfig, AnnBackendConfigBeta} {
		v, set := svc.Annotations[k]
		if !set {
			continue
		}
		parsed, err := decodeJSON[BackendConfigRef]("backend-config", v)
		parsed.Key, parsed.Raw = k, v
		return parsed, true, err
	}
	return ref, false, nil
}

// Names returns the BackendConfig names the reference uses, each with the
// keys ("default", or "ports[<key>]") that name it, sorted.
func (r BackendConfigRef) Names() map[string][]string {
	out := map[string][]string{}
	if r.Default != "" {
		out[r.Default] = append(out[r.Default], "default")
	}
	keys := make([]string, 0, len(r.Ports))
	for k := range r.Ports {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if n := r.Ports[k]; n != "" {
			out[n] = append(out[n], "ports["+k+"]")
		}
	}
	return out
}

// Without returns the annotation's JSON with every use of name removed.
func (r BackendConfigRef) Without(name string) string {
	out := map[string]any{}
	if r.Default != "" && r.Default != name {
		out["default"] = r.Default
	}
	ports := map[string]string{}
	for k, v := range r.Ports {
		if v != name {
			ports[k] = v
		}
	}
	if len(ports) > 0 {
		out["ports"] = ports
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// ForPort returns the BackendConfig name the controller resolves for a
// Service port, as kubernetes/ingress-gce pkg/backendconfig/utils.go
// BackendConfigName does: the ports entry of the port's name (an unnamed
// port's name is ""), else of its number, else the default. An entry that
// exists wins even when its value is "": that port then has no
// BackendConfig (ErrNoBackendConfigForPort, which the translator ignores),
// and the default does not apply to it.
func (r BackendConfigRef) ForPort(p corev1.ServicePort) string {
	name, _ := r.Resolve(p)
	return name
}

// Resolve is ForPort with the annotation key that decided: "ports[<key>]"
// or "default" ("" when nothing applies).
func (r BackendConfigRef) Resolve(p corev1.ServicePort) (name, key string) {
	if n, ok := r.Ports[p.Name]; ok {
		return n, "ports[" + p.Name + "]"
	}
	if n, ok := r.Ports[strconv.Itoa(int(p.Port))]; ok {
		return n, "ports[" + strconv.Itoa(int(p.Port)) + "]"
	}
	if r.Default != "" {
		return r.Default, "default"
	}
	return "", ""
}
