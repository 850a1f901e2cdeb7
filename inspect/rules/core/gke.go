package core

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
	AnnIngressClass     = "kubernetes.io/ingress.class"
	AnnBackendConfig    = "cloud.google.com/backend-config"
	annBackendConfigBet = "beta.cloud.google.com/backend-config"
)

// BackendConfigRef is the parsed backend-config annotation of a Service.
type BackendConfigRef struct {
	Key     string            // the annotation key read
	Raw     string            // its value
	Default string            `json:"default"`
	Ports   map[string]string `json:"ports"`
}

// ParseBackendConfig reads the GA annotation, else the beta one. ok is
// false when neither is set; err when the value does not parse.
func ParseBackendConfig(svc *corev1.Service) (ref BackendConfigRef, ok bool, err error) {
	for _, k := range []string{AnnBackendConfig, annBackendConfigBet} {
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
	return MustJSON(out)
}

// KubeResource names a Kubernetes object of a cluster.
func KubeResource(cl *inventory.Cluster, kind string, meta metav1.ObjectMeta) inspect.Resource {
	return inspect.Resource{Kind: kind, Project: cl.Project, Location: cl.Location(), Cluster: cl.Name(),
		Namespace: meta.Namespace, Name: meta.Name}
}

// IngressesUsingService returns "ns/name" of every GKE Ingress that routes
// to the Service.
func IngressesUsingService(cl *inventory.Cluster, ns, svc string) []string {
	var out []string
	for i := range cl.Ingresses {
		ing := &cl.Ingresses[i]
		if _, ok := inventory.GKEIngress(ing); !ok || ing.Namespace != ns {
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

// Nearest returns the candidate closest to name when it is close enough to
// be a likely typo, else "".
func Nearest(name string, candidates []string) string {
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

// QuoteList renders names as `"a", "b"`, at most limit of them.
func QuoteList(names []string, limit int) string {
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

func Contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func OrEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func MetaOf(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name}
}

// Capitalize upper-cases the first letter of a message, unless it starts
// with a field path such as spec.securityPolicy.name.
func Capitalize(s string) string {
	first, _, _ := strings.Cut(s, " ")
	if s == "" || strings.Contains(first, ".") {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func MustJSON(v any) string {
	b, err := untrusted.Marshal(v, "")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func SortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ClusterReadable reports whether the cluster's Ingresses, Services and
// Gateway objects were read.
func ClusterReadable(inv *inventory.Inventory, cl *inventory.Cluster) bool {
	for _, s := range []inventory.Source{inventory.KubeIngresses, inventory.KubeServices, inventory.KubeGateways, inventory.KubeHTTPRoutes} {
		if !inv.Known(s, cl.Scope()) {
			return false
		}
	}
	return true
}

// Ingress annotations GKE's controllers read.
const (
	AnnFrontendConfig = "networking.gke.io/v1beta1.FrontendConfig"
	AnnAllowHTTP      = "kubernetes.io/ingress.allow-http"
	AnnPreSharedCert  = "ingress.gcp.kubernetes.io/pre-shared-cert"
	AnnManagedCerts   = "networking.gke.io/managed-certificates"
	AnnGlobalStaticIP = "kubernetes.io/ingress.global-static-ip-name"
	AnnRegionalIP     = "kubernetes.io/ingress.regional-static-ip-name"
)

func FindBackendConfig(cl *inventory.Cluster, ns, name string) *inventory.BackendConfig {
	for i := range cl.BackendConfigs {
		if bc := &cl.BackendConfigs[i]; bc.Namespace == ns && bc.Name == name {
			return bc
		}
	}
	return nil
}
