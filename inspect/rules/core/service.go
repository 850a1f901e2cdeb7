package core

import (
	"encoding/json"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inventory"
)

// Service annotations read by GKE's controllers.
const (
	AnnNEG             = "cloud.google.com/neg"
	AnnNEGStatus       = "cloud.google.com/neg-status"
	AnnAppProtocols    = "cloud.google.com/app-protocols"
	AnnAppProtocolsOld = "service.alpha.kubernetes.io/app-protocols"
)

// negAnnotation is the cloud.google.com/neg annotation.
type negAnnotation struct {
	Ingress      bool                       `json:"ingress"`
	ExposedPorts map[string]json.RawMessage `json:"exposed_ports"`
	Zones        []string                   `json:"zones"`
}

// ParseNEG reads the NEG annotation; set is false when it is absent.
func ParseNEG(svc *corev1.Service) (a negAnnotation, set bool, err error) {
	v, ok := svc.Annotations[AnnNEG]
	if !ok {
		return a, false, nil
	}
	a, err = decodeJSON[negAnnotation]("neg", v)
	return a, true, err
}

// negStatus is the cloud.google.com/neg-status annotation the NEG
// controller writes.
type negStatus struct {
	// NEGs maps a Service port number (as a string) to the NEG's name.
	NEGs  map[string]string `json:"network_endpoint_groups"`
	Zones []string          `json:"zones"`
}

func ParseNEGStatus(svc *corev1.Service) (negStatus, bool) {
	v, ok := svc.Annotations[AnnNEGStatus]
	if !ok {
		return negStatus{}, false
	}
	st, err := decodeJSON[negStatus]("neg-status", v)
	return st, err == nil
}

// ServesIngressNEG reports whether an Ingress of class reaches the Service
// through NEGs (container-native load balancing): always for the regional
// classes, with "ingress": true in the NEG annotation for gce.
func ServesIngressNEG(svc *corev1.Service, class string) bool {
	if class == inventory.ClassInternal || class == inventory.ClassRegionalExternal {
		return true
	}
	a, set, err := ParseNEG(svc)
	return set && err == nil && a.Ingress
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

// Resolve is forPort with the annotation key that decided: "ports[<key>]"
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

// PortUse is a Service port some GKE Ingress translates.
type PortUse struct {
	Port      corev1.ServicePort
	Ingresses []string // "ns/name"
	// Classes are those Ingresses' classes (gce, gce-internal, ...).
	Classes []string
}

// usedServicePorts returns, per Service ("ns/name"), the Service ports the
// cluster's GKE Ingresses route to, as the translator walks them
// (kubernetes/ingress-gce pkg/controller/translator TranslateIngress):
// every path of every rule that has an http block, and the default
// backend; Service backends only (a resource backend is not translated).
func usedServicePorts(cl *inventory.Cluster) map[string][]PortUse {
	out := map[string][]PortUse{}
	GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) {
		for _, b := range BackendsOf(ing) {
			svc := FindService(cl, ing.Namespace, b.Service.Name)
			if svc == nil {
				continue
			}
			sp := ServicePort(svc, b.Service.Port)
			if sp == nil {
				continue
			}
			key := svc.Namespace + "/" + svc.Name
			name := ing.Namespace + "/" + ing.Name
			found := false
			for i := range out[key] {
				if u := &out[key][i]; u.Port.Port == sp.Port {
					found = true
					if !Contains(u.Ingresses, name) {
						u.Ingresses = append(u.Ingresses, name)
					}
					if !Contains(u.Classes, class) {
						u.Classes = append(u.Classes, class)
					}
				}
			}
			if !found {
				out[key] = append(out[key], PortUse{Port: *sp, Ingresses: []string{name}, Classes: []string{class}})
			}
		}
	})
	// The same words whatever order the API server listed the Ingresses in.
	for _, uses := range out {
		for i := range uses {
			sort.Strings(uses[i].Ingresses)
			sort.Strings(uses[i].Classes)
		}
	}
	return out
}
