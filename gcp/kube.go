package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"

	"cloud.google.com/go/container/apiv1/containerpb"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	sigsjson "sigs.k8s.io/json"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inventory"
)

// kubeResource is one kind lbdiag lists from every cluster.
type kubeResource struct {
	source inventory.Source
	gvr    schema.GroupVersionResource
	// optional kinds come from CRDs or add-ons: a 404 means "not installed".
	optional bool
	// fieldSelectors, when set, lists once per selector.
	fieldSelectors []string
	// fallback are older versions of the same schema, listed in order
	// when the API server does not serve gvr's version.
	fallback []string
	// decode decodes one list item into the cluster's typed slice and
	// returns its namespace and name.
	decode func(c *inventory.Cluster, raw []byte) (ns, name string, err error)
}

// kubeResources are the kinds listed from every cluster, in all
// namespaces. Secrets and ConfigMaps are never read.
var kubeResources = []kubeResource{
	{source: inventory.KubeIngresses, gvr: gvr("networking.k8s.io", "v1", "ingresses"), decode: into(func(c *inventory.Cluster) *[]networkingv1.Ingress { return &c.Ingresses }, metaOfIngress)},
	{source: inventory.KubeServices, gvr: gvr("", "v1", "services"), decode: into(func(c *inventory.Cluster) *[]corev1.Service { return &c.Services }, func(o *corev1.Service) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeDeployments, gvr: gvr("apps", "v1", "deployments"), decode: into(func(c *inventory.Cluster) *[]appsv1.Deployment { return &c.Deployments }, func(o *appsv1.Deployment) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeStatefulSets, gvr: gvr("apps", "v1", "statefulsets"), decode: into(func(c *inventory.Cluster) *[]appsv1.StatefulSet { return &c.StatefulSets }, func(o *appsv1.StatefulSet) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeDaemonSets, gvr: gvr("apps", "v1", "daemonsets"), decode: into(func(c *inventory.Cluster) *[]appsv1.DaemonSet { return &c.DaemonSets }, func(o *appsv1.DaemonSet) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeNodes, gvr: gvr("", "v1", "nodes"), decode: into(func(c *inventory.Cluster) *[]corev1.Node { return &c.Nodes }, func(o *corev1.Node) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeBackendConfigs, gvr: gvr("cloud.google.com", "v1", "backendconfigs"), optional: true, decode: into(func(c *inventory.Cluster) *[]inventory.BackendConfig { return &c.BackendConfigs }, func(o *inventory.BackendConfig) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeFrontendConfigs, gvr: gvr("networking.gke.io", "v1beta1", "frontendconfigs"), optional: true, decode: into(func(c *inventory.Cluster) *[]inventory.FrontendConfig { return &c.FrontendConfigs }, func(o *inventory.FrontendConfig) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeManagedCertificates, gvr: gvr("networking.gke.io", "v1", "managedcertificates"), optional: true, decode: into(func(c *inventory.Cluster) *[]inventory.ManagedCertificate { return &c.ManagedCertificates }, func(o *inventory.ManagedCertificate) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeServiceNEGs, gvr: gvr("networking.gke.io", "v1beta1", "servicenetworkendpointgroups"), optional: true, decode: into(func(c *inventory.Cluster) *[]inventory.ServiceNetworkEndpointGroup { return &c.ServiceNEGs }, func(o *inventory.ServiceNetworkEndpointGroup) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeGatewayClasses, gvr: gvr("gateway.networking.k8s.io", "v1", "gatewayclasses"), optional: true, decode: into(func(c *inventory.Cluster) *[]inventory.GatewayClass { return &c.GatewayClasses }, func(o *inventory.GatewayClass) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeGateways, gvr: gvr("gateway.networking.k8s.io", "v1", "gateways"), optional: true, decode: into(func(c *inventory.Cluster) *[]inventory.Gateway { return &c.Gateways }, func(o *inventory.Gateway) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeHTTPRoutes, gvr: gvr("gateway.networking.k8s.io", "v1", "httproutes"), optional: true, decode: into(func(c *inventory.Cluster) *[]inventory.HTTPRoute { return &c.HTTPRoutes }, func(o *inventory.HTTPRoute) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeGCPBackendPolicies, gvr: gvr("networking.gke.io", "v1", "gcpbackendpolicies"), optional: true, decode: into(func(c *inventory.Cluster) *[]inventory.GCPBackendPolicy { return &c.GCPBackendPolicies }, func(o *inventory.GCPBackendPolicy) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeHealthCheckPolicies, gvr: gvr("networking.gke.io", "v1", "healthcheckpolicies"), optional: true, decode: into(func(c *inventory.Cluster) *[]inventory.HealthCheckPolicy { return &c.HealthCheckPolicies }, func(o *inventory.HealthCheckPolicy) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeGCPGatewayPolicies, gvr: gvr("networking.gke.io", "v1", "gcpgatewaypolicies"), optional: true, decode: into(func(c *inventory.Cluster) *[]inventory.GCPGatewayPolicy { return &c.GCPGatewayPolicies }, func(o *inventory.GCPGatewayPolicy) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeGRPCRoutes, gvr: gvr("gateway.networking.k8s.io", "v1", "grpcroutes"), optional: true, decode: into(func(c *inventory.Cluster) *[]inventory.GRPCRoute { return &c.GRPCRoutes }, func(o *inventory.GRPCRoute) *metav1.ObjectMeta { return &o.ObjectMeta })},
	// ReferenceGrant is v1 since Gateway API v1.5; older CRDs serve only
	// v1beta1, with the same schema.
	{source: inventory.KubeReferenceGrants, gvr: gvr("gateway.networking.k8s.io", "v1", "referencegrants"), fallback: []string{"v1beta1"}, optional: true,
		decode: into(func(c *inventory.Cluster) *[]inventory.ReferenceGrant { return &c.ReferenceGrants }, func(o *inventory.ReferenceGrant) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeTrafficPolicies, gvr: gvr("networking.gke.io", "v1", "gcptrafficdistributionpolicies"), optional: true,
		decode: into(func(c *inventory.Cluster) *[]inventory.GCPTrafficDistributionPolicy { return &c.TrafficPolicies }, func(o *inventory.GCPTrafficDistributionPolicy) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeNamespaceList, gvr: gvr("", "v1", "namespaces"), decode: into(func(c *inventory.Cluster) *[]corev1.Namespace { return &c.Namespaces }, func(o *corev1.Namespace) *metav1.ObjectMeta { return &o.ObjectMeta })},
	{source: inventory.KubeEndpointSlices, gvr: gvr("discovery.k8s.io", "v1", "endpointslices"), decode: into(func(c *inventory.Cluster) *[]discoveryv1.EndpointSlice { return &c.EndpointSlices }, func(o *discoveryv1.EndpointSlice) *metav1.ObjectMeta { return &o.ObjectMeta })},
	// Pods: only those with GKE's NEG readiness gate are kept, and of
	// them only what the gate's rule reads.
	{source: inventory.KubePods, gvr: gvr("", "v1", "pods"), decode: gatedPod},
	{source: inventory.KubeEvents, gvr: gvr("", "v1", "events"), fieldSelectors: inventory.EventSelectors(),
		decode: into(func(c *inventory.Cluster) *[]corev1.Event { return &c.Events }, func(o *corev1.Event) *metav1.ObjectMeta { return &o.ObjectMeta })},
}

func metaOfIngress(o *networkingv1.Ingress) *metav1.ObjectMeta { return &o.ObjectMeta }

// gatedPod decodes a Pod into a GatedPod, kept when it has the NEG
// readiness gate.
func gatedPod(c *inventory.Cluster, raw []byte) (string, string, error) {
	var pod inventory.GatedPod
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, &pod); err != nil {
		ns, name := objectName(raw)
		return ns, name, err
	}
	if pod.Gated() {
		c.GatedPods = append(c.GatedPods, pod)
	}
	return pod.Metadata.Namespace, pod.Metadata.Name, nil
}

func gvr(group, version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
}

// into decodes one item, as the API server wrote it, into a T appended to
// the slice field returns.
func into[T any](field func(c *inventory.Cluster) *[]T, meta func(*T) *metav1.ObjectMeta) func(c *inventory.Cluster, raw []byte) (string, string, error) {
	return func(c *inventory.Cluster, raw []byte) (string, string, error) {
		var obj T
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, &obj); err != nil {
			ns, name := objectName(raw)
			return ns, name, err
		}
		m := meta(&obj)
		trim(m, &obj)
		*field(c) = append(*field(c), obj)
		return m.Namespace, m.Name, nil
	}
}

// trim drops from a decoded object what no rule reads and a big cluster
// holds a lot of: which fields each manager owns (managedFields' fieldsV1,
// often as large as the rest of the object; the managers and their times
// stay), all of a node but its name, UID and creation time, of an
// EndpointSlice its copied labels and each endpoint's Pod
// (trimEndpointSlice), and of a workload its labels, selector, status and
// most of its Pod template (trimWorkload). The bundle keeps the answers
// as they came. A rule that comes to read more must keep it here;
// TestTrimChangesNoJudgement compares the rules' judgement with and
// without the trimming on the recorded projects.
func trim(m *metav1.ObjectMeta, obj any) {
	for i := range m.ManagedFields {
		m.ManagedFields[i].FieldsV1 = nil
	}
	switch o := obj.(type) {
	case *corev1.Node:
		// Rules read a node's name (which instances are the cluster's)
		// and count the nodes; its labels, conditions, capacity and the
		// images it has pulled are most of a real node's size.
		*o = corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: m.Name, UID: m.UID, CreationTimestamp: m.CreationTimestamp}}
	case *discoveryv1.EndpointSlice:
		trimEndpointSlice(o)
	case *appsv1.Deployment:
		trimWorkload(m, &o.Spec.Selector, &o.Spec.Template)
		o.Status = appsv1.DeploymentStatus{}
	case *appsv1.StatefulSet:
		trimWorkload(m, &o.Spec.Selector, &o.Spec.Template)
		o.Spec.VolumeClaimTemplates = nil
		o.Status = appsv1.StatefulSetStatus{}
	case *appsv1.DaemonSet:
		trimWorkload(m, &o.Spec.Selector, &o.Spec.Template)
		o.Status = appsv1.DaemonSetStatus{}
	}
}

// trimWorkload keeps of a workload what the rules read: its name,
// namespace and managed fields (who changed it last), and of its Pod
// template what trimPodTemplate keeps. Rules find a Service's workloads
// by the Pod template's labels, never by the workload's own labels or
// selector, and read none of its annotations.
func trimWorkload(m *metav1.ObjectMeta, selector **metav1.LabelSelector, t *corev1.PodTemplateSpec) {
	m.Labels, m.Annotations, m.OwnerReferences, m.Finalizers = nil, nil, nil, nil
	*selector = nil
	trimPodTemplate(t)
}

// trimEndpointSlice keeps of an EndpointSlice what the rules and traces
// read: its name, namespace, creation time and managed fields (when it
// last changed), its kubernetes.io/service-name label, its ports, and of
// each endpoint the addresses, ready condition, zone and node. The
// controller also copies the Service's labels onto each slice and names
// each endpoint's Pod (targetRef), which on a real cluster is most of a
// slice's size.
func trimEndpointSlice(es *discoveryv1.EndpointSlice) {
	if svc, ok := es.Labels[discoveryv1.LabelServiceName]; !ok || len(es.Labels) > 1 {
		es.Labels = nil
		if ok {
			es.Labels = map[string]string{discoveryv1.LabelServiceName: svc}
		}
	}
	es.Annotations, es.OwnerReferences = nil, nil
	for i := range es.Endpoints {
		ep := &es.Endpoints[i]
		ep.TargetRef, ep.Hostname, ep.Hints, ep.DeprecatedTopology = nil, nil, nil, nil
		ep.Conditions.Serving, ep.Conditions.Terminating = nil, nil
	}
}

// trimPodTemplate keeps of a workload's Pod template what the rules read:
// its metadata, its grace period, and each container's name, ports,
// readiness probe and lifecycle hooks. Environment, resources, volumes,
// security contexts, affinity, init containers and the rest are often
// most of a real workload's size.
func trimPodTemplate(t *corev1.PodTemplateSpec) {
	containers := make([]corev1.Container, len(t.Spec.Containers))
	for i, c := range t.Spec.Containers {
		containers[i] = corev1.Container{Name: c.Name, Ports: c.Ports, ReadinessProbe: c.ReadinessProbe, Lifecycle: c.Lifecycle}
	}
	t.Spec = corev1.PodSpec{Containers: containers, TerminationGracePeriodSeconds: t.Spec.TerminationGracePeriodSeconds}
}

// objectName reads the namespace and name of an item that does not decode
// into its type.
func objectName(raw []byte) (string, string) {
	var o struct {
		Metadata struct {
			Namespace string `json:"namespace"`
			Name      string `json:"name"`
		} `json:"metadata"`
	}
	json.Unmarshal(raw, &o)
	return o.Metadata.Namespace, o.Metadata.Name
}

// kubeClient lists one cluster's objects over lbdiag's transport.
type kubeClient struct {
	http *http.Client
	host string
	// pageSize is the limit of each list request.
	pageSize int
}

// collectCluster lists every kubeResource from one cluster. The Ingress list
// goes first: if the API server cannot be reached at all, or rejects the
// credentials, the cluster gets one coverage entry instead of one per kind.
func (c *collector) collectCluster(ctx context.Context, cl *inventory.Cluster) {
	if c.opts.Replay != nil {
		c.replayCluster(ctx, cl)
		return
	}
	if r, ok := c.reachOrCover(ctx, cl); ok {
		c.listKube(ctx, cl, r.client, r.probe)
	}
}

// reachOrCover reaches a cluster's API (recording how in cl.Access); when
// no path answers, the cluster is one coverage gap with the cause and
// fix, and ok is false.
func (c *collector) reachOrCover(ctx context.Context, cl *inventory.Cluster) (reached, bool) {
	r := c.reach(ctx, cl)
	cl.Access = &r.access
	if r.client == nil {
		c.cover(inventory.Coverage{Source: inventory.KubeAPI, Scope: cl.Scope(), Status: inventory.StatusError,
			Error: c.bound(accessError(r.access)), Hint: accessHint(cl.Info, cl.Project, r.access)})
		return r, false
	}
	return r, true
}

// replayCluster lists a recorded cluster: the recording says how it was
// reached, and answers every request the run made on that path.
func (c *collector) replayCluster(ctx context.Context, cl *inventory.Cluster) {
	for _, a := range c.opts.Replay.Manifest.ClusterAccess {
		if a.Cluster == cl.Location()+"/"+cl.Name() {
			a := a
			cl.Access = &a
		}
	}
	switch {
	case cl.Access != nil && cl.Access.Via == inventory.ViaNone:
		c.cover(inventory.Coverage{Source: inventory.KubeAPI, Scope: cl.Scope(), Status: inventory.StatusError,
			Error: accessError(*cl.Access), Hint: accessHint(cl.Info, cl.Project, *cl.Access)})
		return
	case cl.Access == nil && cl.Info.GetEndpoint() == "":
		// A recording without access records (before lbdiag v0.3) of a
		// cluster without an endpoint: the run could not reach it.
		c.cover(inventory.Coverage{Source: inventory.KubeAPI, Scope: cl.Scope(), Status: inventory.StatusError,
			Error: fmt.Sprintf("the cluster has no endpoint (status %s)", cl.Info.GetStatus()), Hint: clusterStatusHint(cl.Info.GetStatus())})
		return
	}
	cfg := &rest.Config{Host: "https://" + firstNonEmpty(cl.Info.GetEndpoint(), "recorded.invalid"), UserAgent: c.userAgent(),
		QPS: 1000, Burst: 1000, WarningHandler: rest.NoWarnings{}, Transport: c.transport(kubeAPILabel(cl.Info), nil)}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		c.cover(inventory.Coverage{Source: inventory.KubeAPI, Scope: cl.Scope(), Status: inventory.StatusError, Error: c.errorText(err)})
		return
	}
	c.listKube(ctx, cl, &kubeClient{http: hc, host: cfg.Host, pageSize: c.opts.kubePageSize()}, nil)
}

// listKube lists every kind from a cluster's API; probe, when set, is the
// kube-system Namespace the path's probe already read.
func (c *collector) listKube(ctx context.Context, cl *inventory.Cluster, client *kubeClient, probe *probeAnswer) {
	scope := cl.Scope()
	var mu sync.Mutex
	run := func(r kubeResource) error {
		var bad []inventory.Coverage
		err := client.list(ctx, r, func(raw []byte) {
			mu.Lock()
			defer mu.Unlock()
			if ns, name, err := r.decode(cl, raw); err != nil {
				bad = append(bad, inventory.Coverage{Source: r.source, Scope: inventory.ObjectScope(scope, r.gvr.Resource, ns, name),
					Status: inventory.StatusError, Error: c.errorText(fmt.Errorf("decoding %s: %w", r.gvr.Resource, err)),
					Hint: "this object does not match its kind's schema, so lbdiag skipped it; the other objects of its kind were checked. Fix the object: kubectl get " + r.gvr.GroupResource().String() + " " + name + namespaceFlag(ns) + " -o yaml"})
			}
		})
		if err != nil {
			if r.optional && apierrors.IsNotFound(err) {
				c.cover(inventory.Coverage{Source: r.source, Scope: scope, Status: inventory.StatusNotInstalled})
				return nil
			}
			return err
		}
		for _, b := range bad {
			c.cover(b)
		}
		c.cover(inventory.Coverage{Source: r.source, Scope: scope, Status: inventory.StatusOK})
		return nil
	}
	fail := func(r kubeResource, err error) {
		c.cover(inventory.Coverage{Source: r.source, Scope: scope, Status: inventory.StatusError,
			Error: c.errorText(err), Hint: c.kubeHint(ctx, err, "list on "+r.gvr.GroupResource().String()+" in all namespaces", cl)})
	}

	// The first list proves the API server answers and accepts lbdiag's
	// credentials. If it does not, the cluster is one gap.
	first := kubeResources[0]
	if err := run(first); err != nil {
		var status apierrors.APIStatus
		if !errors.As(err, &status) || apierrors.IsUnauthorized(err) {
			c.cover(inventory.Coverage{Source: inventory.KubeAPI, Scope: scope, Status: inventory.StatusError,
				Error: c.errorText(err), Hint: c.kubeHint(ctx, err, "", cl)})
			return
		}
		fail(first, err)
	}
	c.cover(inventory.Coverage{Source: inventory.KubeAPI, Scope: scope, Status: inventory.StatusOK})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if probe == nil {
			probe = &probeAnswer{}
			probe.err = client.get(ctx, probePath, &probe.namespace)
		}
		ns, err := probe.namespace, probe.err
		if err != nil {
			c.cover(inventory.Coverage{Source: inventory.KubeNamespaces, Scope: scope, Status: inventory.StatusError,
				Error: c.errorText(fmt.Errorf("getting namespace kube-system: %w", err)), Hint: c.kubeHint(ctx, err, "get on the namespace kube-system", cl)})
			return
		}
		mu.Lock()
		cl.KubeSystemUID = ns.Metadata.UID
		mu.Unlock()
		c.cover(inventory.Coverage{Source: inventory.KubeNamespaces, Scope: scope, Status: inventory.StatusOK})
	}()
	for _, r := range kubeResources[1:] {
		if reason, ok := c.opts.skip(r.source); ok {
			c.coverSkipped(r.source, scope, reason)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(r); err != nil {
				fail(r, err)
			}
		}()
	}
	wg.Wait()
	sortClusterObjects(cl)
}

func namespaceFlag(ns string) string {
	if ns == "" {
		return ""
	}
	return " -n " + ns
}

// maxKubePages bounds the pages of one list: a server that never stops
// paging must not hold the run.
const maxKubePages = 10000

// errRepeatedContinue is a list whose server sent the same continue token
// twice: following it would never end.
var errRepeatedContinue = errors.New("the API server returned the same continue token again: the list was stopped")

// list reads every page of one resource in all namespaces (once per field
// selector) and calls item with each item's raw JSON. A continue token that
// expired (410 Expired, the list outlived etcd's compaction) restarts the
// list once from the beginning; items already delivered are then dropped
// by the caller's decode of a fresh slice.
func (k *kubeClient) list(ctx context.Context, r kubeResource, item func(raw []byte)) error {
	selectors := r.fieldSelectors
	if len(selectors) == 0 {
		selectors = []string{""}
	}
	for _, sel := range selectors {
		var pages [][]json.RawMessage
		err := k.pages(ctx, r, sel, func(items []json.RawMessage) { pages = append(pages, items) })
		for _, v := range r.fallback {
			if !apierrors.IsNotFound(err) {
				break
			}
			r.gvr.Version = v
			err = k.pages(ctx, r, sel, func(items []json.RawMessage) { pages = append(pages, items) })
		}
		if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			pages = nil
			err = k.pages(ctx, r, sel, func(items []json.RawMessage) { pages = append(pages, items) })
			if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
				err = &expiredTwiceError{err: err}
			}
		}
		if err != nil {
			return fmt.Errorf("listing %s: %w", r.gvr.GroupResource(), err)
		}
		for _, p := range pages {
			for _, raw := range p {
				item(raw)
			}
		}
	}
	return nil
}

// expiredTwiceError is a list whose continue token expired again after a
// restart.
type expiredTwiceError struct{ err error }

func (e *expiredTwiceError) Error() string {
	return "the list's continue token expired twice (410 Expired): " + e.err.Error()
}
func (e *expiredTwiceError) Unwrap() error { return e.err }

// kubeList is a list answer with its items left undecoded.
type kubeList struct {
	Metadata struct {
		Continue string `json:"continue"`
	} `json:"metadata"`
	Items []json.RawMessage `json:"items"`
}

func (k *kubeClient) pages(ctx context.Context, r kubeResource, selector string, page func([]json.RawMessage)) error {
	seen := map[string]bool{}
	token := ""
	for n := 0; ; n++ {
		if n == maxKubePages {
			return fmt.Errorf("the list did not end after %d pages", maxKubePages)
		}
		q := url.Values{}
		q.Set("limit", strconv.Itoa(k.pageSize))
		if token != "" {
			q.Set("continue", token)
		}
		if selector != "" {
			q.Set("fieldSelector", selector)
		}
		var l kubeList
		if err := k.get(ctx, resourcePath(r.gvr)+"?"+q.Encode(), &l); err != nil {
			return err
		}
		page(l.Items)
		token = l.Metadata.Continue
		if token == "" {
			return nil
		}
		if seen[token] {
			return errRepeatedContinue
		}
		seen[token] = true
	}
}

// resourcePath is the cluster-wide list path of a resource.
func resourcePath(g schema.GroupVersionResource) string {
	if g.Group == "" {
		return "/api/" + g.Version + "/" + g.Resource
	}
	return "/apis/" + g.Group + "/" + g.Version + "/" + g.Resource
}

// get reads one JSON answer. An error status becomes the API server's
// Status as an apierrors.StatusError.
func (k *kubeClient) get(ctx context.Context, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.host+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := recording.ReadBody(resp.Body)
	if err != nil {
		return &bodyReadError{err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return kubeStatusError(resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return &decodeError{err: err}
	}
	return nil
}

// kubeStatusError turns an error answer into the API server's Status.
func kubeStatusError(code int, body []byte) error {
	var st metav1.Status
	if json.Unmarshal(body, &st) != nil || st.Kind != "Status" {
		// Not the API server's answer: Google's front end, a proxy.
		st = metav1.Status{Status: metav1.StatusFailure, Code: int32(code), Reason: reasonForCode(code),
			Message: fmt.Sprintf("the server answered %d %s", code, http.StatusText(code))}
		return &frontEndError{StatusError: &apierrors.StatusError{ErrStatus: st}, code: code, message: frontEndMessage(body)}
	}
	if st.Code == 0 {
		st.Code = int32(code)
	}
	if st.Reason == "" {
		st.Reason = reasonForCode(code)
	}
	return &apierrors.StatusError{ErrStatus: st}
}

func reasonForCode(code int) metav1.StatusReason {
	switch code {
	case http.StatusUnauthorized:
		return metav1.StatusReasonUnauthorized
	case http.StatusForbidden:
		return metav1.StatusReasonForbidden
	case http.StatusNotFound:
		return metav1.StatusReasonNotFound
	case http.StatusGone:
		return metav1.StatusReasonExpired
	case http.StatusTooManyRequests:
		return metav1.StatusReasonTooManyRequests
	}
	return metav1.StatusReasonUnknown
}

// decodeError is an answer that is not the JSON it should be: truncated,
// or not JSON at all.
type decodeError struct{ err error }

func (e *decodeError) Error() string { return "decoding the answer: " + e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

// sortClusterObjects orders events by time so that rules see the newest
// last; the API already returns other kinds in namespace/name order.
func sortClusterObjects(cl *inventory.Cluster) {
	// Every kind in the order a real API server lists it (by namespace,
	// then name), whatever order the pages came in, so that no verdict or
	// message depends on it.
	byName(cl.Ingresses, func(o *networkingv1.Ingress) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.Services, func(o *corev1.Service) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.Deployments, func(o *appsv1.Deployment) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.StatefulSets, func(o *appsv1.StatefulSet) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.DaemonSets, func(o *appsv1.DaemonSet) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.Nodes, func(o *corev1.Node) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.BackendConfigs, func(o *inventory.BackendConfig) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.FrontendConfigs, func(o *inventory.FrontendConfig) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.ManagedCertificates, func(o *inventory.ManagedCertificate) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.ServiceNEGs, func(o *inventory.ServiceNetworkEndpointGroup) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.GatewayClasses, func(o *inventory.GatewayClass) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.Gateways, func(o *inventory.Gateway) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.HTTPRoutes, func(o *inventory.HTTPRoute) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.GCPBackendPolicies, func(o *inventory.GCPBackendPolicy) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.HealthCheckPolicies, func(o *inventory.HealthCheckPolicy) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.GCPGatewayPolicies, func(o *inventory.GCPGatewayPolicy) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.EndpointSlices, func(o *discoveryv1.EndpointSlice) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.GRPCRoutes, func(o *inventory.GRPCRoute) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.ReferenceGrants, func(o *inventory.ReferenceGrant) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.TrafficPolicies, func(o *inventory.GCPTrafficDistributionPolicy) *metav1.ObjectMeta { return &o.ObjectMeta })
	byName(cl.Namespaces, func(o *corev1.Namespace) *metav1.ObjectMeta { return &o.ObjectMeta })
	sort.SliceStable(cl.Events, func(i, j int) bool {
		return inventory.EventTime(&cl.Events[i]).Before(inventory.EventTime(&cl.Events[j]))
	})
}

func byName[T any](s []T, meta func(*T) *metav1.ObjectMeta) {
	sort.SliceStable(s, func(i, j int) bool {
		a, b := meta(&s[i]), meta(&s[j])
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}

func kubeAPILabel(cl *containerpb.Cluster) string {
	return recording.KubeAPI(cl.GetLocation(), cl.GetName())
}
