package trace

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// kubeOwner adds the hop that says, in Kubernetes terms, why the request
// matched what it matched: the Ingress rule and path, or the Gateway and
// the HTTPRoute rule, that GKE rendered into the URL map.
func (t *tracer) kubeOwner(um *compute.UrlMap, m Match, a Action) {
	inv := t.x.inv
	for _, cl := range inv.Clusters {
		for i := range cl.Ingresses {
			ing := &cl.Ingresses[i]
			if ing.Annotations[gke.AnnIngressURLMap] == um.Name || ing.Annotations[gke.AnnIngressRedirectURLMap] == um.Name {
				t.ingressHop(cl, ing, um, m, a)
				return
			}
		}
		for i := range cl.Gateways {
			gw := &cl.Gateways[i]
			for _, p := range gke.GatewayAnnotationPaths(gw.Annotations[gke.AnnGatewayURLMaps]) {
				if inventory.LastSegment(p) == um.Name && inventory.LocationOf(p) == inventory.LocationOf(um.SelfLink) {
					t.gatewayHops(cl, gw, m, a)
					return
				}
			}
		}
	}
}

// ingressHop explains the match by the Ingress's rules.
func (t *tracer) ingressHop(cl *inventory.Cluster, ing *networkingv1.Ingress, um *compute.UrlMap, m Match, a Action) {
	h := t.hop("Ingress", ing.Namespace+"/"+ing.Name, "", core.KubeResource(cl, "Ingress", ing.ObjectMeta), 3)
	h.Cluster = cl.Location() + "/" + cl.Name()
	t.scopes = append(t.scopes, cl.Scope())
	host, path := t.r.Host, t.r.Path
	switch {
	case ing.Annotations[gke.AnnIngressRedirectURLMap] == um.Name && a.Type == ActionRedirect:
		h.Reason = "its FrontendConfig sets redirectToHttps: GKE's redirect map sends every HTTP request to HTTPS"
	case m.HostRule == nil:
		h.Reason = fmt.Sprintf("no rule of the Ingress names host %s: %s", host, t.ingressDefault(ing))
	default:
		rule := "the Ingress rule without a host"
		ruleHost := ""
		if len(m.HostRule) > 0 && m.HostRule[0] != "*" {
			ruleHost = m.HostRule[0]
			rule = "the Ingress rule for host " + ruleHost
		}
		switch {
		case m.PathRule != nil:
			h.Reason = rule + ", " + ingressPath(ing, ruleHost, m.PathRule)
		default:
			h.Reason = fmt.Sprintf("%s, which has no path matching %s: %s", rule, path, t.ingressDefault(ing))
		}
	}
	t.c.Hops = append(t.c.Hops, h)
}

// ingressDefault describes what an Ingress sends unmatched requests to.
func (t *tracer) ingressDefault(ing *networkingv1.Ingress) string {
	if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
		return fmt.Sprintf("the Ingress's spec.defaultBackend, Service %s port %s", b.Service.Name, core.PortLabel(b.Service.Port))
	}
	return "GKE's default backend kube-system/default-http-backend, which answers 404 (the Ingress sets no spec.defaultBackend)"
}

// ingressPath names the Ingress path a matched path rule was rendered
// from.
func ingressPath(ing *networkingv1.Ingress, host string, pathRule []string) string {
	for _, r := range ing.Spec.Rules {
		if r.Host != host || r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			paths, ok := gke.URLMapPaths(p.Path, p.PathType)
			if !ok || !overlaps(paths, pathRule) {
				continue
			}
			pt := "ImplementationSpecific"
			if p.PathType != nil {
				pt = string(*p.PathType)
			}
			s := fmt.Sprintf("path %s (pathType %s", p.Path, pt)
			if len(paths) > 1 || paths[0] != p.Path {
				s += ", rendered as " + strings.Join(paths, " and ")
			}
			s += ")"
			if p.Backend.Service != nil {
				s += fmt.Sprintf(": Service %s port %s", p.Backend.Service.Name, core.PortLabel(p.Backend.Service.Port))
			}
			return s
		}
	}
	return "path rule " + strings.Join(pathRule, " ") + " (no path of the Ingress as read renders it: the map is older than the Ingress, or edited by hand)"
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// gatewayHops explain the match by the Gateway and the HTTPRoute rule it
// came from. GKE writes no route rule's origin on the map, so lbdiag finds
// the rule the way the Gateway API ranks them: the route's hostnames, then
// the most specific match (exact path, longest prefix, method, most
// headers, most query parameters), then the oldest route.
func (t *tracer) gatewayHops(cl *inventory.Cluster, gw *inventory.Gateway, m Match, a Action) {
	h := t.hop("Gateway", gw.Namespace+"/"+gw.Name, "", core.KubeResource(cl, "Gateway", gw.ObjectMeta), 3)
	h.Cluster = cl.Location() + "/" + cl.Name()
	h.Reason = "class " + gw.Spec.GatewayClassName + " built this URL map"
	t.scopes = append(t.scopes, cl.Scope())
	t.c.Hops = append(t.c.Hops, h)
	if !t.x.inv.Known(inventory.KubeHTTPRoutes, cl.Scope()) {
		return
	}
	best := t.bestRouteRule(cl, gw)
	if best == nil {
		if a.Type == ActionAbort || m.Default {
			t.c.Hops[len(t.c.Hops)-1].Reason += fmt.Sprintf("; no HTTPRoute attached to it matches host %s path %s, so GKE's default answers 404", t.r.Host, t.r.Path)
		}
		return
	}
	rh := t.hop("HTTPRoute", best.route.Namespace+"/"+best.route.Name, "", core.KubeResource(cl, "HTTPRoute", best.route.ObjectMeta), 4)
	rh.Cluster = h.Cluster
	rh.Reason = fmt.Sprintf("rule %d (%s)", best.rule, best.describe)
	var backends []string
	for _, b := range best.route.Spec.Rules[best.rule].BackendRefs {
		s := b.Name
		if b.Port != nil {
			s += ":" + strconv.Itoa(int(*b.Port))
		}
		backends = append(backends, s)
	}
	if len(backends) > 0 {
		rh.Reason += ": " + strings.Join(backends, ", ")
	}
	t.c.Hops = append(t.c.Hops, rh)
}

// routeMatch is an HTTPRoute rule that matches the request.
type routeMatch struct {
	route    *inventory.HTTPRoute
	rule     int
	describe string
	// rank orders matches by Gateway API precedence.
	exact                bool
	prefixLen            int
	method               bool
	headers, queryParams int
}

// bestRouteRule finds the rule of the Gateway's routes that takes the
// request.
func (t *tracer) bestRouteRule(cl *inventory.Cluster, gw *inventory.Gateway) *routeMatch {
	var all []routeMatch
	for _, rt := range cl.RoutesOf(gw) {
		if !routeHostMatches(rt.Spec.Hostnames, t.r.Host) {
			continue
		}
		for i, rule := range rt.Spec.Rules {
			matches := rule.Matches
			if len(matches) == 0 {
				matches = []inventory.HTTPRouteMatch{{}}
			}
			for _, mt := range matches {
				if rm, ok := t.routeMatches(mt); ok {
					rm.route, rm.rule = rt, i
					all = append(all, rm)
				}
			}
		}
	}
	if len(all) == 0 {
		return nil
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		switch {
		case a.exact != b.exact:
			return a.exact
		case a.prefixLen != b.prefixLen:
			return a.prefixLen > b.prefixLen
		case a.method != b.method:
			return a.method
		case a.headers != b.headers:
			return a.headers > b.headers
		case a.queryParams != b.queryParams:
			return a.queryParams > b.queryParams
		case !a.route.CreationTimestamp.Equal(&b.route.CreationTimestamp):
			return a.route.CreationTimestamp.Before(&b.route.CreationTimestamp)
		}
		return a.route.Namespace+"/"+a.route.Name < b.route.Namespace+"/"+b.route.Name
	})
	return &all[0]
}

// routeHostMatches reports whether an HTTPRoute's hostnames admit a host
// (none admits every host; "*.example.com" one or more labels).
func routeHostMatches(hostnames []string, host string) bool {
	if len(hostnames) == 0 {
		return true
	}
	for _, h := range hostnames {
		h = strings.ToLower(h)
		if h == host || (strings.HasPrefix(h, "*.") && strings.HasSuffix(host, h[1:]) && len(host) > len(h)-1) {
			return true
		}
	}
	return false
}

// routeMatches evaluates one HTTPRoute match against the request.
func (t *tracer) routeMatches(mt inventory.HTTPRouteMatch) (routeMatch, bool) {
	r := t.r
	rm := routeMatch{}
	var desc []string
	typ, value := "PathPrefix", "/"
	if mt.Path != nil {
		if mt.Path.Type != nil {
			typ = *mt.Path.Type
		}
		if mt.Path.Value != nil {
			value = *mt.Path.Value
		}
	}
	switch typ {
	case "Exact":
		if r.Path != value {
			return rm, false
		}
		rm.exact = true
	case "PathPrefix":
		p := strings.TrimSuffix(value, "/")
		if p != "" && r.Path != p && !strings.HasPrefix(r.Path, p+"/") {
			return rm, false
		}
		rm.prefixLen = len(p) + 1
	default:
		// RegularExpression: implementation-specific; lbdiag does not
		// guess.
		return rm, false
	}
	desc = append(desc, typ+" "+value)
	if mt.Method != nil {
		if !strings.EqualFold(*mt.Method, r.Method) {
			return rm, false
		}
		rm.method = true
		desc = append(desc, "method "+*mt.Method)
	}
	for _, hm := range mt.Headers {
		if hm.Type != nil && *hm.Type != "Exact" {
			return rm, false
		}
		if r.Headers.Get(hm.Name) != hm.Value {
			return rm, false
		}
		rm.headers++
		desc = append(desc, "header "+hm.Name+": "+hm.Value)
	}
	q, _ := url.ParseQuery(r.RawQuery)
	for _, qm := range mt.QueryParams {
		if qm.Type != nil && *qm.Type != "Exact" {
			return rm, false
		}
		if v, ok := q[qm.Name]; !ok || len(v) == 0 || v[0] != qm.Value {
			return rm, false
		}
		rm.queryParams++
		desc = append(desc, "query "+qm.Name+"="+qm.Value)
	}
	rm.describe = "match " + strings.Join(desc, ", ")
	return rm, true
}

// kubeService adds the hops of the Kubernetes Service a backend service
// serves, its ready endpoints and the workloads behind it, and returns
// "ns/svc:port" ("" when the backend service is not GKE's).
func (t *tracer) kubeService(bs *compute.BackendService, _ reach, health map[string][]endpointState, depth int, branch *int) string {
	inv := t.x.inv
	ns, name, port, uid := "", "", "", ""
	for _, b := range bs.Backends {
		if b == nil {
			continue
		}
		if neg := t.x.negs[inventory.RelativeName(b.Group)]; neg != nil {
			if d, ok := gke.ParseNEGDescription(neg.Description); ok && d.Service != "" {
				ns, name, port, uid = d.Namespace, d.Service, d.Port, d.ClusterUID
				break
			}
		}
	}
	if name == "" {
		if d, ok := gke.ParseBackendServiceDescription(bs.Description); ok {
			ns, name, _ = strings.Cut(d.Service, "/")
			if pn, num := d.Port(); num != 0 {
				port = strconv.Itoa(int(num))
			} else {
				port = pn
			}
		}
	}
	if name == "" {
		return ""
	}
	target := ns + "/" + name
	if port != "" {
		target += ":" + port
	}
	// The cluster: the NEG's kube-system UID, else the one cluster read
	// that has the Service.
	var cl *inventory.Cluster
	var unreadable []*inventory.Cluster
	for _, c := range inv.Clusters {
		if uid != "" && c.KubeSystemUID == uid {
			cl = c
			break
		}
		if !inv.Known(inventory.KubeServices, c.Scope()) || (uid != "" && c.KubeSystemUID == "") {
			unreadable = append(unreadable, c)
			continue
		}
		if uid == "" && c.Service(ns, name) != nil {
			cl = c
		}
	}
	h := Hop{Kind: "Service", Name: ns + "/" + name, Verdict: OK, Findings: []HopFinding{}, Depth: depth, Branch: branch}
	if cl == nil {
		switch {
		case len(unreadable) > 0:
			names := make([]string, len(unreadable))
			for i, c := range unreadable {
				names[i] = c.Location() + "/" + c.Name()
				t.scopes = append(t.scopes, c.Scope())
			}
			setVerdict(&h, Unknown, fmt.Sprintf("its cluster could not be read (%s): %s", strings.Join(names, ", "), clusterError(inv, unreadable[0])))
		default:
			setVerdict(&h, Unknown, "no cluster lbdiag read has this Service (kube-system UID "+firstNonEmpty(uid, "unknown")+"): a cluster of another project, or one deleted")
		}
		t.c.Hops = append(t.c.Hops, h)
		return target
	}
	t.scopes = append(t.scopes, cl.Scope())
	h.Cluster = cl.Location() + "/" + cl.Name()
	svc := cl.Service(ns, name)
	t.attach(&h, core.KubeResource(cl, "Service", core.MetaOf(ns, name)))
	t.attach(&h, inspect.Resource{Kind: "Cluster", Project: cl.Project, Location: cl.Location(), Cluster: cl.Name(), Name: cl.Name()})
	switch {
	case !inv.Known(inventory.KubeServices, cl.Scope()):
		setVerdict(&h, Unknown, clusterError(inv, cl))
		t.c.Hops = append(t.c.Hops, h)
		return target
	case svc == nil:
		setVerdict(&h, Error, fmt.Sprintf("the Service does not exist in cluster %s: the NEG serves what the controller last attached", h.Cluster))
		t.c.Hops = append(t.c.Hops, h)
		return target
	}
	t.c.Hops = append(t.c.Hops, t.endpoints(cl, svc, port, h, health))
	for _, w := range core.WorkloadsOf(cl, svc) {
		wh := t.hop(w.Kind, w.Meta.Namespace+"/"+w.Meta.Name, "", core.KubeResource(cl, w.Kind, *w.Meta), depth+1)
		wh.Cluster, wh.Branch = h.Cluster, branch
		wh.Reason = "its Pods match the Service's selector " + selectorText(svc.Spec.Selector)
		t.c.Hops = append(t.c.Hops, wh)
	}
	return target
}

// endpointState is one endpoint a health check judged.
type endpointState struct {
	endpoint string // ip:port
	healthy  bool
}

// endpoints judges the Service's ready endpoints, and compares the NEG
// endpoints the health checks judge with the Pods behind the Service.
func (t *tracer) endpoints(cl *inventory.Cluster, svc *corev1.Service, port string, h Hop, health map[string][]endpointState) Hop {
	inv := t.x.inv
	if !inv.Known(inventory.KubeEndpointSlices, cl.Scope()) {
		setVerdict(&h, Unknown, "its EndpointSlices could not be read: "+clusterError(inv, cl))
		return h
	}
	var ready, notReady []string
	pods := map[string]bool{}
	for i := range cl.EndpointSlices {
		es := &cl.EndpointSlices[i]
		if es.Namespace != svc.Namespace || es.Labels["kubernetes.io/service-name"] != svc.Name {
			continue
		}
		for _, ep := range es.Endpoints {
			for _, a := range ep.Addresses {
				pods[a] = true
				if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
					ready = append(ready, a)
				} else {
					notReady = append(notReady, a)
				}
			}
		}
	}
	sort.Strings(ready)
	sort.Strings(notReady)
	h.Reason = fmt.Sprintf("port %s: %d ready endpoint%s", firstNonEmpty(port, "?"), len(ready), plural(len(ready)))
	if len(ready) > 0 {
		h.Reason += " (" + strings.Join(firstN(ready, 4), ", ") + ")"
	}
	if len(notReady) > 0 {
		h.Reason += fmt.Sprintf(", %d not ready (%s)", len(notReady), strings.Join(firstN(notReady, 4), ", "))
	}
	if len(ready) == 0 {
		sel := selectorText(svc.Spec.Selector)
		setVerdict(&h, Error, h.Reason+": no Pod the Service selects is Ready, so the NEGs have no endpoint to send to")
		h.Fix = fmt.Sprintf("kubectl get pods -n %s -l %s -o wide   # then kubectl describe pod POD -n %s: the readiness probe, the image, the scheduling", svc.Namespace, strings.Trim(sel, "{}"), svc.Namespace)
	}
	isReady := map[string]bool{}
	for _, a := range ready {
		isReady[a] = true
	}
	var stale, staleHealthy, disagree []string
	groups := make([]string, 0, len(health))
	for g := range health {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		if !strings.Contains(g, "/networkEndpointGroups/") {
			continue
		}
		for _, es := range health[g] {
			ip, _, _ := strings.Cut(es.endpoint, ":")
			if isReady[ip] && !es.healthy {
				disagree = append(disagree, es.endpoint)
			}
			if !pods[ip] {
				stale = append(stale, es.endpoint)
				if es.healthy {
					staleHealthy = append(staleHealthy, es.endpoint)
				}
			}
		}
	}
	switch {
	case len(staleHealthy) > 0:
		setVerdict(&h, Error, fmt.Sprintf("%s; NEG endpoint%s %s %s HEALTHY but no Pod of the Service has %s address: requests sent there reach whatever holds the IP now (the NEG controller has not caught up)",
			h.Reason, plural(len(staleHealthy)), strings.Join(firstN(staleHealthy, 4), ", "), isAre(len(staleHealthy)), theirIts(len(staleHealthy))))
	case len(stale) > 0:
		setVerdict(&h, Warning, fmt.Sprintf("%s; NEG endpoint%s %s %s no Pod behind %s (stale; the health check keeps %s out of rotation)",
			h.Reason, plural(len(stale)), strings.Join(firstN(stale, 4), ", "), hasHave(len(stale)), itThem(len(stale)), itThem(len(stale))))
	}
	if len(disagree) > 0 {
		setVerdict(&h, Warning, fmt.Sprintf("%s; %s %s Ready in Kubernetes but not HEALTHY to the load balancer's health check: the health check (path, port, protocol) or a firewall disagrees with the readiness probe",
			h.Reason, strings.Join(firstN(disagree, 4), ", "), isAre(len(disagree))))
	}
	return h
}

func isAre(n int) string    { return map[bool]string{true: "is", false: "are"}[n == 1] }
func hasHave(n int) string  { return map[bool]string{true: "has", false: "have"}[n == 1] }
func itThem(n int) string   { return map[bool]string{true: "it", false: "them"}[n == 1] }
func theirIts(n int) string { return map[bool]string{true: "its", false: "their"}[n == 1] }

// clusterError says why a cluster's objects could not be read.
func clusterError(inv *inventory.Inventory, cl *inventory.Cluster) string {
	for _, c := range inv.Coverage {
		if c.Scope == cl.Scope() && c.Gap() && (c.Source == inventory.KubeAPI || c.Source == inventory.KubeServices || c.Source == inventory.KubeEndpointSlices) {
			s := c.Error
			if c.Hint != "" {
				s += " (" + c.Hint + ")"
			}
			return s
		}
	}
	return "its objects were not read"
}

func selectorText(sel map[string]string) string {
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + sel[k]
	}
	return "{" + strings.Join(parts, ",") + "}"
}
