package rules

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
)

// Annotation keys GKE's controllers read.
const (
	annIngressClass     = "kubernetes.io/ingress.class"
	annBackendConfig    = "cloud.google.com/backend-config"
	annBackendConfigBet = "beta.cloud.google.com/backend-config"
)

// Ingress classes served by GKE's Ingress controller.
const (
	classGCE              = "gce"
	classInternal         = "gce-internal"
	classRegionalExternal = "gce-regional-external"
)

// ingressClass returns the class GKE's controller sees: the annotation, or
// "gce" when the annotation is absent or empty and spec.ingressClassName is
// unset; "" when spec.ingressClassName selects another controller.
func ingressClass(ing *networkingv1.Ingress) string {
	v, ok := ing.Annotations[annIngressClass]
	if ok && v != "" {
		return v
	}
	if ing.Spec.IngressClassName == nil {
		return classGCE
	}
	return ""
}

// gkeIngress reports whether GKE's Ingress controller builds an
// Application Load Balancer for the Ingress, and of which class.
func gkeIngress(ing *networkingv1.Ingress) (string, bool) {
	c := ingressClass(ing)
	return c, c == classGCE || c == classInternal || c == classRegionalExternal
}

// backendConfigRef is the parsed backend-config annotation of a Service.
type backendConfigRef struct {
	Key     string            // the annotation key read
	Raw     string            // its value
	Default string            `json:"default"`
	Ports   map[string]string `json:"ports"`
}

// parseBackendConfig reads the GA annotation, else the beta one. ok is
// false when neither is set; err when the value does not parse.
func parseBackendConfig(svc *corev1.Service) (ref backendConfigRef, ok bool, err error) {
	for _, k := range []string{annBackendConfig, annBackendConfigBet} {
		v, set := svc.Annotations[k]
		if !set {
			continue
		}
		parsed, err := decodeJSON[backendConfigRef]("backend-config", v)
		parsed.Key, parsed.Raw = k, v
		return parsed, true, err
	}
	return ref, false, nil
}

// names returns the BackendConfig names the reference uses, each with the
// keys ("default", or "ports[<key>]") that name it, sorted.
func (r backendConfigRef) names() map[string][]string {
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

// without returns the annotation's JSON with every use of name removed.
func (r backendConfigRef) without(name string) string {
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
	return mustJSON(out)
}

// kubeResource names a Kubernetes object of a cluster.
func kubeResource(cl *inventory.Cluster, kind string, meta metav1.ObjectMeta) inspect.Resource {
	return inspect.Resource{Kind: kind, Project: cl.Project, Location: cl.Location(), Cluster: cl.Name(),
		Namespace: meta.Namespace, Name: meta.Name}
}

// ingressesUsingService returns "ns/name" of every GKE Ingress that routes
// to the Service.
func ingressesUsingService(cl *inventory.Cluster, ns, svc string) []string {
	var out []string
	for i := range cl.Ingresses {
		ing := &cl.Ingresses[i]
		if _, ok := gkeIngress(ing); !ok || ing.Namespace != ns {
			continue
		}
		for _, b := range ingressServiceBackends(ing) {
			if b.Name == svc {
				out = append(out, ing.Namespace+"/"+ing.Name)
				break
			}
		}
	}
	return out
}

// ingressServiceBackends lists the Service backends of an Ingress: the
// default backend first, then every path.
func ingressServiceBackends(ing *networkingv1.Ingress) []*networkingv1.IngressServiceBackend {
	var out []*networkingv1.IngressServiceBackend
	if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
		out = append(out, b.Service)
	}
	for _, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			if p.Backend.Service != nil {
				out = append(out, p.Backend.Service)
			}
		}
	}
	return out
}

// nearest returns the candidate closest to name when it is close enough to
// be a likely typo, else "".
func nearest(name string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := editDistance(strings.ToLower(name), strings.ToLower(c))
		limit := max(2, len(name)/4)
		if d <= limit && (bestD < 0 || d < bestD || (d == bestD && c < best)) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// quoteList renders names as `"a", "b"`, at most limit of them.
func quoteList(names []string, limit int) string {
	var b strings.Builder
	for i, n := range names {
		if i == limit {
			fmt.Fprintf(&b, " and %d more", len(names)-limit)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", n)
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func metaOf(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name}
}

// capitalize upper-cases the first letter of a message, unless it starts
// with a field path such as spec.securityPolicy.name.
func capitalize(s string) string {
	first, _, _ := strings.Cut(s, " ")
	if s == "" || strings.Contains(first, ".") {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func mustJSON(v any) string {
	b, err := untrusted.Marshal(v, "")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
