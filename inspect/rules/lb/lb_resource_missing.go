package lb

import (
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// LBResourceMissing reports controller annotations naming resources that do
// not exist.
var LBResourceMissing = &inspect.Rule{
	ID:           "lb-resource-missing",
	Severity:     inspect.Error,
	WholeProject: true,
	Title:        "Every Compute Engine resource an Ingress's or Gateway's controller annotations name exists",
	Doc: inspect.Doc{
		Why:     `After each successful sync GKE's controllers write the names of the load balancer's resources on the object: ingress.kubernetes.io/url-map, forwarding-rule, https-forwarding-rule, target-proxy, https-target-proxy and backends on Ingresses; networking.gke.io/url-maps, forwarding-rules, backend-services, ... on Gateways. A name whose resource is gone means the load balancer is broken or half deleted, usually by hand or by a cleanup script; the controller recreates it only on its next successful sync.`,
		Fix:     `Trigger a resync (for example kubectl annotate ingress ING -n NS lbdiag/resync="$(date +%s)" --overwrite) and watch its events; if the sync fails, fix the error it reports. Do not delete resources named k8s1-, k8s2-, k8s-, gkegw1- by hand.`,
		Sources: []string{"kubernetes/ingress-gce pkg/controller/controller.go, pkg/loadbalancers/l7.go (annotations written after sync)", "GKE Gateway resource annotations (observed)"},
		URL:     core.DocTroubleshootLB,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		x := newComputeIndex(inv)
		for _, cl := range inv.Clusters {
			if !p.Known(inventory.KubeIngresses, cl.Scope()) {
				continue
			}
			core.GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) {
				scope := "global"
				if class != gke.ClassGCE {
					scope = "regions/" + cl.Region()
				}
				var refs []string
				for _, a := range gke.IngressResourceAnnotations {
					if n := ing.Annotations[a.Key]; n != "" {
						refs = append(refs, a.Key+"="+scope+"/"+a.Collection+"/"+n)
					}
				}
				for _, n := range gke.IngressBackendNames(ing) {
					refs = append(refs, gke.AnnIngressBackends+"="+scope+"/backendServices/"+n)
				}
				reportMissing(p, x, core.KubeResource(cl, "Ingress", ing.ObjectMeta), refs)
			})
			if !p.Known(inventory.KubeGateways, cl.Scope()) {
				continue
			}
			for _, gw := range cl.Gateways {
				var refs []string
				for _, a := range gke.GatewayResourceAnnotations {
					for _, path := range gke.GatewayAnnotationPaths(gw.Annotations[a]) {
						if k := resourceKey(path); k != "" {
							refs = append(refs, a+"="+k)
						}
					}
				}
				reportMissing(p, x, core.KubeResource(cl, "Gateway", gw.ObjectMeta), refs)
			}
		}
	},
}

// computeIndex answers "does this resource exist" by collection, scope and
// name, for the collections lbdiag lists.
type computeIndex struct {
	inv   *inventory.Inventory
	byKey map[string]bool
}

// collection names as they appear in resource paths.
var collections = map[string]inventory.Source{
	"urlMaps":            inventory.ComputeURLMaps,
	"forwardingRules":    inventory.ComputeForwardingRules,
	"targetHttpProxies":  inventory.ComputeTargetHTTPProxies,
	"targetHttpsProxies": inventory.ComputeTargetHTTPSProxies,
	"backendServices":    inventory.ComputeBackendServices,
	"healthChecks":       inventory.ComputeHealthChecks,
	"addresses":          inventory.ComputeAddresses,
	"sslCertificates":    inventory.ComputeSSLCertificates,
	"firewalls":          inventory.ComputeFirewalls,
}

func newComputeIndex(inv *inventory.Inventory) *computeIndex {
	x := &computeIndex{inv: inv, byKey: map[string]bool{}}
	add := func(selfLink string) {
		if k := resourceKey(selfLink); k != "" {
			x.byKey[k] = true
		}
	}
	c := inv.Compute
	for _, r := range c.URLMaps {
		add(r.SelfLink)
	}
	for _, r := range c.ForwardingRules {
		add(r.SelfLink)
	}
	for _, r := range c.TargetHTTPProxies {
		add(r.SelfLink)
	}
	for _, r := range c.TargetHTTPSProxies {
		add(r.SelfLink)
	}
	for _, r := range c.BackendServices {
		add(r.SelfLink)
	}
	for _, r := range c.HealthChecks {
		add(r.SelfLink)
	}
	for _, r := range c.Addresses {
		add(r.SelfLink)
	}
	for _, r := range c.SSLCertificates {
		add(r.SelfLink)
	}
	for _, r := range c.Firewalls {
		add(r.SelfLink)
	}
	return x
}

// resourceKey is "scope/collection/name" of a resource path, the project
// left out (Gateway annotations carry the project number, selfLinks the
// ID).
func resourceKey(path string) string {
	rel := inventory.RelativeName(path)
	parts := strings.Split(strings.Trim(rel, "/"), "/")
	if len(parts) < 4 || parts[0] != "projects" {
		return ""
	}
	return strings.Join(parts[2:], "/")
}

// exists reports whether the resource at key exists; known is false when
// its collection was not read (the pass records it) or is not one lbdiag
// lists.
func (x *computeIndex) exists(p *inspect.Pass, key string) (exists, known bool) {
	parts := strings.Split(key, "/")
	coll := parts[len(parts)-2]
	src, ok := collections[coll]
	if !ok || !p.Known(src, inventory.ProjectScope(x.inv.Project)) {
		return false, false
	}
	return x.byKey[key], true
}

// reportMissing reports the refs ("annotation=scope/collection/name") whose
// resource does not exist, in one finding. An owner without refs is not
// judged, nor one with a ref lbdiag could not look up (unless another is
// missing).
func reportMissing(p *inspect.Pass, x *computeIndex, owner inspect.Resource, refs []string) {
	var missing []string
	decided := len(refs) > 0
	for _, r := range refs {
		ann, key, _ := strings.Cut(r, "=")
		exists, known := x.exists(p, key)
		decided = decided && known
		if known && !exists {
			missing = append(missing, fmt.Sprintf("%s names %s", ann, key))
		}
	}
	if decided {
		p.Judge(owner)
	}
	if len(missing) == 0 {
		return
	}
	kind := strings.ToLower(owner.Kind)
	p.Report(inspect.Finding{
		Message:  fmt.Sprintf("The controller's annotations name %d Compute Engine resource(s) that do not exist: %s. The load balancer is broken or half deleted", len(missing), strings.Join(missing, "; ")),
		Resource: owner,
		Evidence: map[string]any{"missing": missing},
		Remediation: fmt.Sprintf(`kubectl annotate %s %s -n %s lbdiag.io/resync="$(date +%%s)" --overwrite && kubectl describe %s %s -n %s   # a sync recreates them; if it fails, fix the error it reports`,
			kind, owner.Name, owner.Namespace, kind, owner.Name, owner.Namespace),
	})
}
