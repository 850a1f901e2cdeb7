package rules

import (
	"strings"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// InFocus returns the test that keeps a finding when the run is narrowed to
// namespaces, Ingresses or Gateways (inventory.Focus): a finding about a
// focused object, or about an object one serves or uses (its Services,
// their workloads, BackendConfigs and policies, its FrontendConfig, the
// Compute Engine resources its controllers built), or about a cluster that
// holds one. With no focus every finding is kept.
func InFocus(inv *inventory.Inventory) func(inspect.Finding) bool {
	f := inv.Focus
	if f.Empty() {
		return func(inspect.Finding) bool { return true }
	}
	kube := map[string]bool{}    // "cluster/Kind/ns/name"
	compute := map[string]bool{} // Compute Engine resource names
	clusters := map[string]bool{}
	x := core.NewIndex(inv)
	for _, cl := range inv.Clusters {
		key := func(kind, ns, name string) string {
			return cl.Location() + "/" + cl.Name() + "/" + kind + "/" + ns + "/" + name
		}
		addService := func(ns, name string) {
			kube[key("Service", ns, name)] = true
			svc := core.FindService(cl, ns, name)
			if svc == nil {
				return
			}
			for _, w := range core.WorkloadsOf(cl, svc) {
				kube[key(w.Kind, w.Meta.Namespace, w.Meta.Name)] = true
			}
			if ref, ok, err := gke.ParseBackendConfig(svc); ok && err == nil {
				for n := range ref.Names() {
					kube[key("BackendConfig", ns, n)] = true
				}
			}
			for i := range cl.GCPBackendPolicies {
				if p := &cl.GCPBackendPolicies[i]; p.Namespace == ns && p.Spec.TargetRef.Name == name {
					kube[key("GCPBackendPolicy", ns, p.Name)] = true
				}
			}
			for i := range cl.HealthCheckPolicies {
				if p := &cl.HealthCheckPolicies[i]; p.Namespace == ns && p.Spec.TargetRef.Name == name {
					kube[key("HealthCheckPolicy", ns, p.Name)] = true
				}
			}
			if st, ok := gke.ParseNEGStatus(svc); ok {
				for _, n := range st.NEGs {
					compute[n] = true
				}
			}
			for _, sb := range core.BackendServicesOf(x, cl, svc) {
				compute[sb.BS.Name] = true
			}
		}
		for i := range cl.Ingresses {
			ing := &cl.Ingresses[i]
			if !f.Includes("Ingress " + ing.Namespace + "/" + ing.Name) {
				continue
			}
			clusters[cl.Location()+"/"+cl.Name()] = true
			kube[key("Ingress", ing.Namespace, ing.Name)] = true
			if fc := ing.Annotations[gke.AnnFrontendConfig]; fc != "" {
				kube[key("FrontendConfig", ing.Namespace, fc)] = true
			}
			for _, b := range core.BackendsOf(ing) {
				addService(ing.Namespace, b.Service.Name)
			}
			for k, v := range ing.Annotations {
				if gke.IsIngressResourceAnnotation(k) {
					for _, n := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '"' || r == '{' || r == '}' || r == ':' }) {
						compute[strings.TrimSpace(n)] = true
					}
				}
			}
		}
		for i := range cl.Gateways {
			gw := &cl.Gateways[i]
			if !f.Includes("Gateway " + gw.Namespace + "/" + gw.Name) {
				continue
			}
			clusters[cl.Location()+"/"+cl.Name()] = true
			kube[key("Gateway", gw.Namespace, gw.Name)] = true
			for _, r := range cl.RoutesOf(gw) {
				kube[key("HTTPRoute", r.Namespace, r.Name)] = true
				for _, rule := range r.Spec.Rules {
					for _, ref := range rule.BackendRefs {
						ns := r.Namespace
						if ref.Namespace != nil {
							ns = *ref.Namespace
						}
						addService(ns, ref.Name)
					}
				}
			}
			for _, a := range gke.GatewayResourceAnnotations {
				for _, p := range gke.GatewayAnnotationPaths(gw.Annotations[a]) {
					compute[inventory.LastSegment(p)] = true
				}
			}
		}
		for i := range cl.Services {
			if s := &cl.Services[i]; containsString(f.Namespaces, s.Namespace) {
				addService(s.Namespace, s.Name)
			}
		}
	}
	return func(fd inspect.Finding) bool {
		r := fd.Resource
		switch {
		case r.Kind == "Cluster":
			return clusters[r.Location+"/"+r.Name]
		case r.Cluster != "":
			return containsString(f.Namespaces, r.Namespace) || kube[r.Location+"/"+r.Cluster+"/"+r.Kind+"/"+r.Namespace+"/"+r.Name]
		}
		return compute[r.Name]
	}
}

func containsString(list []string, s string) bool { return core.Contains(list, s) }
