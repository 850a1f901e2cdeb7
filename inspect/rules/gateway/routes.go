package gateway

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// What the route rules share: how a route attaches to its parents, in the
// order Gateway API implementations decide it (the listeners its
// sectionName and port select, then those whose allowedRoutes admit it,
// then those whose hostname intersects its hostnames). Each rule reports
// one stage, so that a route gets the finding of the first stage that
// fails.

// attachment is how one parentRef of a route resolves.
type attachment struct {
	cl    *inventory.Cluster
	route core.Route
	ref   inventory.ParentReference
	// gw is the Gateway named; nil when it does not exist (or the ref is
	// not a Gateway, or the Gateways were not read).
	gw *inventory.Gateway
	// ns is the Gateway's namespace.
	ns string
	// selected are the listeners the sectionName and port select;
	// allowed, of those, the ones whose allowedRoutes admit the route;
	// why, the reasons of those that do not; unknown is set when a
	// selector could not be evaluated.
	selected, allowed []inventory.Listener
	why               []string
	unknown           bool
}

// attachments resolves every parentRef of every route of the cluster that
// names a Gateway, when the cluster's Gateways were read (the pass records
// the cluster when they were not, or when its routes were not).
func attachments(p *inspect.Pass, cl *inventory.Cluster) []attachment {
	inv := p.Inventory
	if !p.Known(inventory.KubeGateways, cl.Scope()) {
		return nil
	}
	var out []attachment
	for _, r := range core.RoutesIn(p, cl) {
		for _, ref := range r.ParentRefs {
			ns, isGateway := inventory.ParentGateway(r.Meta.Namespace, ref)
			if !isGateway {
				continue
			}
			a := attachment{cl: cl, route: r, ref: ref, ns: ns, gw: core.FindGateway(cl, ns, ref.Name)}
			if a.gw != nil {
				a.selected = core.SelectListeners(a.gw, ref)
				for _, l := range a.selected {
					v := core.ListenerAllows(inv, cl, a.gw, l, r.Kind, r.Meta.Namespace)
					switch {
					case v.Allowed:
						a.allowed = append(a.allowed, l)
					case !v.Known:
						a.unknown = true
					default:
						a.why = append(a.why, v.Why)
					}
				}
			}
			out = append(out, a)
		}
	}
	return out
}

// parentText renders a parentRef.
func parentText(a attachment) string {
	s := "Gateway " + a.ns + "/" + a.ref.Name
	if a.ref.SectionName != nil && *a.ref.SectionName != "" {
		s += " sectionName " + *a.ref.SectionName
	}
	if a.ref.Port != nil {
		s += fmt.Sprintf(" port %d", *a.ref.Port)
	}
	return s
}

// routeResource names a route.
func routeResource(cl *inventory.Cluster, r core.Route) inspect.Resource {
	return core.KubeResource(cl, r.Kind, r.Meta)
}

func joinSorted(v []string) string {
	s := append([]string{}, v...)
	sort.Strings(s)
	return strings.Join(s, ", ")
}

func kubectlKind(kind string) string { return strings.ToLower(kind) }

// servicePort reports whether a Service has a port number.
func servicePort(ports []corev1.ServicePort, port int32) bool {
	for _, sp := range ports {
		if sp.Port == port {
			return true
		}
	}
	return false
}

// gkeGateways calls fn with each Gateway of one of GKE's classes, in the
// clusters whose Gateways were read; the pass records the others.
func gkeGateways(p *inspect.Pass, fn func(cl *inventory.Cluster, gw *inventory.Gateway, res inspect.Resource)) {
	for _, cl := range p.Inventory.Clusters {
		if !p.Known(inventory.KubeGateways, cl.Scope()) {
			continue
		}
		for i := range cl.Gateways {
			if gw := &cl.Gateways[i]; gke.IsGKEGatewayClass(gw.Spec.GatewayClassName) {
				fn(cl, gw, core.KubeResource(cl, "Gateway", gw.ObjectMeta))
			}
		}
	}
}
