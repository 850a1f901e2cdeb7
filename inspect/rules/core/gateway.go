package core

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// The Gateway API's groups and route kinds.
const (
	GatewayGroup = inventory.GatewayGroup
	KindHTTP     = "HTTPRoute"
	KindGRPC     = "GRPCRoute"
)

// Route is an HTTPRoute or a GRPCRoute, as the reference rules see it.
type Route struct {
	Kind       string
	Meta       metav1.ObjectMeta
	ParentRefs []inventory.ParentReference
	Hostnames  []string
	// Backends are every backendRef of every rule (and the backends of
	// request mirrors), with the rule index.
	Backends []RouteBackend
}

// RouteBackend is one backend a route names.
type RouteBackend struct {
	Rule int
	Ref  inventory.BackendRef
	// Mirror is set for a RequestMirror filter's backend.
	Mirror bool
}

// RoutesIn lists the cluster's HTTPRoutes and GRPCRoutes that were read.
func RoutesIn(p *inspect.Pass, cl *inventory.Cluster) []Route {
	var out []Route
	if p.Known(inventory.KubeHTTPRoutes, cl.Scope()) {
		for i := range cl.HTTPRoutes {
			r := &cl.HTTPRoutes[i]
			rt := Route{Kind: KindHTTP, Meta: r.ObjectMeta, ParentRefs: r.Spec.ParentRefs, Hostnames: r.Spec.Hostnames}
			for j, rule := range r.Spec.Rules {
				for _, b := range rule.BackendRefs {
					rt.Backends = append(rt.Backends, RouteBackend{Rule: j, Ref: b})
				}
				for _, f := range rule.Filters {
					if f.RequestMirror != nil {
						rt.Backends = append(rt.Backends, RouteBackend{Rule: j, Ref: f.RequestMirror.BackendRef, Mirror: true})
					}
				}
			}
			out = append(out, rt)
		}
	}
	if p.Known(inventory.KubeGRPCRoutes, cl.Scope()) {
		for i := range cl.GRPCRoutes {
			r := &cl.GRPCRoutes[i]
			rt := Route{Kind: KindGRPC, Meta: r.ObjectMeta, ParentRefs: r.Spec.ParentRefs, Hostnames: r.Spec.Hostnames}
			for j, rule := range r.Spec.Rules {
				for _, b := range rule.BackendRefs {
					rt.Backends = append(rt.Backends, RouteBackend{Rule: j, Ref: b})
				}
			}
			out = append(out, rt)
		}
	}
	return out
}

// FindGateway returns a Gateway of the cluster, or nil.
func FindGateway(cl *inventory.Cluster, ns, name string) *inventory.Gateway {
	for i := range cl.Gateways {
		if gw := &cl.Gateways[i]; gw.Namespace == ns && gw.Name == name {
			return gw
		}
	}
	return nil
}

// GatewaysInNamespace names the cluster's Gateways in a namespace.
func GatewaysInNamespace(cl *inventory.Cluster, ns string) []string {
	var out []string
	for _, gw := range cl.Gateways {
		if gw.Namespace == ns {
			out = append(out, gw.Name)
		}
	}
	return out
}

// SelectListeners returns the listeners a parentRef selects: those with
// its sectionName and port (both, when both are set), or all.
func SelectListeners(gw *inventory.Gateway, p inventory.ParentReference) []inventory.Listener {
	var out []inventory.Listener
	for _, l := range gw.Spec.Listeners {
		if p.SectionName != nil && *p.SectionName != "" && l.Name != *p.SectionName {
			continue
		}
		if p.Port != nil && l.Port != *p.Port {
			continue
		}
		out = append(out, l)
	}
	return out
}

// DescribeListeners renders listeners as "name (PROTOCOL port[, hostname])".
func DescribeListeners(ls []inventory.Listener) string {
	var parts []string
	for _, l := range ls {
		s := fmt.Sprintf("%s (%s %d", l.Name, l.Protocol, l.Port)
		if l.Hostname != nil && *l.Hostname != "" {
			s += ", hostname " + *l.Hostname
		}
		parts = append(parts, s+")")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// ListenerVerdict is whether a listener admits a route.
type ListenerVerdict struct {
	Allowed bool
	// Known is false when the listener's namespace selector could not be
	// evaluated (the Namespaces were not read).
	Known bool
	// Why says, when not allowed, what rejects the route.
	Why string
}

// ListenerAllows evaluates a listener's allowedRoutes for a route of kind
// in namespace routeNS: the kinds (by default those of the protocol: on
// GKE, HTTPRoute for HTTP and HTTPS), and the namespaces (from Same by
// default, All, or Selector on the Namespace's labels).
func ListenerAllows(inv *inventory.Inventory, cl *inventory.Cluster, gw *inventory.Gateway, l inventory.Listener, kind, routeNS string) ListenerVerdict {
	kinds := protocolKinds(l.Protocol)
	if l.AllowedRoutes != nil && len(l.AllowedRoutes.Kinds) > 0 {
		kinds = nil
		for _, k := range l.AllowedRoutes.Kinds {
			g := GatewayGroup
			if k.Group != nil {
				g = *k.Group
			}
			if g == GatewayGroup {
				kinds = append(kinds, k.Kind)
			}
		}
	}
	if !Contains(kinds, kind) {
		return ListenerVerdict{Known: true, Why: fmt.Sprintf("listener %s allows route kinds %s, not %s", l.Name, strings.Join(orNone(kinds), ", "), kind)}
	}
	from, sel := "Same", (*metav1.LabelSelector)(nil)
	if l.AllowedRoutes != nil && l.AllowedRoutes.Namespaces != nil {
		if l.AllowedRoutes.Namespaces.From != nil {
			from = *l.AllowedRoutes.Namespaces.From
		}
		sel = l.AllowedRoutes.Namespaces.Selector
	}
	switch from {
	case "All":
		return ListenerVerdict{Allowed: true, Known: true}
	case "Same":
		if routeNS == gw.Namespace {
			return ListenerVerdict{Allowed: true, Known: true}
		}
		return ListenerVerdict{Known: true, Why: fmt.Sprintf("listener %s allows routes from its own namespace %s only (allowedRoutes.namespaces.from Same, the default)", l.Name, gw.Namespace)}
	case "Selector":
		if sel == nil {
			return ListenerVerdict{Known: true, Why: fmt.Sprintf("listener %s has allowedRoutes.namespaces.from Selector but no selector: it selects no namespace", l.Name)}
		}
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil {
			return ListenerVerdict{Known: true, Why: fmt.Sprintf("listener %s has an invalid namespace selector: %v", l.Name, err)}
		}
		if !inv.Known(inventory.KubeNamespaceList, cl.Scope()) {
			return ListenerVerdict{Why: "the Namespaces could not be read"}
		}
		var ns *corev1.Namespace
		for i := range cl.Namespaces {
			if cl.Namespaces[i].Name == routeNS {
				ns = &cl.Namespaces[i]
			}
		}
		if ns != nil && s.Matches(labels.Set(ns.Labels)) {
			return ListenerVerdict{Allowed: true, Known: true}
		}
		have := "no labels"
		if ns != nil && len(ns.Labels) > 0 {
			have = "labels " + labelText(ns.Labels)
		}
		return ListenerVerdict{Known: true, Why: fmt.Sprintf("listener %s allows routes from namespaces matching %s; namespace %s has %s", l.Name, s.String(), routeNS, have)}
	}
	return ListenerVerdict{Known: true, Why: fmt.Sprintf("listener %s has allowedRoutes.namespaces.from %q, which is not All, Same or Selector", l.Name, from)}
}

func orNone(v []string) []string {
	if len(v) == 0 {
		return []string{"none"}
	}
	return v
}

func labelText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

// protocolKinds are the route kinds a listener's protocol takes on GKE:
// HTTPRoute for HTTP and HTTPS (the spec adds GRPCRoute, which GKE does not
// serve), TLSRoute for TLS, TCPRoute for TCP, UDPRoute for UDP.
func protocolKinds(protocol string) []string {
	switch protocol {
	case "HTTP", "HTTPS":
		return []string{KindHTTP, KindGRPC}
	case "TLS":
		return []string{"TLSRoute"}
	case "TCP":
		return []string{"TCPRoute"}
	case "UDP":
		return []string{"UDPRoute"}
	}
	return nil
}

// HostnamesIntersect reports whether a route's hostnames intersect a
// listener's hostname under the Gateway API's rules: an unset hostname on
// either side matches every host; "*.example.com" matches one or more
// labels left of example.com, never example.com itself; two wildcards
// intersect when one's suffix ends the other's.
func HostnamesIntersect(listener *string, route []string) bool {
	if listener == nil || *listener == "" || len(route) == 0 {
		return true
	}
	l := strings.ToLower(*listener)
	for _, r := range route {
		if hostIntersect(l, strings.ToLower(r)) {
			return true
		}
	}
	return false
}

func hostIntersect(a, b string) bool {
	if a == b || a == "*" || b == "*" {
		return true
	}
	covers := func(w, h string) bool {
		if !strings.HasPrefix(w, "*.") {
			return false
		}
		suffix := w[1:] // ".example.com"
		if strings.HasPrefix(h, "*.") {
			return strings.HasSuffix(h[1:], suffix)
		}
		return strings.HasSuffix(h, suffix) && len(h) > len(suffix)
	}
	return covers(a, b) || covers(b, a)
}

// BackendTarget reads a backendRef: the namespace it points into (the
// route's unless set), and whether it names a core Service.
func BackendTarget(routeNS string, b inventory.BackendRef) (ns string, isService bool) {
	ns = routeNS
	if b.Namespace != nil && *b.Namespace != "" {
		ns = *b.Namespace
	}
	group, kind := "", "Service"
	if b.Group != nil {
		group = *b.Group
	}
	if b.Kind != nil {
		kind = *b.Kind
	}
	return ns, group == "" && kind == "Service"
}

// ReferenceGranted reports whether a ReferenceGrant in the target's
// namespace lets a route (kind, namespace) reference the Service name.
func ReferenceGranted(cl *inventory.Cluster, routeKind, routeNS, targetNS, name string) bool {
	for _, g := range cl.ReferenceGrants {
		if g.Namespace != targetNS {
			continue
		}
		from := false
		for _, f := range g.Spec.From {
			if f.Group == GatewayGroup && f.Kind == routeKind && f.Namespace == routeNS {
				from = true
			}
		}
		if !from {
			continue
		}
		for _, t := range g.Spec.To {
			if t.Group == "" && t.Kind == "Service" && (t.Name == nil || *t.Name == "" || *t.Name == name) {
				return true
			}
		}
	}
	return false
}

// PortList renders a Service's ports.
func PortList(svc *corev1.Service) string {
	var parts []string
	for _, p := range svc.Spec.Ports {
		s := strconv.Itoa(int(p.Port))
		if p.Name != "" {
			s += " (" + p.Name + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// RouteRef renders a route as "HTTPRoute ns/name".
func (r Route) String() string { return r.Kind + " " + r.Meta.Namespace + "/" + r.Meta.Name }

// Condition returns the condition of a type, or nil.
func Condition(conds []metav1.Condition, t string) *metav1.Condition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}
