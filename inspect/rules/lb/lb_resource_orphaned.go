package lb

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// LBResourceOrphaned reports GKE-made load-balancing resources no listed
// cluster can own.
var LBResourceOrphaned = &inspect.Rule{
	ID:           "lb-resource-orphaned",
	Severity:     inspect.Info,
	WholeProject: true,
	Title:        "Every load-balancing resource GKE's controllers created belongs to a live Ingress, Gateway, Service or cluster",
	Doc: inspect.Doc{
		Why: `When an Ingress, Gateway or cluster is deleted while its controller cannot finish (the cluster is gone, a finalizer was removed, the sync kept failing), its forwarding rules, proxies, URL maps, backend services, NEGs and firewall rules stay behind: they cost money, count against quotas, and can hold static IPs. lbdiag decides ownership from the cluster list, never from the presence of instances (a cluster scaled to zero still owns its firewall rules): it finds the cluster a resource belongs to by what its name and description encode (the node tag gke-CLUSTER-ID-node a firewall rule targets, the kube-system UID hash of k8s2- names, the cluster UID of a NEG's description, the k8s1- prefix the cluster's Services and Ingresses use), and calls it left over only when no listed cluster can own it, or when the cluster that owns it no longer has the Ingress or Service it was made for. It decides only when GKE listed every location and every cluster was read; the finding states the evidence.`,
		Fix: `Check nothing uses it, then delete it, frontends first: forwarding rules, target proxies, URL maps, backend services, health checks, NEGs, firewall rules.`,
		Sources: []string{"GKE's resource naming: kubernetes/ingress-gce pkg/utils/namer (namer.go, frontendnamer.go: v2 names from the kube-system UID)",
			"kubernetes/ingress-gce pkg/utils/negdescription.go (NEG descriptions carry the cluster UID), pkg/firewalls/firewalls.go (k8s-fw-l7--<provider uid>, targeting the nodes' tags)",
			"Cleaning up GKE load balancers (cloud.google.com/kubernetes-engine/docs/how-to/load-balance-ingress#cleaning_up)"},
		URL: "https://cloud.google.com/kubernetes-engine/docs/how-to/load-balance-ingress#cleaning_up",
	},
	Check: checkOrphans,
}

// clusterIdentity is what GKE's resource names and descriptions say about
// the cluster that made them.
type clusterIdentity struct {
	cl *inventory.Cluster
	// hash is ClusterHash(kube-system UID), "" when unknown.
	hash string
	// uid8s are the k8s1-<uid8> prefixes its Services and Ingresses use.
	uid8s map[string]bool
	// gw are the gkegw1-<id> prefixes its Gateways use.
	gw map[string]bool
	// tag is its nodes' network tag, gke-<name>-<id8>-node.
	tag string
	// lbNames are the v2 load balancer names of its Ingresses, computed
	// on first use.
	lbNames map[string]bool
}

// hasLBName reports whether one of the cluster's Ingresses has the v2 load
// balancer name lb.
func (id *clusterIdentity) hasLBName(lb string) bool {
	if id.lbNames == nil {
		id.lbNames = map[string]bool{}
		for i := range id.cl.Ingresses {
			ing := &id.cl.Ingresses[i]
			id.lbNames[gke.V2LoadBalancerName(id.cl.KubeSystemUID, ing.Namespace, ing.Name)] = true
		}
	}
	return id.lbNames[lb]
}

var (
	k8s1Pattern   = regexp.MustCompile(`^k8s1-([0-9a-f]{8})-`)
	legacyPattern = regexp.MustCompile(`^k8s-(?:be-\d+|ig|fw-l7)--([0-9a-f]{8})[0-9a-f]*$`)
	gwPattern     = regexp.MustCompile(`^gkegw1-([0-9a-z]{4})-`)
)

func identities(inv *inventory.Inventory) []clusterIdentity {
	var out []clusterIdentity
	for _, cl := range inv.Clusters {
		id := clusterIdentity{cl: cl, uid8s: map[string]bool{}, gw: map[string]bool{}, tag: gke.NodeTag(cl.Name(), cl.Info.GetId())}
		if cl.KubeSystemUID != "" {
			id.hash = gke.ClusterHash(cl.KubeSystemUID)
		}
		note := func(name string) {
			if m := k8s1Pattern.FindStringSubmatch(name); m != nil {
				id.uid8s[m[1]] = true
			}
			if m := gwPattern.FindStringSubmatch(name); m != nil {
				id.gw[m[1]] = true
			}
		}
		for i := range cl.Ingresses {
			for _, n := range gke.IngressBackendNames(&cl.Ingresses[i]) {
				note(n)
			}
		}
		for i := range cl.Services {
			if st, ok := gke.ParseNEGStatus(&cl.Services[i]); ok {
				for _, n := range st.NEGs {
					note(n)
				}
			}
		}
		for _, n := range cl.ServiceNEGs {
			note(n.Name)
		}
		for _, gw := range cl.Gateways {
			for _, a := range gke.GatewayResourceAnnotations {
				for _, p := range gke.GatewayAnnotationPaths(gw.Annotations[a]) {
					note(inventory.LastSegment(p))
				}
			}
		}
		out = append(out, id)
	}
	// A NEG's description names its cluster's kube-system UID: the
	// k8s1 prefix of its name is that cluster's.
	for _, neg := range inv.Compute.NEGs {
		d, ok := gke.ParseNEGDescription(neg.Description)
		if !ok || d.ClusterUID == "" {
			continue
		}
		for i := range out {
			if out[i].cl.KubeSystemUID == d.ClusterUID {
				if m := k8s1Pattern.FindStringSubmatch(neg.Name); m != nil {
					out[i].uid8s[m[1]] = true
				}
			}
		}
	}
	return out
}

// ownership is what lbdiag can tell of a resource's owner.
type ownership struct {
	// owners are the listed clusters that can own it.
	owners []*clusterIdentity
	// decided is true when the resource's name or description identifies
	// its cluster and every listed cluster's identity of that kind is
	// known: no owner then means no listed cluster owns it.
	decided bool
	// evidence says what the verdict rests on.
	evidence string
}

func ownerOf(ids []clusterIdentity, name, desc string, tags []string) ownership {
	var o ownership
	every := func(known func(*clusterIdentity) bool) bool {
		for i := range ids {
			if !known(&ids[i]) {
				return false
			}
		}
		return true
	}
	listed := func() string {
		var names []string
		for _, id := range ids {
			names = append(names, id.cl.Location()+"/"+id.cl.Name())
		}
		if len(names) == 0 {
			return "the project has no cluster"
		}
		return "the project's clusters are " + strings.Join(names, ", ")
	}
	// A firewall rule targets its cluster's node tag.
	for _, t := range tags {
		if !strings.HasPrefix(t, "gke-") || !strings.HasSuffix(t, "-node") {
			continue
		}
		for i := range ids {
			if ids[i].tag == t {
				o.owners = append(o.owners, &ids[i])
			}
		}
		o.decided = true
		o.evidence = fmt.Sprintf("it targets the node tag %s, and no listed cluster's nodes carry it (%s)", t, listed())
		return o
	}
	// A NEG's description names its cluster's kube-system UID.
	if neg, ok := gke.ParseNEGDescription(desc); ok && neg.ClusterUID != "" {
		for i := range ids {
			if ids[i].cl.KubeSystemUID == neg.ClusterUID {
				o.owners = append(o.owners, &ids[i])
			}
		}
		o.decided = every(func(id *clusterIdentity) bool { return id.cl.KubeSystemUID != "" })
		o.evidence = fmt.Sprintf("its description names cluster UID %s, which no listed cluster has (%s)", neg.ClusterUID, listed())
		return o
	}
	// v2 names carry the hash of the kube-system UID.
	if strings.HasPrefix(name, "k8s2-") {
		// k8s2-<hash>-... (L4), k8s2-um-<hash>-... (Ingress v2 frontend),
		// k8s2-tcp-<hash>-... (L4 forwarding rules): the hash is the
		// first eight-character part.
		hash := ""
		for _, part := range strings.SplitN(strings.TrimPrefix(name, "k8s2-"), "-", 3) {
			if len(part) == 8 {
				hash = part
				break
			}
		}
		if hash != "" {
			for i := range ids {
				if ids[i].hash == hash {
					o.owners = append(o.owners, &ids[i])
				}
			}
			o.decided = every(func(id *clusterIdentity) bool { return id.hash != "" })
			o.evidence = fmt.Sprintf("its name carries the kube-system UID hash %s, which no listed cluster has (%s)", hash, listed())
			return o
		}
	}
	if m := k8s1Pattern.FindStringSubmatch(name); m != nil {
		return byUID8(ids, m[1], listed, every)
	}
	if m := legacyPattern.FindStringSubmatch(name); m != nil {
		return byUID8(ids, m[1], listed, every)
	}
	if m := gwPattern.FindStringSubmatch(name); m != nil {
		for i := range ids {
			if ids[i].gw[m[1]] {
				o.owners = append(o.owners, &ids[i])
			}
		}
		o.decided = every(func(id *clusterIdentity) bool { return len(id.gw) > 0 })
		o.evidence = fmt.Sprintf("its name carries the Gateway prefix gkegw1-%s, which no listed cluster's Gateways use (%s)", m[1], listed())
		return o
	}
	return o
}

func byUID8(ids []clusterIdentity, uid8 string, listed func() string, every func(func(*clusterIdentity) bool) bool) ownership {
	var o ownership
	for i := range ids {
		if ids[i].uid8s[uid8] {
			o.owners = append(o.owners, &ids[i])
		}
	}
	// A cluster whose Services and Ingresses show no k8s1 name may still
	// be the one: decide only when every cluster shows its own.
	o.decided = every(func(id *clusterIdentity) bool { return len(id.uid8s) > 0 })
	o.evidence = fmt.Sprintf("its name carries the cluster prefix %s, which no listed cluster's Services or Ingresses use (%s)", uid8, listed())
	return o
}

func checkOrphans(p *inspect.Pass) {
	inv := p.Inventory
	ps := inventory.ProjectScope(inv.Project)
	switch {
	case inv.ClustersSelected:
		p.SkippedByRequest(ps, "--cluster limited the clusters inspected; orphaned load-balancing resources are looked for only when every cluster of the project is")
		return
	case !inv.Focus.Empty():
		p.SkippedByRequest(ps, "--namespace, --ingress or --gateway narrowed the run; orphaned load-balancing resources are looked for only over the whole project")
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
		if !clusterRead(inv, cl) {
			p.CouldNotCheck(ps, "cluster "+cl.Location()+"/"+cl.Name()+" was not read completely", "orphaned load-balancing resources can only be found when every cluster of the project is inspected")
			return
		}
	}
	ids := identities(inv)
	claimed := claimedNames(inv)
	c := inv.Compute
	type orphan struct {
		res      inspect.Resource
		why, del string
	}
	var orphans []orphan
	consider := func(kind, selfLink, name, desc, coll string, src inventory.Source, tags []string) {
		if !gke.Managed(name) || !p.Known(src, inventory.ProjectScope(inventory.ProjectOf(selfLink))) {
			return
		}
		loc, flag := core.ScopeName(selfLink), core.GCloudLocationFlag(selfLink)
		project := inventory.ProjectOf(selfLink)
		res := inspect.Resource{Kind: kind, Project: project, Location: loc, Name: name}
		if claimed[name] {
			p.Judge(res) // a live object's annotations name it
			return
		}
		o := ownerOf(ids, name, desc, tags)
		why := ""
		switch {
		case len(o.owners) == 0 && o.decided:
			why = o.evidence
		case len(o.owners) > 0:
			// A listed cluster made it: it is left over there, or
			// belongs to that live cluster.
			p.Judge(res)
			why = leftoverIn(o.owners, name, desc)
		}
		if why == "" {
			return // owned, or lbdiag cannot tell: never "delete this"
		}
		if coll == "firewall-rules" {
			flag = ""
		}
		orphans = append(orphans, orphan{why: why,
			res: res,
			del: strings.Join(strings.Fields(fmt.Sprintf("gcloud compute %s delete %s %s --project %s", coll, name, flag, project)), " ")})
	}
	for _, r := range c.ForwardingRules {
		consider("ForwardingRule", r.SelfLink, r.Name, r.Description, "forwarding-rules", inventory.ComputeForwardingRules, nil)
	}
	for _, r := range c.TargetHTTPProxies {
		consider("TargetHttpProxy", r.SelfLink, r.Name, r.Description, "target-http-proxies", inventory.ComputeTargetHTTPProxies, nil)
	}
	for _, r := range c.TargetHTTPSProxies {
		consider("TargetHttpsProxy", r.SelfLink, r.Name, r.Description, "target-https-proxies", inventory.ComputeTargetHTTPSProxies, nil)
	}
	for _, r := range c.URLMaps {
		consider("UrlMap", r.SelfLink, r.Name, r.Description, "url-maps", inventory.ComputeURLMaps, nil)
	}
	for _, r := range c.BackendServices {
		consider("BackendService", r.SelfLink, r.Name, r.Description, "backend-services", inventory.ComputeBackendServices, nil)
	}
	for _, r := range c.NEGs {
		consider("NetworkEndpointGroup", r.SelfLink, r.Name, r.Description, "network-endpoint-groups", inventory.ComputeNEGs, nil)
	}
	for _, r := range c.Firewalls {
		if strings.HasPrefix(r.Name, "k8s-fw-") || strings.HasPrefix(r.Name, "k8s2-") || strings.HasPrefix(r.Name, "gkegw1-") {
			consider("Firewall", r.SelfLink, r.Name, r.Description, "firewall-rules", inventory.ComputeFirewalls, r.TargetTags)
		}
	}
	sort.SliceStable(orphans, func(i, j int) bool { return orphans[i].res.Name < orphans[j].res.Name })
	for _, o := range orphans {
		p.Report(inspect.Finding{
			Message:     fmt.Sprintf("%s %s was created by GKE's controllers, but %s: it is left over", o.res.Kind, o.res.Name, o.why),
			Resource:    o.res,
			Evidence:    map[string]any{"reason": o.why},
			Remediation: o.del + "   # after checking nothing uses it",
		})
	}
}

// leftoverIn says why a resource whose owning cluster is listed is left
// over there: its description names an Ingress or Service that cluster no
// longer has, or (a v2 frontend without description) no Ingress of the
// cluster has its load balancer name. "" when it is owned, or lbdiag
// cannot tell.
func leftoverIn(owners []*clusterIdentity, name, desc string) string {
	var where []string
	for _, id := range owners {
		where = append(where, id.cl.Location()+"/"+id.cl.Name())
	}
	cluster := strings.Join(where, ", ")
	if ing := gke.IngressOfDescription(desc); ing != "" {
		for _, id := range owners {
			ns, n, _ := strings.Cut(ing, "/")
			if hasIngress(id.cl, ns, n) {
				return ""
			}
		}
		return fmt.Sprintf("its description names Ingress %s, and cluster %s, which made it, has no such Ingress", ing, cluster)
	}
	svc := ""
	if d, ok := gke.ParseBackendServiceDescription(desc); ok {
		svc = d.Service
	} else if l4 := gke.ServiceOfDescription(desc); l4 != "" {
		svc = l4
	} else if neg, ok := gke.ParseNEGDescription(desc); ok && neg.Service != "" {
		svc = neg.Namespace + "/" + neg.Service
	}
	if svc != "" {
		for _, id := range owners {
			ns, n, _ := strings.Cut(svc, "/")
			if core.FindService(id.cl, ns, n) != nil {
				return ""
			}
		}
		return fmt.Sprintf("its description names Service %s, and cluster %s, which made it, has no such Service", svc, cluster)
	}
	for _, prefix := range gke.V2Prefixes {
		lb, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		for _, id := range owners {
			if id.cl.KubeSystemUID == "" || id.hasLBName(lb) {
				return ""
			}
		}
		return fmt.Sprintf("its name carries cluster %s's kube-system UID hash, and none of that cluster's Ingresses has the load balancer name %s", cluster, lb)
	}
	return ""
}

func hasIngress(cl *inventory.Cluster, ns, name string) bool { return cl.Ingress(ns, name) != nil }

// clusterRead reports whether what ownership rests on was read in the
// cluster: its Ingresses, Services, Gateways, HTTPRoutes and Namespaces.
// It asks the inventory, not the pass: the rule records the cluster itself
// (CouldNotCheck), once.
func clusterRead(inv *inventory.Inventory, cl *inventory.Cluster) bool {
	for _, s := range []inventory.Source{inventory.KubeIngresses, inventory.KubeServices, inventory.KubeGateways, inventory.KubeHTTPRoutes, inventory.KubeNamespaces} {
		if !inv.Known(s, cl.Scope()) {
			return false
		}
	}
	return true
}

// claimedNames are the resource names live objects' controller annotations
// name.
func claimedNames(inv *inventory.Inventory) map[string]bool {
	claimed := map[string]bool{}
	for _, cl := range inv.Clusters {
		gkeOrNot := func(ing *networkingv1.Ingress) {
			for k, v := range ing.Annotations {
				if gke.IsIngressResourceAnnotation(k) || k == gke.AnnPreSharedCert {
					for _, n := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '"' || r == '{' || r == '}' || r == ':' }) {
						claimed[strings.TrimSpace(n)] = true
					}
				}
			}
		}
		for i := range cl.Ingresses {
			gkeOrNot(&cl.Ingresses[i])
		}
		for i := range cl.Services {
			if st, ok := gke.ParseNEGStatus(&cl.Services[i]); ok {
				for _, n := range st.NEGs {
					claimed[n] = true
				}
			}
		}
		for _, gw := range cl.Gateways {
			for _, a := range gke.GatewayResourceAnnotations {
				for _, path := range gke.GatewayAnnotationPaths(gw.Annotations[a]) {
					claimed[inventory.LastSegment(path)] = true
				}
			}
		}
		for _, mc := range cl.ManagedCertificates {
			claimed[mc.Status.CertificateName] = true
		}
	}
	return claimed
}
