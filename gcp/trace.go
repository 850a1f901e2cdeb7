package gcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inventory"
)

// TraceScope says what a trace reads: the load balancers of some
// addresses, and of those, the forwarding rules the caller follows.
type TraceScope struct {
	// Addresses are the addresses the traced host resolved to (or --ip).
	// The forwarding rule list is then filtered on them. Empty, every
	// forwarding rule is listed, with the URL maps and target proxies, for
	// the caller to choose by host rule.
	Addresses []string
	// Choose returns the selfLinks of the forwarding rules to follow,
	// from the frontends read so far (forwarding rules, and their target
	// proxies and URL maps). Collection never judges: choosing is the
	// caller's.
	Choose func(inv *inventory.Inventory) []string
	// URL is the traced URL: with Options.Logs, the window's requests of
	// its scheme, host and path on the chosen forwarding rules are
	// counted.
	URL *url.URL
}

// CollectTrace reads what one request meets, and no more: the forwarding
// rules of its addresses, then for those Choose keeps, the target proxy,
// its certificates, the URL map, every backend service and bucket the
// map names, their health checks, backend groups and each group's health,
// the GKE clusters whose subnetworks hold those groups (all of their
// Kubernetes objects), and the firewalls, subnetworks and instances that
// firewall rules judge with. Collections read by name have a partial
// coverage entry, and every object read by name an entry of its own, so
// that an object a get answered 404 for is known to be missing. The
// inventory is Partial: rules that need whole lists do not run on it.
func CollectTrace(ctx context.Context, opts Options, scope TraceScope) (*inventory.Inventory, error) {
	c := newCollector(opts)
	inv := &inventory.Inventory{Project: opts.Project, CollectedAt: opts.now(), Partial: true, ClustersSelected: true}
	c.collectedAt = inv.CollectedAt
	svc, err := compute.NewService(ctx, c.clientOptions(recording.APICompute, opts.ComputeEndpoint, DefaultComputeEndpoint)...)
	if err != nil {
		return nil, err
	}
	// The project exists unless every list of its own says 404: the
	// context lists and the forwarding rules (with, choosing by host
	// rule, the maps and proxies).
	c.ownLists = len(tracedContext) + 1
	if len(scope.Addresses) == 0 {
		c.ownLists = len(tracedContext) + len(frontendTasks)
	}
	t := &tracer{c: c, svc: svc, gets: map[string]*getCall{}, counts: map[inventory.Source]int{}, notOwner: map[*inventory.Cluster]bool{}}

	// What does not depend on the chosen load balancer starts at once:
	// the cluster list, and the lists firewall and subnet rules judge
	// with.
	var wg sync.WaitGroup
	clustersDone := make(chan struct{})
	var clusters []*inventory.Cluster
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(clustersDone)
		list, err := c.clusters(ctx)
		if err != nil {
			return
		}
		for _, cl := range list {
			clusters = append(clusters, &inventory.Cluster{Info: cl, Project: opts.Project})
		}
	}()
	for _, task := range tracedContext {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.runComputeTask(ctx, svc, opts.Project, task, true)
		}()
	}

	// The frontends: forwarding rules (filtered on the addresses), or
	// every forwarding rule, URL map and target proxy.
	var fwg sync.WaitGroup
	if len(scope.Addresses) > 0 {
		fwg.Add(1)
		go func() {
			defer fwg.Done()
			t.listForwardingRules(ctx, scope.Addresses)
		}()
	} else {
		for _, task := range frontendTasks {
			fwg.Add(1)
			go func() {
				defer fwg.Done()
				c.runComputeTask(ctx, svc, opts.Project, task, true)
			}()
		}
	}
	fwg.Wait()
	// The frontends of each forwarding rule, then the caller's choice.
	c.mu.Lock()
	frs := append([]*compute.ForwardingRule(nil), c.compute.ForwardingRules...)
	c.mu.Unlock()
	var pwg sync.WaitGroup
	for _, fr := range frs {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			t.frontend(ctx, fr)
		}()
	}
	pwg.Wait()
	var chosen []string
	if scope.Choose != nil {
		chosen = scope.Choose(t.snapshot(inv))
	}

	// The backends of the chosen forwarding rules.
	var groups []string
	var gmu sync.Mutex
	var bwg sync.WaitGroup
	for _, fr := range frs {
		if !slices.Contains(chosen, fr.SelfLink) {
			continue
		}
		bwg.Add(1)
		go func() {
			defer bwg.Done()
			t.certificates(ctx, fr)
			for _, g := range t.backends(ctx, fr) {
				gmu.Lock()
				groups = append(groups, g)
				gmu.Unlock()
			}
		}()
	}
	bwg.Wait()

	// The clusters behind the backend groups, read whole.
	<-clustersDone
	owners, uids := t.owners(clusters, groups)
	inv.Clusters = owners
	hosts, networks := map[string]bool{}, map[string]bool{}
	for _, cl := range owners {
		c.readNetwork(ctx, svc, cl, hosts, networks, &wg)
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.readOwner(ctx, cl, uids, len(owners) > 1)
		}()
	}
	for _, cl := range clusters {
		if !containsCluster(owners, cl) {
			c.cover(inventory.Coverage{Source: inventory.KubeAPI, Scope: cl.Scope(), Status: inventory.StatusSkipped,
				Detail: "no backend of the traced load balancer is in this cluster's subnetwork"})
		}
	}
	wg.Wait()
	// Clusters a probe showed to be another's are not in the inventory.
	var read []*inventory.Cluster
	for _, cl := range inv.Clusters {
		if !t.notOwner[cl] {
			read = append(read, cl)
		}
	}
	inv.Clusters = read
	if c.projectNotFound() {
		return nil, ErrProjectNotFound
	}
	t.finish()
	c.coverLimiters()
	if opts.Logs > 0 && scope.URL != nil {
		c.collectTraceLogs(ctx, scope.URL, chosen)
	}

	c.assemble(inv)
	return inv, nil
}

// tracedContext are the lists a trace reads whole: firewall rules judge
// the health-check and proxy paths with the firewalls, the instances'
// tags and the subnetworks (proxy-only ones included).
var tracedContext = []computeTask{subnetworksTask, firewallsTask, sourceTask(inventory.ComputeInstances)}

// frontendTasks are the lists a trace reads to choose by host rule.
var frontendTasks = []computeTask{sourceTask(inventory.ComputeForwardingRules), sourceTask(inventory.ComputeURLMaps),
	sourceTask(inventory.ComputeTargetHTTPProxies), sourceTask(inventory.ComputeTargetHTTPSProxies)}

func sourceTask(s inventory.Source) computeTask {
	for _, t := range projectTasks {
		if t.source == s {
			return t
		}
	}
	panic("no task for " + string(s))
}

func containsCluster(list []*inventory.Cluster, cl *inventory.Cluster) bool {
	for _, c := range list {
		if c == cl {
			return true
		}
	}
	return false
}

// tracer gets resources by name, each once, recording an entry of
// coverage for each.
type tracer struct {
	c   *collector
	svc *compute.Service

	mu     sync.Mutex
	gets   map[string]*getCall
	counts map[inventory.Source]int
	// notOwner are the clusters a probe showed not to be behind the
	// backends.
	notOwner map[*inventory.Cluster]bool
	// health holds getHealth answers (bs selfLink, group) and failures.
	healthReads, healthFailed int
	firstHealthErr            error
	firstHealthCtx            context.Context
}

type getCall struct {
	done chan struct{}
	v    any
}

// listForwardingRules lists the forwarding rules with the addresses: a
// filtered aggregated list. An API that refuses the filter gets the whole
// list. Either way only the rules with those addresses are kept.
func (t *tracer) listForwardingRules(ctx context.Context, addresses []string) {
	c := t.c
	project := c.opts.Project
	var terms []string
	want := map[string]bool{}
	for _, a := range addresses {
		want[a] = true
		terms = append(terms, fmt.Sprintf("(IPAddress = %q)", a))
	}
	filter := strings.Join(terms, " OR ")
	list := func(filter string) ([]*compute.ForwardingRule, error) {
		return listAll(ctx, t.svc, project, filter, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.ForwardingRuleAggregatedList, error) {
			return page(s.ForwardingRules.AggregatedList(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
		}, IngestForwardingRules)
	}
	frs, err := list(filter)
	var ge *googleapi.Error
	if err != nil && errors.As(err, &ge) && ge.Code == http.StatusBadRequest {
		frs, err = list("")
	}
	cov := inventory.Coverage{Source: inventory.ComputeForwardingRules, Scope: inventory.ProjectScope(project), Status: inventory.StatusPartial,
		Detail: "the forwarding rules with address " + strings.Join(addresses, ", ")}
	if err != nil {
		cov.Status, cov.Error = inventory.StatusError, c.errorText(err)
		cov.Hint = c.googleHint(ctx, err, "compute", project, "compute.forwardingRules.list", "roles/compute.viewer")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, fr := range frs {
		if want[fr.IPAddress] {
			c.compute.ForwardingRules = append(c.compute.ForwardingRules, fr)
		}
	}
	if err != nil {
		c.computeErrs = append(c.computeErrs, err)
	}
	c.coverage = append(c.coverage, cov)
}

// snapshot is the inventory of what was read so far, for Choose.
func (t *tracer) snapshot(inv *inventory.Inventory) *inventory.Inventory {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &inventory.Inventory{Project: inv.Project, CollectedAt: inv.CollectedAt, Partial: true, ClustersSelected: true}
	s.Compute = c.compute
	s.Coverage = append(inventory.CoverageSet(nil), c.coverage...)
	return s
}

// frontend reads a forwarding rule's target proxy and its URL map: what
// choosing needs.
func (t *tracer) frontend(ctx context.Context, fr *compute.ForwardingRule) {
	var mapURL string
	switch {
	case strings.Contains(fr.Target, "/targetHttpProxies/"):
		if px, _ := t.get(ctx, inventory.ComputeTargetHTTPProxies, fr.Target).(*compute.TargetHttpProxy); px != nil {
			mapURL = px.UrlMap
		}
	case strings.Contains(fr.Target, "/targetHttpsProxies/"):
		if px, _ := t.get(ctx, inventory.ComputeTargetHTTPSProxies, fr.Target).(*compute.TargetHttpsProxy); px != nil {
			mapURL = px.UrlMap
		}
	}
	if mapURL != "" {
		t.get(ctx, inventory.ComputeURLMaps, mapURL)
	}
}

// certificates reads the certificates a chosen forwarding rule's HTTPS
// proxy presents (Certificate Manager ones are not read).
func (t *tracer) certificates(ctx context.Context, fr *compute.ForwardingRule) {
	px, _ := t.lookup(fr.Target).(*compute.TargetHttpsProxy)
	if px == nil {
		return
	}
	var wg sync.WaitGroup
	for _, cert := range px.SslCertificates {
		if strings.Contains(cert, "/sslCertificates/") {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t.get(ctx, inventory.ComputeSSLCertificates, cert)
			}()
		}
	}
	wg.Wait()
}

// backends reads every backend service and bucket a forwarding rule's
// URL map names (or its own backend service), their health checks and
// groups, and each group's health. It returns the groups' URLs.
func (t *tracer) backends(ctx context.Context, fr *compute.ForwardingRule) []string {
	var services []string
	if strings.Contains(fr.BackendService, "/backendServices/") {
		services = append(services, fr.BackendService)
	}
	if strings.Contains(fr.Target, "/backendServices/") {
		services = append(services, fr.Target)
	}
	var mapURL string
	switch px := t.lookup(fr.Target).(type) {
	case *compute.TargetHttpProxy:
		mapURL = px.UrlMap
	case *compute.TargetHttpsProxy:
		mapURL = px.UrlMap
	}
	if um, _ := t.lookup(mapURL).(*compute.UrlMap); um != nil {
		services = append(services, MapServices(um)...)
	}
	var groups []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, ref := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if strings.Contains(ref, "/backendBuckets/") {
				t.get(ctx, inventory.ComputeBackendBuckets, ref)
				return
			}
			bs, _ := t.get(ctx, inventory.ComputeBackendServices, ref).(*compute.BackendService)
			if bs == nil {
				return
			}
			for _, hc := range bs.HealthChecks {
				if strings.Contains(hc, "/healthChecks/") {
					wg.Add(1)
					go func() {
						defer wg.Done()
						t.get(ctx, inventory.ComputeHealthChecks, hc)
					}()
				}
			}
			for _, b := range bs.Backends {
				if b == nil || b.Group == "" {
					continue
				}
				mu.Lock()
				groups = append(groups, b.Group)
				mu.Unlock()
				wg.Add(1)
				go func() {
					defer wg.Done()
					if strings.Contains(b.Group, "/instanceGroups/") {
						t.get(ctx, inventory.ComputeInstanceGroups, b.Group)
					} else {
						t.get(ctx, inventory.ComputeNEGs, b.Group)
					}
					if healthReadable(b.Group) {
						t.health(ctx, bs, b.Group)
					}
				}()
			}
		}()
	}
	wg.Wait()
	return groups
}

// MapServices lists every backend service and bucket a URL map names, in
// its defaults, path rules and route rules, weighted branches included.
func MapServices(um *compute.UrlMap) []string {
	var out []string
	seen := map[string]bool{}
	add := func(ref string) {
		if ref != "" && !seen[inventory.RelativeName(ref)] {
			seen[inventory.RelativeName(ref)] = true
			out = append(out, ref)
		}
	}
	action := func(ra *compute.HttpRouteAction) {
		if ra == nil {
			return
		}
		for _, w := range ra.WeightedBackendServices {
			if w != nil {
				add(w.BackendService)
			}
		}
		if ra.RequestMirrorPolicy != nil {
			add(ra.RequestMirrorPolicy.BackendService)
		}
	}
	add(um.DefaultService)
	action(um.DefaultRouteAction)
	for _, pm := range um.PathMatchers {
		if pm == nil {
			continue
		}
		add(pm.DefaultService)
		action(pm.DefaultRouteAction)
		for _, pr := range pm.PathRules {
			if pr != nil {
				add(pr.Service)
				action(pr.RouteAction)
			}
		}
		for _, rr := range pm.RouteRules {
			if rr != nil {
				add(rr.Service)
				action(rr.RouteAction)
			}
		}
	}
	return out
}

// owners are the clusters that may be behind the backend groups: those
// whose node subnetwork holds a group (a NEG's or instance group's
// subnetwork), or, for a group that names only its network, those on that
// network. uids are the kube-system UIDs the NEGs' descriptions name.
func (t *tracer) owners(clusters []*inventory.Cluster, groups []string) ([]*inventory.Cluster, map[string]bool) {
	subnets, networks, uids := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, g := range groups {
		switch o := t.lookup(g).(type) {
		case *compute.NetworkEndpointGroup:
			if o.NetworkEndpointType != "" && o.NetworkEndpointType != "GCE_VM_IP_PORT" && o.NetworkEndpointType != "GCE_VM_IP" {
				continue
			}
			if o.Subnetwork != "" {
				subnets[inventory.RelativeName(o.Subnetwork)] = true
			} else if o.Network != "" {
				networks[inventory.RelativeName(o.Network)] = true
			}
			if d, ok := gke.ParseNEGDescription(o.Description); ok && d.ClusterUID != "" {
				uids[d.ClusterUID] = true
			}
		case *compute.InstanceGroup:
			if o.Subnetwork != "" {
				subnets[inventory.RelativeName(o.Subnetwork)] = true
			} else if o.Network != "" {
				networks[inventory.RelativeName(o.Network)] = true
			}
		}
	}
	var out []*inventory.Cluster
	for _, cl := range clusters {
		if subnets[inventory.RelativeName(cl.SubnetworkURL())] || networks[inventory.RelativeName(cl.NetworkURL())] {
			out = append(out, cl)
		}
	}
	return out, uids
}

// readOwner reads a cluster that may be behind the backends. When several
// may be and the NEGs name their clusters' kube-system UIDs, the probe
// that reaches the cluster (which reads that UID) decides first: a
// cluster of another UID is left out, unread.
func (t *tracer) readOwner(ctx context.Context, cl *inventory.Cluster, uids map[string]bool, several bool) {
	c := t.c
	if c.opts.Replay != nil || !several || len(uids) == 0 {
		c.collectCluster(ctx, cl)
		return
	}
	r, ok := c.reachOrCover(ctx, cl)
	if !ok {
		return
	}
	if r.probe != nil && r.probe.err == nil && !uids[r.probe.namespace.Metadata.UID] {
		t.mu.Lock()
		t.notOwner[cl] = true
		t.mu.Unlock()
		c.cover(inventory.Coverage{Source: inventory.KubeAPI, Scope: cl.Scope(), Status: inventory.StatusSkipped,
			Detail: "its kube-system UID is not the one the traced NEGs name"})
		return
	}
	c.listKube(ctx, cl, r.client, r.probe)
}

// lookup returns an object already read, or nil.
func (t *tracer) lookup(url string) any {
	if url == "" {
		return nil
	}
	t.mu.Lock()
	call := t.gets[inventory.RelativeName(url)]
	t.mu.Unlock()
	if call == nil {
		return nil
	}
	<-call.done
	return call.v
}

// get reads one resource by its URL, once per run, and records it: in the
// inventory when found, and in the coverage either way. It returns nil
// when the resource could not be read or does not exist.
func (t *tracer) get(ctx context.Context, source inventory.Source, url string) any {
	key := inventory.RelativeName(url)
	t.mu.Lock()
	if call, ok := t.gets[key]; ok {
		t.mu.Unlock()
		<-call.done
		return call.v
	}
	call := &getCall{done: make(chan struct{})}
	t.gets[key] = call
	t.counts[source]++
	t.mu.Unlock()
	defer close(call.done)

	c := t.c
	// A collection listed whole (choosing by host rule lists the
	// frontends) answers without a get.
	c.mu.Lock()
	listed := c.read(source, inventory.ProjectScope(inventory.ProjectOf(url)))
	var found any
	if listed {
		found = findListed(&c.compute, key)
	}
	c.mu.Unlock()
	if listed {
		t.mu.Lock()
		t.counts[source]--
		t.mu.Unlock()
		call.v = found
		return found
	}
	v, err := t.fetch(ctx, source, url)
	cov := inventory.Coverage{Source: source, Scope: key, Status: inventory.StatusOK}
	switch {
	case err != nil && isNotFound(err):
		cov.Detail = "not found"
	case err != nil:
		project := inventory.ProjectOf(url)
		cov.Status, cov.Error = inventory.StatusError, c.errorText(err)
		cov.Hint = c.googleHint(ctx, err, "compute", project, strings.TrimSuffix(computePermission(source), ".list")+".get", "roles/compute.viewer")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.coverage = append(c.coverage, cov)
	if err != nil || v == nil {
		return nil
	}
	call.v = v
	store(&c.compute, v)
	return v
}

// findListed finds a resource in the lists read whole.
func findListed(cs *inventory.Compute, key string) any {
	for _, o := range cs.TargetHTTPProxies {
		if inventory.RelativeName(o.SelfLink) == key {
			return o
		}
	}
	for _, o := range cs.TargetHTTPSProxies {
		if inventory.RelativeName(o.SelfLink) == key {
			return o
		}
	}
	for _, o := range cs.URLMaps {
		if inventory.RelativeName(o.SelfLink) == key {
			return o
		}
	}
	return nil
}

// store adds a resource read by name to the inventory.
func store(cs *inventory.Compute, v any) {
	switch o := v.(type) {
	case *compute.TargetHttpProxy:
		cs.TargetHTTPProxies = append(cs.TargetHTTPProxies, o)
	case *compute.TargetHttpsProxy:
		cs.TargetHTTPSProxies = append(cs.TargetHTTPSProxies, o)
	case *compute.UrlMap:
		cs.URLMaps = append(cs.URLMaps, o)
	case *compute.SslCertificate:
		cs.SSLCertificates = append(cs.SSLCertificates, o)
	case *compute.BackendService:
		cs.BackendServices = append(cs.BackendServices, o)
	case *compute.BackendBucket:
		cs.BackendBuckets = append(cs.BackendBuckets, o)
	case *compute.HealthCheck:
		cs.HealthChecks = append(cs.HealthChecks, o)
	case *compute.NetworkEndpointGroup:
		cs.NEGs = append(cs.NEGs, o)
	case *compute.InstanceGroup:
		cs.InstanceGroups = append(cs.InstanceGroups, o)
	}
}

// fetch is the get call of one resource URL ("projects/P/global/C/N",
// "projects/P/regions/R/C/N" or "projects/P/zones/Z/C/N").
func (t *tracer) fetch(ctx context.Context, source inventory.Source, url string) (any, error) {
	parts := strings.Split(inventory.RelativeName(url), "/")
	var project, kind, loc, coll, name string
	switch {
	case len(parts) == 5 && parts[0] == "projects" && parts[2] == "global":
		project, kind, coll, name = parts[1], "global", parts[3], parts[4]
	case len(parts) == 6 && parts[0] == "projects" && (parts[2] == "regions" || parts[2] == "zones"):
		project, kind, loc, coll, name = parts[1], parts[2], parts[3], parts[4], parts[5]
	default:
		return nil, fmt.Errorf("%q is not a Compute Engine resource URL", url)
	}
	s := t.svc
	regional := kind == "regions"
	switch {
	case coll == "targetHttpProxies" && regional:
		return s.RegionTargetHttpProxies.Get(project, loc, name).Context(ctx).Do()
	case coll == "targetHttpProxies" && kind == "global":
		return s.TargetHttpProxies.Get(project, name).Context(ctx).Do()
	case coll == "targetHttpsProxies" && regional:
		return s.RegionTargetHttpsProxies.Get(project, loc, name).Context(ctx).Do()
	case coll == "targetHttpsProxies" && kind == "global":
		return s.TargetHttpsProxies.Get(project, name).Context(ctx).Do()
	case coll == "urlMaps" && regional:
		return s.RegionUrlMaps.Get(project, loc, name).Context(ctx).Do()
	case coll == "urlMaps" && kind == "global":
		return s.UrlMaps.Get(project, name).Context(ctx).Do()
	case coll == "sslCertificates" && regional:
		return s.RegionSslCertificates.Get(project, loc, name).Context(ctx).Do()
	case coll == "sslCertificates" && kind == "global":
		return s.SslCertificates.Get(project, name).Context(ctx).Do()
	case coll == "backendServices" && regional:
		return s.RegionBackendServices.Get(project, loc, name).Context(ctx).Do()
	case coll == "backendServices" && kind == "global":
		return s.BackendServices.Get(project, name).Context(ctx).Do()
	case coll == "backendBuckets" && kind == "global":
		return s.BackendBuckets.Get(project, name).Context(ctx).Do()
	case coll == "healthChecks" && regional:
		return s.RegionHealthChecks.Get(project, loc, name).Context(ctx).Do()
	case coll == "healthChecks" && kind == "global":
		return s.HealthChecks.Get(project, name).Context(ctx).Do()
	case coll == "networkEndpointGroups" && kind == "zones":
		return s.NetworkEndpointGroups.Get(project, loc, name).Context(ctx).Do()
	case coll == "networkEndpointGroups" && regional:
		return s.RegionNetworkEndpointGroups.Get(project, loc, name).Context(ctx).Do()
	case coll == "networkEndpointGroups" && kind == "global":
		return s.GlobalNetworkEndpointGroups.Get(project, name).Context(ctx).Do()
	case coll == "instanceGroups" && kind == "zones":
		return s.InstanceGroups.Get(project, loc, name).Context(ctx).Do()
	case coll == "instanceGroups" && regional:
		return s.RegionInstanceGroups.Get(project, loc, name).Context(ctx).Do()
	}
	return nil, fmt.Errorf("lbdiag does not read %s %s", coll, url)
}

// health reads the health of one backend group of a backend service.
func (t *tracer) health(ctx context.Context, bs *compute.BackendService, group string) {
	project := inventory.ProjectOf(bs.SelfLink)
	ref := &compute.ResourceGroupReference{Group: group}
	var resp *compute.BackendServiceGroupHealth
	var err error
	if bs.Region != "" {
		resp, err = t.svc.RegionBackendServices.GetHealth(project, inventory.LastSegment(bs.Region), bs.Name, ref).Context(ctx).Do()
	} else {
		resp, err = t.svc.BackendServices.GetHealth(project, bs.Name, ref).Context(ctx).Do()
	}
	t.mu.Lock()
	t.healthReads++
	if err != nil {
		t.healthFailed++
		if t.firstHealthErr == nil {
			t.firstHealthErr, t.firstHealthCtx = fmt.Errorf("%s group %s: %w", bs.Name, inventory.RelativeName(group), err), ctx
		}
	}
	t.mu.Unlock()
	if err != nil {
		return
	}
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.compute.BackendHealth == nil {
		c.compute.BackendHealth = map[string]map[string]*compute.BackendServiceGroupHealth{}
	}
	if c.compute.BackendHealth[bs.SelfLink] == nil {
		c.compute.BackendHealth[bs.SelfLink] = map[string]*compute.BackendServiceGroupHealth{}
	}
	c.compute.BackendHealth[bs.SelfLink][group] = resp
}

// finish records the partial collections and the health reads.
func (t *tracer) finish() {
	c := t.c
	scope := inventory.ProjectScope(c.opts.Project)
	t.mu.Lock()
	defer t.mu.Unlock()
	var sources []string
	for s := range t.counts {
		sources = append(sources, string(s))
	}
	sort.Strings(sources)
	for _, s := range sources {
		source := inventory.Source(s)
		c.mu.Lock()
		whole := c.read(source, scope)
		c.mu.Unlock()
		if whole {
			continue // listed whole
		}
		n := t.counts[source]
		c.cover(inventory.Coverage{Source: source, Scope: scope, Status: inventory.StatusPartial,
			Detail: fmt.Sprintf("read by name: the %d the traced request meets", n)})
	}
	cov := inventory.Coverage{Source: inventory.ComputeBackendHealth, Scope: scope, Status: inventory.StatusOK,
		Detail: fmt.Sprintf("health read for the %d backend groups the traced request may reach", t.healthReads)}
	if t.healthFailed > 0 {
		cov.Status = inventory.StatusError
		cov.Error = fmt.Sprintf("%d of %d getHealth calls failed; first: %s", t.healthFailed, t.healthReads, c.errorText(t.firstHealthErr))
		cov.Hint = "the health of those groups is unknown; " +
			c.googleHint(t.firstHealthCtx, t.firstHealthErr, "compute", c.opts.Project, "compute.backendServices.get", "roles/compute.viewer")
	}
	c.cover(cov)
}
