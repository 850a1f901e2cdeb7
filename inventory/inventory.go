package inventory

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/container/apiv1/containerpb"
	compute "google.golang.org/api/compute/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Inventory is everything one run read. It is built once by the collectors
// and must not be modified afterwards.
type Inventory struct {
	// Project is the project that was inspected.
	Project string
	// Compute holds the Compute Engine resources of the project and, for
	// Shared VPC, the subnetworks and firewalls of the host projects.
	Compute Compute
	// Clusters are the GKE clusters of the project that were selected for
	// inspection, each with the Kubernetes objects read from it.
	Clusters []*Cluster
	// Coverage says which sources were read completely.
	Coverage CoverageSet
	// CollectedAt is when the data was read: the start of a live run, the
	// recording time of a replayed one (zero when a recording has none).
	// Rules judge the age of events against it, never against the clock.
	CollectedAt time.Time
	// ClustersSelected is set when --cluster limited the clusters: the
	// project's other clusters were not inspected.
	ClustersSelected bool
	// Focus is what the user narrowed the report to (--namespace,
	// --ingress, --gateway); rules that need the whole project skip.
	Focus Focus
	// Logs is what Cloud Logging said about the load balancers (--logs);
	// nil when logs were not asked for.
	Logs *Logs
	// CertificateMaps are the project's Certificate Manager maps
	// ("projects/P/locations/global/certificateMaps/NAME"), read only when
	// a Gateway names one.
	CertificateMaps []string
	// Metrics is what Cloud Monitoring said of the load balancers' traffic
	// (--metrics); nil when not asked for.
	Metrics *Metrics
	// Changes are the Admin Activity audit entries of the load-balancing
	// resources (--changes); nil when not asked for.
	Changes *Changes
	// Insights are Network Analyzer's load-balancer insights
	// (--network-analyzer); nil when not asked for.
	Insights *Insights
	// Ignores are the run's suppressions, nil without an ignore file.
	Ignores *Ignores
	// DNS is what the DNS lookups of certificates' domains and hosts
	// answered; nil when none were made.
	DNS *DNS
	// Partial is set when a trace read only the resources one request
	// meets: the project's lists are not whole (their coverage is
	// StatusPartial), so rules that judge the whole project do not run.
	Partial bool

	// known indexes Coverage, for the rules' many lookups side by side.
	known atomic.Pointer[knownIndex]
}

// knownIndex is the coverage record by source and scope: complete or not.
type knownIndex struct {
	complete map[coverageKey]bool
	// len and first are len(Coverage) and &Coverage[0] when it was built:
	// tests edit inventories between runs.
	len   int
	first *Coverage
}

type coverageKey struct {
	source Source
	scope  string
}

// Known reports whether source was read completely in scope. A source that
// was never attempted there is unknown.
func (inv *Inventory) Known(source Source, scope string) bool {
	v, _ := inv.lookup(source, scope)
	return v
}

// lookup reads the index of the coverage record, built on first use and
// built again if the record changed (tests edit inventories between runs).
// Rules read it side by side without a lock; two that find it missing both
// build it, the same.
func (inv *Inventory) lookup(source Source, scope string) (complete, present bool) {
	var first *Coverage
	if len(inv.Coverage) > 0 {
		first = &inv.Coverage[0]
	}
	x := inv.known.Load()
	if x == nil || x.len != len(inv.Coverage) || x.first != first {
		x = &knownIndex{complete: make(map[coverageKey]bool, len(inv.Coverage)), len: len(inv.Coverage), first: first}
		for _, c := range inv.Coverage {
			k := coverageKey{c.Source, c.Scope}
			prev, seen := x.complete[k]
			x.complete[k] = c.Complete() && (!seen || prev)
		}
		inv.known.Store(x)
	}
	complete, present = x.complete[coverageKey{source, scope}]
	return complete, present
}

// KnownObject reports whether the object ns/name of a cluster's resource
// was read: its kind was listed completely and the object itself did not
// fail to decode. A rule that needs a named object stays silent when this
// is false, rather than calling it missing.
func (inv *Inventory) KnownObject(source Source, cl *Cluster, resource, ns, name string) bool {
	if !inv.Known(source, cl.Scope()) {
		return false
	}
	_, bad := inv.lookup(source, ObjectScope(cl.Scope(), resource, ns, name))
	return !bad
}

// KnownResource reports whether lbdiag knows if the Compute Engine
// resource at url exists: its collection was listed whole in the
// resource's project, or a trace got it by name (an answer, 404 included).
func (inv *Inventory) KnownResource(source Source, url string) bool {
	if inv.Known(source, RelativeName(url)) {
		return true
	}
	ps := ProjectScope(ProjectOf(url))
	for _, c := range inv.Coverage {
		if c.Source == source && c.Scope == ps && c.Status == StatusPartial {
			return false
		}
	}
	return inv.Known(source, ps)
}

// ClusterListComplete reports whether every cluster of the project is in
// the inventory: the cluster list was read, GKE answered for every
// location (no missingZones), and --cluster did not narrow it. Rules whose
// verdict needs "every cluster" (orphans) decide only then.
func (inv *Inventory) ClusterListComplete() bool {
	ps := ProjectScope(inv.Project)
	if inv.ClustersSelected || !inv.Known(GKEClusters, ps) {
		return false
	}
	for _, c := range inv.Coverage {
		if c.Source == GKEClusters && c.Scope != ps && !c.Complete() {
			return false
		}
	}
	return true
}

// Compute holds Compute Engine resources as the API returned them.
// Aggregated lists are flattened: each item keeps its selfLink and its
// region or zone URL.
type Compute struct {
	BackendServices    []*compute.BackendService
	ForwardingRules    []*compute.ForwardingRule
	NEGs               []*compute.NetworkEndpointGroup
	Subnetworks        []*compute.Subnetwork
	SecurityPolicies   []*compute.SecurityPolicy
	HealthChecks       []*compute.HealthCheck
	URLMaps            []*compute.UrlMap
	TargetHTTPProxies  []*compute.TargetHttpProxy
	TargetHTTPSProxies []*compute.TargetHttpsProxy
	SSLCertificates    []*compute.SslCertificate
	Addresses          []*compute.Address
	InstanceGroups     []*compute.InstanceGroup
	Instances          []*compute.Instance
	Firewalls          []*compute.Firewall
	Networks           []*compute.Network
	TargetSSLProxies   []*compute.TargetSslProxy
	// BackendBuckets are read by a trace only (by name).
	BackendBuckets []*compute.BackendBucket
	// Project holds the project's quotas (projects.get, fields name and
	// quotas only: never its metadata); nil when not read.
	Project *compute.Project
	// Regions hold each region's quotas (regions.list).
	Regions []*compute.Region
	// BackendHealth holds getHealth answers keyed by backend service
	// selfLink and then by backend group URL; a group without an entry was
	// not read.
	BackendHealth map[string]map[string]*compute.BackendServiceGroupHealth
	// EffectiveFirewalls holds getEffectiveFirewalls answers keyed by
	// network selfLink.
	EffectiveFirewalls map[string]*compute.NetworksGetEffectiveFirewallsResponse
}

// Cluster is one GKE cluster and the Kubernetes objects read from it.
type Cluster struct {
	// Info is the cluster as the GKE API returned it.
	Info *containerpb.Cluster
	// Project is the project the cluster belongs to.
	Project string

	Ingresses           []networkingv1.Ingress
	Services            []corev1.Service
	Deployments         []appsv1.Deployment
	StatefulSets        []appsv1.StatefulSet
	DaemonSets          []appsv1.DaemonSet
	Nodes               []corev1.Node
	BackendConfigs      []BackendConfig
	FrontendConfigs     []FrontendConfig
	ManagedCertificates []ManagedCertificate
	ServiceNEGs         []ServiceNetworkEndpointGroup
	GatewayClasses      []GatewayClass
	Gateways            []Gateway
	HTTPRoutes          []HTTPRoute
	GCPBackendPolicies  []GCPBackendPolicy
	HealthCheckPolicies []HealthCheckPolicy
	GCPGatewayPolicies  []GCPGatewayPolicy
	GRPCRoutes          []GRPCRoute
	ReferenceGrants     []ReferenceGrant
	TrafficPolicies     []GCPTrafficDistributionPolicy
	// Namespaces are every Namespace (their labels).
	Namespaces []corev1.Namespace
	// EndpointSlices tell which nodes run a Service's ready Pods.
	EndpointSlices []discoveryv1.EndpointSlice
	// Events are the Warning and Normal events recorded by the
	// load-balancing controllers (EventSelectors).
	Events []corev1.Event
	// GatedPods are the Pods with GKE's NEG readiness gate, as much of
	// them as the gate's rule reads (the others are not kept).
	GatedPods []GatedPod
	// Access is how lbdiag reached the cluster's API (nil when a replayed
	// recording does not say).
	Access *ClusterAccess
	// KubeSystemUID is the UID of the kube-system Namespace: GKE's v2
	// resource names carry its hash (ClusterHash), NEG descriptions carry
	// it whole.
	KubeSystemUID string

	indexOnce sync.Once
	idx       *clusterIndex
	scope     atomic.Pointer[scopeMemo]
}

// Name is the cluster name.
func (c *Cluster) Name() string { return c.Info.GetName() }

// Location is the cluster's zone or region.
func (c *Cluster) Location() string { return c.Info.GetLocation() }

// Scope is the cluster's coverage scope.
func (c *Cluster) Scope() string {
	// Built once (the rules ask it for every object they judge), and
	// again should the project, location or name change.
	project, location, name := c.Project, c.Location(), c.Name()
	if m := c.scope.Load(); m != nil && m.project == project && m.location == location && m.name == name {
		return m.scope
	}
	m := &scopeMemo{project, location, name, ClusterScope(project, location, name)}
	c.scope.Store(m)
	return m.scope
}

type scopeMemo struct{ project, location, name, scope string }

// Region is the region of the cluster: its location if regional, the
// zone's region if zonal.
func (c *Cluster) Region() string { return RegionOfLocation(c.Location()) }

// NetworkURL returns the cluster VPC as "projects/P/global/networks/N".
func (c *Cluster) NetworkURL() string {
	if n := c.Info.GetNetworkConfig().GetNetwork(); n != "" {
		return RelativeName(n)
	}
	if n := c.Info.GetNetwork(); n != "" {
		return "projects/" + c.Project + "/global/networks/" + n
	}
	return ""
}

// SubnetworkURL returns the cluster subnet as
// "projects/P/regions/R/subnetworks/S".
func (c *Cluster) SubnetworkURL() string {
	if s := c.Info.GetNetworkConfig().GetSubnetwork(); s != "" {
		return RelativeName(s)
	}
	if s := c.Info.GetSubnetwork(); s != "" {
		return "projects/" + c.Project + "/regions/" + c.Region() + "/subnetworks/" + s
	}
	return ""
}

// NetworkProject returns the project owning the cluster VPC: the host
// project for Shared VPC, else the cluster project.
func (c *Cluster) NetworkProject() string {
	if p := ProjectOf(c.NetworkURL()); p != "" {
		return p
	}
	return c.Project
}

// RegionOfLocation maps a zone ("us-central1-a") to its region
// ("us-central1"); a region is returned unchanged.
func RegionOfLocation(loc string) string {
	// Three dash-separated parts, the last one letter: a zone.
	if last := strings.LastIndexByte(loc, '-'); strings.Count(loc, "-") == 2 && last == len(loc)-2 {
		return loc[:last]
	}
	return loc
}

// RelativeName strips the scheme, host and API version from a Compute
// Engine URL, so that "https://www.googleapis.com/compute/v1/projects/p/
// global/networks/n" and "projects/p/global/networks/n" compare equal.
func RelativeName(url string) string {
	if i := strings.Index(url, "projects/"); i >= 0 {
		return url[i:]
	}
	return url
}

// LastSegment returns the part of a URL after the last "/": the resource
// name of a selfLink, the region of a region URL.
func LastSegment(url string) string {
	return url[strings.LastIndex(url, "/")+1:]
}

// LocationOf returns the zone or region in a resource URL, or "" for a
// global resource.
func LocationOf(url string) string {
	// Segment by segment, without splitting: the rules ask it of every
	// backend.
	rest := RelativeName(url)
	for {
		seg, after, more := strings.Cut(rest, "/")
		if !more {
			return ""
		}
		if seg == "zones" || seg == "regions" {
			next, _, _ := strings.Cut(after, "/")
			return next
		}
		rest = after
	}
}

// ProjectOf returns the project ID in a resource URL, or "".
func ProjectOf(url string) string {
	rel := RelativeName(url)
	if !strings.HasPrefix(rel, "projects/") {
		return ""
	}
	rest := strings.TrimPrefix(rel, "projects/")
	if i := strings.Index(rest, "/"); i >= 0 {
		return rest[:i]
	}
	return rest
}

// SameResource reports whether two Compute Engine references name the same
// resource, whatever their host or API version.
func SameResource(a, b string) bool {
	return a != "" && RelativeName(a) == RelativeName(b)
}

// EventTime is when an event last happened: lastTimestamp, else the
// series' last observation, else eventTime, else firstTimestamp.
func EventTime(e *corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.FirstTimestamp.Time
}

// EventCount is how many times an event occurred: count, or, for an event
// written through events.k8s.io/v1 (whose core view has count 0), its
// series' count; at least 1.
func EventCount(e *corev1.Event) int32 {
	n := e.Count
	if e.Series != nil && e.Series.Count > n {
		n = e.Series.Count
	}
	return max(n, 1)
}

// Event reporters: the controllers whose Warning events lbdiag reads.
const (
	ReporterLoadBalancer = "loadbalancer-controller"
	ReporterNEG          = "neg-controller"
	ReporterGateway      = "sc-gateway-controller"
	ReporterService      = "service-controller"
)

// EventSelectors are the field selectors of the events lbdiag lists: one
// per reporting controller. The API server matches source= against
// source.component and, for events written through events.k8s.io/v1,
// reportingController.
func EventSelectors() []string {
	return []string{"source=" + ReporterLoadBalancer, "source=" + ReporterNEG, "source=" + ReporterGateway, "source=" + ReporterService}
}

// EventReporter is the controller that wrote an event: source.component,
// else reportingController (events written through events.k8s.io/v1 leave
// source empty).
func EventReporter(e *corev1.Event) string {
	if e.Source.Component != "" {
		return e.Source.Component
	}
	return e.ReportingController
}

// Workload is a Deployment, StatefulSet or DaemonSet and its Pod template.
type Workload struct {
	Kind string
	// Meta and Template point into the cluster's objects: a copy of each
	// workload would double what the index holds.
	Meta     *metav1.ObjectMeta
	Template *corev1.PodTemplateSpec
}

// clusterIndex is derived from a cluster's objects on first use: lookups
// by namespace and name that rules make for every backend.
type clusterIndex struct {
	services  map[string]*corev1.Service // "ns/name"
	ingresses map[string]*networkingv1.Ingress
	gatedPods map[string][]*GatedPod // by namespace
	// labeled are the workloads (Deployments, StatefulSets, DaemonSets, in
	// that order) by namespace and one label of their Pod template.
	labeled map[workloadLabel][]Workload
}

type workloadLabel struct{ namespace, key, value string }

func (c *Cluster) index() *clusterIndex {
	c.indexOnce.Do(func() {
		x := &clusterIndex{services: make(map[string]*corev1.Service, len(c.Services)),
			ingresses: make(map[string]*networkingv1.Ingress, len(c.Ingresses))}
		for i := range c.Ingresses {
			x.ingresses[c.Ingresses[i].Namespace+"/"+c.Ingresses[i].Name] = &c.Ingresses[i]
		}
		for i := range c.Services {
			s := &c.Services[i]
			x.services[s.Namespace+"/"+s.Name] = s
		}
		x.labeled = map[workloadLabel][]Workload{}
		add := func(w Workload) {
			for k, v := range w.Template.Labels {
				l := workloadLabel{w.Meta.Namespace, k, v}
				x.labeled[l] = append(x.labeled[l], w)
			}
		}
		for i := range c.Deployments {
			d := &c.Deployments[i]
			add(Workload{Kind: "Deployment", Meta: &d.ObjectMeta, Template: &d.Spec.Template})
		}
		for i := range c.StatefulSets {
			s := &c.StatefulSets[i]
			add(Workload{Kind: "StatefulSet", Meta: &s.ObjectMeta, Template: &s.Spec.Template})
		}
		for i := range c.DaemonSets {
			d := &c.DaemonSets[i]
			add(Workload{Kind: "DaemonSet", Meta: &d.ObjectMeta, Template: &d.Spec.Template})
		}
		x.gatedPods = map[string][]*GatedPod{}
		for i := range c.GatedPods {
			pod := &c.GatedPods[i]
			x.gatedPods[pod.Metadata.Namespace] = append(x.gatedPods[pod.Metadata.Namespace], pod)
		}
		c.idx = x
	})
	return c.idx
}

// GatewayGroup is the Gateway API's group.
const GatewayGroup = "gateway.networking.k8s.io"

// ParentGateway reads a route's parentRef: whether it names a Gateway (the
// defaults: group gateway.networking.k8s.io, kind Gateway), and the
// namespace it is in (the route's unless set).
func ParentGateway(routeNS string, p ParentReference) (ns string, isGateway bool) {
	ns = routeNS
	if p.Namespace != nil && *p.Namespace != "" {
		ns = *p.Namespace
	}
	group, kind := GatewayGroup, "Gateway"
	if p.Group != nil {
		group = *p.Group
	}
	if p.Kind != nil {
		kind = *p.Kind
	}
	return ns, group == GatewayGroup && kind == "Gateway"
}

// RoutesOf returns the HTTPRoutes that name the Gateway as a parent, as
// ParentGateway reads their parentRefs.
func (c *Cluster) RoutesOf(gw *Gateway) []*HTTPRoute {
	var out []*HTTPRoute
	for i := range c.HTTPRoutes {
		r := &c.HTTPRoutes[i]
		for _, p := range r.Spec.ParentRefs {
			if ns, isGateway := ParentGateway(r.Namespace, p); isGateway && p.Name == gw.Name && ns == gw.Namespace {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// Service returns the Service ns/name, or nil.
func (c *Cluster) Service(ns, name string) *corev1.Service {
	return c.index().services[ns+"/"+name]
}

// Ingress returns the Ingress ns/name, or nil.
func (c *Cluster) Ingress(ns, name string) *networkingv1.Ingress {
	return c.index().ingresses[ns+"/"+name]
}

// WorkloadsLabeled returns the workloads of a namespace whose Pod template
// has the label key=value: its Deployments, StatefulSets and DaemonSets in
// the order listed.
func (c *Cluster) WorkloadsLabeled(ns, key, value string) []Workload {
	return c.index().labeled[workloadLabel{ns, key, value}]
}

// GatedPodsIn returns the Pods of a namespace with the NEG readiness gate.
func (c *Cluster) GatedPodsIn(ns string) []*GatedPod {
	return c.index().gatedPods[ns]
}

// Focus is what the user narrowed a run to: namespaces, Ingresses and
// Gateways ("ns/name"). The empty Focus is everything.
type Focus struct {
	Namespaces []string
	Ingresses  []string
	Gateways   []string
}

// Empty reports whether the focus is everything.
func (f Focus) Empty() bool {
	return len(f.Namespaces) == 0 && len(f.Ingresses) == 0 && len(f.Gateways) == 0
}

// Includes reports whether an owner ("Ingress ns/name", "Gateway ns/name")
// is in focus.
func (f Focus) Includes(owner string) bool {
	if f.Empty() {
		return true
	}
	kind, ref, _ := strings.Cut(owner, " ")
	ns, _, _ := strings.Cut(ref, "/")
	if slices.Contains(f.Namespaces, ns) {
		return true
	}
	switch kind {
	case "Ingress":
		return slices.Contains(f.Ingresses, ref)
	case "Gateway":
		return slices.Contains(f.Gateways, ref)
	}
	return false
}

// Services returns the Services ("ns/name") the cluster's focused Ingresses
// and Gateways route to, and those of focused namespaces.
func (f Focus) Services(cl *Cluster) map[string]bool {
	out := map[string]bool{}
	for i := range cl.Ingresses {
		ing := &cl.Ingresses[i]
		if !f.Includes("Ingress " + ing.Namespace + "/" + ing.Name) {
			continue
		}
		if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
			out[ing.Namespace+"/"+b.Service.Name] = true
		}
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				if p.Backend.Service != nil {
					out[ing.Namespace+"/"+p.Backend.Service.Name] = true
				}
			}
		}
	}
	for i := range cl.Services {
		if slices.Contains(f.Namespaces, cl.Services[i].Namespace) {
			out[cl.Services[i].Namespace+"/"+cl.Services[i].Name] = true
		}
	}
	return out
}
