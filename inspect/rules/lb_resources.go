package rules

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

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
// its collection was not read.
func (x *computeIndex) exists(key string) (exists, known bool) {
	parts := strings.Split(key, "/")
	coll := parts[len(parts)-2]
	src, ok := collections[coll]
	if !ok || !x.inv.Known(src, inventory.ProjectScope(x.inv.Project)) {
		return false, false
	}
	return x.byKey[key], true
}

// ingressResourceAnnotations maps the controller's Ingress annotations to
// the collection they name.
var ingressResourceAnnotations = []struct{ key, collection string }{
	{"ingress.kubernetes.io/url-map", "urlMaps"},
	{"ingress.kubernetes.io/forwarding-rule", "forwardingRules"},
	{"ingress.kubernetes.io/https-forwarding-rule", "forwardingRules"},
	{"ingress.kubernetes.io/target-proxy", "targetHttpProxies"},
	{"ingress.kubernetes.io/https-target-proxy", "targetHttpsProxies"},
}

// gatewayResourceAnnotations are the Gateway annotations naming resources.
var gatewayResourceAnnotations = []string{
	"networking.gke.io/url-maps", "networking.gke.io/forwarding-rules", "networking.gke.io/target-http-proxies",
	"networking.gke.io/target-https-proxies", "networking.gke.io/backend-services", "networking.gke.io/health-checks",
	"networking.gke.io/addresses", "networking.gke.io/ssl-certificates", "networking.gke.io/firewalls",
}

// LBResourceMissing reports controller annotations naming resources that do
// not exist.
var LBResourceMissing = &inspect.Rule{
	ID:       "lb-resource-missing",
	Severity: inspect.Error,
	Title:    "Every Compute Engine resource an Ingress's or Gateway's controller annotations name exists",
	Doc: inspect.Doc{
		Why:     `After each successful sync GKE's controllers write the names of the load balancer's resources on the object: ingress.kubernetes.io/url-map, forwarding-rule, https-forwarding-rule, target-proxy, https-target-proxy and backends on Ingresses; networking.gke.io/url-maps, forwarding-rules, backend-services, ... on Gateways. A name whose resource is gone means the load balancer is broken or half deleted, usually by hand or by a cleanup script; the controller recreates it only on its next successful sync.`,
		Fix:     `Trigger a resync (for example kubectl annotate ingress ING -n NS lbdiag/resync="$(date +%s)" --overwrite) and watch its events; if the sync fails, fix the error it reports. Do not delete resources named k8s1-, k8s2-, k8s-, gkegw1- by hand.`,
		Sources: []string{"kubernetes/ingress-gce pkg/controller/controller.go, pkg/loadbalancers/l7.go (annotations written after sync)", "GKE Gateway resource annotations (observed)"},
		URL:     docTroubleshootLB,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		x := newComputeIndex(inv)
		for _, cl := range inv.Clusters {
			if !inv.Known(inventory.KubeIngresses, cl.Scope()) {
				continue
			}
			gkeIngresses(cl, func(ing *networkingv1.Ingress, class string) {
				scope := "global"
				if class != classGCE {
					scope = "regions/" + cl.Region()
				}
				var refs []string
				for _, a := range ingressResourceAnnotations {
					if n := ing.Annotations[a.key]; n != "" {
						refs = append(refs, a.key+"="+scope+"/"+a.collection+"/"+n)
					}
				}
				for _, n := range inventory.IngressBackendNames(ing) {
					refs = append(refs, inventory.AnnIngressBackends+"="+scope+"/backendServices/"+n)
				}
				reportMissing(p, x, kubeResource(cl, "Ingress", ing.ObjectMeta), refs)
			})
			if !inv.Known(inventory.KubeGateways, cl.Scope()) {
				continue
			}
			for _, gw := range cl.Gateways {
				var refs []string
				for _, a := range gatewayResourceAnnotations {
					for _, path := range inventory.GatewayAnnotationPaths(gw.Annotations[a]) {
						if k := resourceKey(path); k != "" {
							refs = append(refs, a+"="+k)
						}
					}
				}
				reportMissing(p, x, kubeResource(cl, "Gateway", gw.ObjectMeta), refs)
			}
		}
	},
}

// reportMissing reports the refs ("annotation=scope/collection/name") whose
// resource does not exist, in one finding.
func reportMissing(p *inspect.Pass, x *computeIndex, owner inspect.Resource, refs []string) {
	var missing []string
	for _, r := range refs {
		ann, key, _ := strings.Cut(r, "=")
		if exists, known := x.exists(key); known && !exists {
			missing = append(missing, fmt.Sprintf("%s names %s", ann, key))
		}
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

// gkePrefixes are the name prefixes of load-balancing resources GKE's
// controllers create.
var gkePrefixes = []string{"k8s1-", "k8s2-", "k8s-be-", "k8s-fw-", "k8s-fws-", "k8s-um-", "k8s-tp-", "k8s-tps-", "k8s-ssl-", "gkegw1-", "gkegw-", "gkemcg1-"}

func gkeManaged(name string) bool {
	for _, p := range gkePrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// LBResourceOrphaned reports GKE-made load-balancing resources nothing
// claims.
var LBResourceOrphaned = &inspect.Rule{
	ID:       "lb-resource-orphaned",
	Severity: inspect.Info,
	Title:    "Every load-balancing resource GKE's controllers created belongs to a live Ingress, Gateway, Service or cluster",
	Doc: inspect.Doc{
		Why:     `When an Ingress, Gateway or cluster is deleted while its controller cannot finish (the cluster is gone, a finalizer was removed, the sync kept failing), its forwarding rules, proxies, URL maps, backend services, NEGs and firewall rules stay behind: they cost money, count against quotas, and can hold static IPs. lbdiag decides this only when it inspected every cluster of the project: a resource of a cluster it did not read is not an orphan.`,
		Fix:     `Check nothing uses it, then delete it, frontends first: forwarding rules, target proxies, URL maps, backend services, health checks, NEGs, firewall rules.`,
		Sources: []string{"GKE's resource naming (kubernetes/ingress-gce pkg/utils/namer)", "Cleaning up GKE load balancers (cloud.google.com/kubernetes-engine/docs/how-to/load-balance-ingress#cleaning_up)"},
		URL:     "https://cloud.google.com/kubernetes-engine/docs/how-to/load-balance-ingress#cleaning_up",
	},
	Check: checkOrphans,
}

func checkOrphans(p *inspect.Pass) {
	inv := p.Inventory
	ps := inventory.ProjectScope(inv.Project)
	switch {
	case inv.ClustersSelected:
		p.SkippedByRequest(ps, "--cluster limited the clusters inspected; orphaned load-balancing resources are looked for only when every cluster of the project is")
		return
	case !inv.Known(inventory.GKEClusters, ps):
		p.CouldNotCheck(ps, "the project's clusters could not be listed", "orphaned load-balancing resources can only be found when every cluster of the project is inspected")
		return
	case !inv.ClusterListComplete():
		p.CouldNotCheck(ps, "GKE could not list the clusters of some locations (missingZones): a cluster there may own these resources",
			"orphaned load-balancing resources can only be found when every cluster of the project is listed; run again later")
		return
	}
	for _, cl := range inv.Clusters {
		if !clusterReadable(inv, cl) || !inv.Known(inventory.KubeServices, cl.Scope()) {
			p.CouldNotCheck(ps, "cluster "+cl.Location()+"/"+cl.Name()+" was not read completely", "orphaned load-balancing resources can only be found when every cluster of the project is inspected")
			return
		}
	}
	claimed := map[string]bool{}   // resource names named by live objects
	ingresses := map[string]bool{} // "ns/name" of live GKE Ingresses
	services := map[string]bool{}  // "ns/name" of live Services
	for _, cl := range inv.Clusters {
		for _, ing := range cl.Ingresses {
			ingresses[ing.Namespace+"/"+ing.Name] = true
			for k, v := range ing.Annotations {
				if strings.HasPrefix(k, "ingress.kubernetes.io/") || k == annPreSharedCert {
					for _, n := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '"' || r == '{' || r == '}' || r == ':' }) {
						claimed[strings.TrimSpace(n)] = true
					}
				}
			}
		}
		for _, svc := range cl.Services {
			services[svc.Namespace+"/"+svc.Name] = true
			if st, ok := parseNEGStatus(&svc); ok {
				for _, n := range st.NEGs {
					claimed[n] = true
				}
			}
		}
		for _, gw := range cl.Gateways {
			for _, a := range gatewayResourceAnnotations {
				for _, path := range inventory.GatewayAnnotationPaths(gw.Annotations[a]) {
					claimed[inventory.LastSegment(path)] = true
				}
			}
		}
		for _, mc := range cl.ManagedCertificates {
			claimed[mc.Status.CertificateName] = true
		}
	}
	owned := func(name, desc string) bool {
		if claimed[name] {
			return true
		}
		if ing := ingressOfDescription(desc); ing != "" {
			return ingresses[ing]
		}
		if d, ok := parseBackendServiceDescription(desc); ok {
			return services[d.Service]
		}
		if ns, svc := negDescription(desc); svc != "" {
			return services[ns+"/"+svc]
		}
		return false
	}
	c := inv.Compute
	type orphan struct {
		kind string
		res  inspect.Resource
		why  string
		del  string
	}
	var orphans []orphan
	consider := func(kind, selfLink, name, desc, coll string, src inventory.Source) {
		if !gkeManaged(name) || !inv.Known(src, ps) || owned(name, desc) {
			return
		}
		loc := scopeOfGroup(selfLink)
		if loc == "" {
			loc = "global"
		}
		flag := "--global"
		if strings.Contains(selfLink, "/regions/") {
			flag = "--region " + loc
		} else if strings.Contains(selfLink, "/zones/") {
			flag = "--zone " + loc
		}
		why := "no live Ingress, Gateway or Service names it"
		if ing := ingressOfDescription(desc); ing != "" {
			why = "its description names Ingress " + ing + ", which no inspected cluster has"
		} else if d, ok := parseBackendServiceDescription(desc); ok {
			why = "its description names Service " + d.Service + ", which no inspected cluster has"
		}
		orphans = append(orphans, orphan{kind: kind, why: why,
			res: inspect.Resource{Kind: kind, Project: inventory.ProjectOf(selfLink), Location: loc, Name: name},
			del: fmt.Sprintf("gcloud compute %s delete %s %s --project %s", coll, name, flag, inventory.ProjectOf(selfLink))})
	}
	for _, r := range c.ForwardingRules {
		consider("ForwardingRule", r.SelfLink, r.Name, r.Description, "forwarding-rules", inventory.ComputeForwardingRules)
	}
	for _, r := range c.TargetHTTPProxies {
		consider("TargetHttpProxy", r.SelfLink, r.Name, r.Description, "target-http-proxies", inventory.ComputeTargetHTTPProxies)
	}
	for _, r := range c.TargetHTTPSProxies {
		consider("TargetHttpsProxy", r.SelfLink, r.Name, r.Description, "target-https-proxies", inventory.ComputeTargetHTTPSProxies)
	}
	for _, r := range c.URLMaps {
		consider("UrlMap", r.SelfLink, r.Name, r.Description, "url-maps", inventory.ComputeURLMaps)
	}
	for _, r := range c.BackendServices {
		consider("BackendService", r.SelfLink, r.Name, r.Description, "backend-services", inventory.ComputeBackendServices)
	}
	for _, r := range c.NEGs {
		consider("NetworkEndpointGroup", r.SelfLink, r.Name, r.Description, "network-endpoint-groups", inventory.ComputeNEGs)
	}
	// Firewall rules of the Ingress controller target the nodes' tags: one
	// whose tags match no instance outlived its cluster.
	if inv.Known(inventory.ComputeInstances, ps) && inv.Known(inventory.ComputeFirewalls, ps) {
		tags := map[string]bool{}
		for _, in := range c.Instances {
			if in.Tags != nil {
				for _, t := range in.Tags.Items {
					tags[t] = true
				}
			}
		}
		for _, fw := range c.Firewalls {
			if !strings.HasPrefix(fw.Name, "k8s-fw-") || len(fw.TargetTags) == 0 || anyTrue(tags, fw.TargetTags) {
				continue
			}
			orphans = append(orphans, orphan{kind: "Firewall", why: fmt.Sprintf("it targets tag %s, which no instance of the project has", strings.Join(fw.TargetTags, ", ")),
				res: inspect.Resource{Kind: "Firewall", Project: inventory.ProjectOf(fw.SelfLink), Location: "global", Name: fw.Name},
				del: fmt.Sprintf("gcloud compute firewall-rules delete %s --project %s", fw.Name, inventory.ProjectOf(fw.SelfLink))})
		}
	}
	sort.SliceStable(orphans, func(i, j int) bool { return orphans[i].res.Name < orphans[j].res.Name })
	for _, o := range orphans {
		p.Report(inspect.Finding{
			Message:     fmt.Sprintf("%s %s was created by GKE's controllers, but %s (every cluster of the project was inspected): it is left over", o.kind, o.res.Name, o.why),
			Resource:    o.res,
			Evidence:    map[string]any{"reason": o.why},
			Remediation: o.del + "   # after checking nothing uses it",
		})
	}
}

func anyTrue(m map[string]bool, keys []string) bool {
	for _, k := range keys {
		if m[k] {
			return true
		}
	}
	return false
}

// negDescription returns the namespace and Service of a NEG description.
func negDescription(desc string) (string, string) {
	var d struct {
		Namespace string `json:"namespace"`
		Service   string `json:"service-name"`
	}
	if err := json.Unmarshal([]byte(desc), &d); err != nil {
		return "", ""
	}
	return d.Namespace, d.Service
}
