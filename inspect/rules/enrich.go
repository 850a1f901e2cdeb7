package rules

import (
	"fmt"
	"sort"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// Enrich adds to each finding what hurts and what changed: with --metrics,
// the traffic of the load balancer its resource serves (idle ones said so
// in the message); with --changes, the last changes to its resource and
// the load-balancing resources behind it (the newest in the message). It
// then sorts the findings by severity and impact. It reads the inventory
// only.
func Enrich(inv *inventory.Inventory, fs []inspect.Finding) {
	if inv.Metrics == nil && inv.Changes == nil && inv.Insights == nil {
		return
	}
	x := newEnrichIndex(inv)
	for i := range fs {
		f := &fs[i]
		refs := x.refsOf(f.Resource)
		if inv.Insights != nil {
			x.noteInsights(f, refs) // --network-analyzer: insights.go
		}
		if inv.Metrics != nil {
			if im := x.impact(refs); im != nil {
				f.Impact = im
				if im.Idle {
					f.Message += fmt.Sprintf(" (idle: %s served no request in the last %s, so this hurts no user now)", strings.Join(im.Resources, ", "),
						im.Window)
				}
			}
		}
		if inv.Changes != nil {
			f.Changes = x.changes(f, refs)
			if c, ok := newestCompute(f.Changes, firewallRules[f.Rule]); ok {
				f.Message += fmt.Sprintf("; last change: %s", changeText(c))
			}
		}
	}
	inspect.SortFindings(fs)
}

// lbRefs are the load-balancing resources a finding's resource stands
// for, by relative name: its URL maps (the load balancer), backend
// services and forwarding rules.
type lbRefs struct {
	urlMaps, backends, frs []string
}

type enrichIndex struct {
	inv   *inventory.Inventory
	graph *core.LBGraph
	x     *core.Index
	// alb are the relative names of the Application Load Balancers'
	// backend services and forwarding rules: those whose traffic
	// Monitoring reports.
	alb map[string]bool
	// byName maps "kind/name" to the relative names of the Compute Engine
	// resources of that kind and name.
	byName map[string][]string
	// proxies maps a target HTTP(S) proxy's name to the proxies of that
	// name.
	proxies map[string][]*compute.TargetHttpsProxy
	// served maps, per cluster, "Ingress ns/name" and "Gateway ns/name"
	// to the keys of the backend services the controllers' annotations
	// name for it: built once per cluster, not once per finding, which
	// parsed every Ingress's annotations for each of 10,000 findings.
	served map[*inventory.Cluster]map[string][]string
}

func newEnrichIndex(inv *inventory.Inventory) *enrichIndex {
	x := &enrichIndex{inv: inv, graph: core.NewLBGraph(inv), x: core.NewIndex(inv), alb: map[string]bool{}, byName: map[string][]string{},
		proxies: map[string][]*compute.TargetHttpsProxy{}, served: map[*inventory.Cluster]map[string][]string{}}
	for _, p := range append(append([]*compute.TargetHttpsProxy(nil), inv.Compute.TargetHTTPSProxies...), httpAsHTTPS(inv.Compute.TargetHTTPProxies)...) {
		x.proxies[p.Name] = append(x.proxies[p.Name], p)
	}
	add := func(kind, link string) {
		k := kind + "/" + inventory.LastSegment(link)
		x.byName[k] = append(x.byName[k], inventory.RelativeName(link))
	}
	for _, um := range inv.Compute.URLMaps {
		add("UrlMap", um.SelfLink)
		for _, bs := range x.graph.MapBackends[inventory.RelativeName(um.SelfLink)] {
			x.alb[bs] = true
		}
	}
	for _, bs := range inv.Compute.BackendServices {
		add("BackendService", bs.SelfLink)
	}
	for _, fr := range inv.Compute.ForwardingRules {
		add("ForwardingRule", fr.SelfLink)
		if strings.Contains(fr.Target, "/targetHttpProxies/") || strings.Contains(fr.Target, "/targetHttpsProxies/") {
			x.alb[inventory.RelativeName(fr.SelfLink)] = true
		}
	}
	return x
}

// compute finds the resource of a finding about a Compute Engine
// resource: by kind and name, in its location.
func (x *enrichIndex) compute(r inspect.Resource) string {
	for _, rel := range x.byName[r.Kind+"/"+r.Name] {
		if core.ScopeName(rel) == r.Location && inventory.ProjectOf(rel) == r.Project {
			return rel
		}
	}
	return ""
}

// refsOf resolves a finding's resource to the load-balancing resources it
// stands for: itself (a URL map, backend service or forwarding rule), the
// URL map of a target proxy, the URL maps and backend services of an
// Ingress or Gateway (from its controller's annotations), the backend
// services of a Service.
func (x *enrichIndex) refsOf(r inspect.Resource) lbRefs {
	var out lbRefs
	switch r.Kind {
	case "UrlMap":
		if rel := x.compute(r); rel != "" {
			out.urlMaps = []string{rel}
		}
	case "BackendService":
		if rel := x.compute(r); rel != "" {
			out.backends = []string{rel}
		}
	case "ForwardingRule":
		if rel := x.compute(r); rel != "" {
			out.frs = []string{rel}
		}
	case "TargetHttpsProxy", "TargetHttpProxy":
		for _, p := range x.proxies[r.Name] {
			if core.ScopeName(p.SelfLink) == r.Location && p.UrlMap != "" {
				out.urlMaps = append(out.urlMaps, inventory.RelativeName(p.UrlMap))
			}
		}
	case "Ingress", "Gateway", "Service":
		cl := x.cluster(r)
		if cl == nil {
			return out
		}
		for _, key := range x.servedBy(cl)[r.Kind+" "+r.Namespace+"/"+r.Name] {
			if bs := x.x.BackendService(key); bs != nil {
				out.backends = append(out.backends, inventory.RelativeName(bs.SelfLink))
			}
		}
		switch r.Kind {
		case "Ingress":
			if ing := cl.Ingress(r.Namespace, r.Name); ing != nil {
				if class, ok := gke.GKEIngress(ing); ok && ing.Annotations[gke.AnnIngressURLMap] != "" {
					out.urlMaps = append(out.urlMaps, "projects/"+cl.Project+"/"+gke.IngressResourceScope(class, cl.Region())+"/urlMaps/"+ing.Annotations[gke.AnnIngressURLMap])
				}
			}
		case "Gateway":
			for i := range cl.Gateways {
				if gw := &cl.Gateways[i]; gw.Namespace == r.Namespace && gw.Name == r.Name {
					for _, p := range gke.GatewayAnnotationPaths(gw.Annotations[gke.AnnGatewayURLMaps]) {
						for _, rel := range x.byName["UrlMap/"+inventory.LastSegment(p)] {
							out.urlMaps = append(out.urlMaps, rel)
						}
					}
				}
			}
		case "Service":
			if svc := core.FindService(cl, r.Namespace, r.Name); svc != nil {
				for _, sb := range core.BackendServicesOf(x.x, cl, svc) {
					if rel := inventory.RelativeName(sb.BS.SelfLink); !core.Contains(out.backends, rel) {
						out.backends = append(out.backends, rel)
					}
				}
			}
		}
	}
	sort.Strings(out.backends)
	return out
}

// servedBy inverts inventory.ServingBackendServices of a cluster: owner
// to backend service keys.
func (x *enrichIndex) servedBy(cl *inventory.Cluster) map[string][]string {
	if m, ok := x.served[cl]; ok {
		return m
	}
	m := map[string][]string{}
	for key, owners := range inventory.ServingBackendServices(cl) {
		for _, o := range owners {
			m[o] = append(m[o], key)
		}
	}
	x.served[cl] = m
	return m
}

func httpAsHTTPS(ps []*compute.TargetHttpProxy) []*compute.TargetHttpsProxy {
	out := make([]*compute.TargetHttpsProxy, 0, len(ps))
	for _, p := range ps {
		out = append(out, &compute.TargetHttpsProxy{Name: p.Name, SelfLink: p.SelfLink, UrlMap: p.UrlMap})
	}
	return out
}

func (x *enrichIndex) cluster(r inspect.Resource) *inventory.Cluster {
	for _, cl := range x.inv.Clusters {
		if cl.Name() == r.Cluster && cl.Location() == r.Location && cl.Project == r.Project {
			return cl
		}
	}
	return nil
}

// impact sums the traffic of the refs Monitoring reports on: the URL maps
// when there are (the load balancer as a whole), else the backend
// services, else the forwarding rules. A resource with no series served
// nothing. Nil when none of them is an Application Load Balancer's.
func (x *enrichIndex) impact(refs lbRefs) *inspect.Impact {
	m := x.inv.Metrics
	var keys, names []string
	switch {
	case len(refs.urlMaps) > 0:
		for _, rel := range refs.urlMaps {
			keys, names = append(keys, inventory.TrafficKeyOf(inventory.TrafficURLMap, rel)), append(names, "UrlMap "+inventory.LastSegment(rel))
		}
	default:
		for _, rel := range refs.backends {
			if x.alb[rel] {
				keys, names = append(keys, inventory.TrafficKeyOf(inventory.TrafficBackend, rel)), append(names, "BackendService "+inventory.LastSegment(rel))
			}
		}
		if len(keys) == 0 {
			for _, rel := range refs.frs {
				if x.alb[rel] {
					keys, names = append(keys, inventory.TrafficKeyOf(inventory.TrafficForwardingRule, rel)), append(names, "ForwardingRule "+inventory.LastSegment(rel))
				}
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	window := m.Until.Sub(m.Since)
	im := &inspect.Impact{Window: windowText(window), Resources: names}
	for _, k := range keys {
		t := m.Traffic[k]
		if t == nil {
			continue
		}
		im.Requests += t.Requests
		im.Errors5xx += t.Errors5xx
		if t.HasP95 && (im.P95LatencyMs == nil || t.P95Ms > *im.P95LatencyMs) {
			v := t.P95Ms
			im.P95LatencyMs = &v
		}
	}
	im.Idle = im.Requests == 0
	if window > 0 {
		im.RequestsPerSecond = im.Requests / window.Seconds()
	}
	if im.Requests > 0 {
		im.Ratio5xx = im.Errors5xx / im.Requests
	}
	return im
}

// windowText renders a window: "1h", "30m", "7d".
func windowText(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// maxChanges bounds the changes a finding lists.
const maxChanges = 3

// firewallRules are the rules about what the firewall admits: the
// project's firewall changes bear on them whatever rule they touched.
var firewallRules = map[string]bool{"health-check-firewall-missing": true, "proxy-only-firewall-missing": true, "l4-health-check-firewall-missing": true}

// changes lists the newest changes to the finding's resource, the
// load-balancing resources behind it (and, for a firewall finding, the
// project's firewalls), with the last field-manager change of a
// Kubernetes object.
func (x *enrichIndex) changes(f *inspect.Finding, refs lbRefs) []inspect.ChangeNote {
	ch := x.inv.Changes
	var out []inspect.ChangeNote
	seen := map[string]bool{}
	addResource := func(rel string) {
		if seen[rel] {
			return
		}
		seen[rel] = true
		for _, c := range ch.ByResource[rel] {
			out = append(out, inspect.ChangeNote{At: c.At, Resource: rel, Method: c.Method, By: c.Principal, Failed: c.Failed})
		}
	}
	if rel := x.compute(f.Resource); rel != "" {
		addResource(rel)
	} else if rel := computeRelative(f.Resource); rel != "" {
		addResource(rel) // a resource that is gone, or was never read
	}
	for _, list := range [][]string{refs.urlMaps, refs.backends, refs.frs} {
		for _, rel := range list {
			addResource(rel)
		}
	}
	if firewallRules[f.Rule] {
		for rel := range ch.ByResource {
			if isFirewall(rel) {
				addResource(rel)
			}
		}
	}
	if meta := x.kubeMeta(f.Resource); meta != nil {
		if note, ok := lastManaged(meta, f.Resource, ch.Since); ok {
			out = append(out, note)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.After(out[j].At)
		}
		return out[i].Resource < out[j].Resource
	})
	if len(out) > maxChanges {
		out = out[:maxChanges]
	}
	return out
}

// computeRelative is the relative name of a Compute Engine resource a
// finding names, from its kind, project, location and name.
func computeRelative(r inspect.Resource) string {
	coll, ok := core.CollectionOf(r.Kind)
	if !ok || r.Namespace != "" || r.Cluster != "" || r.Project == "" {
		return ""
	}
	scope := "global"
	switch loc := r.Location; {
	case loc == "" || loc == "global":
	case inventory.RegionOfLocation(loc) != loc:
		scope = "zones/" + loc
	default:
		scope = "regions/" + loc
	}
	return "projects/" + r.Project + "/" + scope + "/" + coll + "/" + r.Name
}

// kubeMeta finds the object a Kubernetes finding is about.
func (x *enrichIndex) kubeMeta(r inspect.Resource) *metav1.ObjectMeta {
	cl := x.cluster(r)
	if cl == nil {
		return nil
	}
	switch r.Kind {
	case "Ingress":
		if ing := cl.Ingress(r.Namespace, r.Name); ing != nil {
			return &ing.ObjectMeta
		}
	case "Service":
		if svc := core.FindService(cl, r.Namespace, r.Name); svc != nil {
			return &svc.ObjectMeta
		}
	case "BackendConfig":
		if bc := core.FindBackendConfig(cl, r.Namespace, r.Name); bc != nil {
			return &bc.ObjectMeta
		}
	case "Gateway":
		for i := range cl.Gateways {
			if gw := &cl.Gateways[i]; gw.Namespace == r.Namespace && gw.Name == r.Name {
				return &gw.ObjectMeta
			}
		}
	case "HTTPRoute":
		for i := range cl.HTTPRoutes {
			if rt := &cl.HTTPRoutes[i]; rt.Namespace == r.Namespace && rt.Name == r.Name {
				return &rt.ObjectMeta
			}
		}
	case "Deployment":
		for i := range cl.Deployments {
			if d := &cl.Deployments[i]; d.Namespace == r.Namespace && d.Name == r.Name {
				return &d.ObjectMeta
			}
		}
	}
	return nil
}

// lastManaged is the newest managedFields entry of an object's spec (its
// status writes are the controllers' bookkeeping), as a change when it
// falls within the window: when, and by which field manager. Entries
// record which manager owns which fields, not a history: the time is when
// that manager last changed its fields.
func lastManaged(meta *metav1.ObjectMeta, r inspect.Resource, since time.Time) (inspect.ChangeNote, bool) {
	var best *metav1.ManagedFieldsEntry
	for i := range meta.ManagedFields {
		e := &meta.ManagedFields[i]
		if e.Subresource == "status" {
			continue
		}
		if e.Time != nil && (best == nil || e.Time.After(best.Time.Time)) {
			best = e
		}
	}
	if best == nil || best.Time.Time.Before(since) {
		return inspect.ChangeNote{}, false
	}
	method := string(best.Operation)
	if best.Subresource != "" {
		method += " " + best.Subresource
	}
	return inspect.ChangeNote{At: best.Time.UTC(), Resource: r.Kind + " " + r.Namespace + "/" + r.Name, Method: method, By: best.Manager}, true
}

// newestCompute is the newest audited change of a list; for a firewall
// finding, the newest firewall change when there is one.
func newestCompute(cs []inspect.ChangeNote, firewall bool) (inspect.ChangeNote, bool) {
	if firewall {
		for _, c := range cs {
			if isFirewall(c.Resource) {
				return c, true
			}
		}
	}
	for _, c := range cs {
		if strings.HasPrefix(c.Resource, "projects/") {
			return c, true
		}
	}
	return inspect.ChangeNote{}, false
}

// isFirewall reports whether a relative name is a firewall rule's or a
// firewall policy's.
func isFirewall(rel string) bool {
	return strings.Contains(rel, "/firewalls/") || strings.Contains(rel, "irewallPolicies/")
}

// changeText renders an audited change: "firewall rule k8s-fw-x was
// deleted 2026-11-30T03:12Z by …@example.com (v1.compute.firewalls.delete)".
func changeText(c inspect.ChangeNote) string {
	parts := strings.Split(c.Resource, "/")
	what := c.Resource
	if len(parts) >= 2 {
		what = parts[len(parts)-2] + " " + parts[len(parts)-1]
	}
	verb := c.Method[strings.LastIndex(c.Method, ".")+1:]
	s := fmt.Sprintf("%s %s at %s", what, verbText(verb), c.At.UTC().Format("2006-01-02T15:04Z"))
	if c.By != "" {
		s += " by " + c.By
	}
	s += " (" + c.Method
	if c.Failed {
		s += ", failed"
	}
	return s + ")"
}

func verbText(verb string) string {
	switch verb {
	case "insert":
		return "was created"
	case "delete":
		return "was deleted"
	case "patch", "update":
		return "was changed"
	}
	return "had " + verb
}
