package core

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inventory"
)

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
