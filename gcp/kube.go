package gcp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/pager"

	"cloud.google.com/go/container/apiv1/containerpb"

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
	store          func(c *inventory.Cluster, items []unstructured.Unstructured) error
}

// kubeResources are the kinds listed from every cluster, in all
// namespaces. Secrets and ConfigMaps are never read.
var kubeResources = []kubeResource{
	{source: inventory.KubeIngresses, gvr: gvr("networking.k8s.io", "v1", "ingresses"), store: storeAs(func(c *inventory.Cluster) *[]networkingv1.Ingress { return &c.Ingresses })},
	{source: inventory.KubeServices, gvr: gvr("", "v1", "services"), store: storeAs(func(c *inventory.Cluster) *[]corev1.Service { return &c.Services })},
	{source: inventory.KubeDeployments, gvr: gvr("apps", "v1", "deployments"), store: storeAs(func(c *inventory.Cluster) *[]appsv1.Deployment { return &c.Deployments })},
	{source: inventory.KubeStatefulSets, gvr: gvr("apps", "v1", "statefulsets"), store: storeAs(func(c *inventory.Cluster) *[]appsv1.StatefulSet { return &c.StatefulSets })},
	{source: inventory.KubeDaemonSets, gvr: gvr("apps", "v1", "daemonsets"), store: storeAs(func(c *inventory.Cluster) *[]appsv1.DaemonSet { return &c.DaemonSets })},
	{source: inventory.KubeNodes, gvr: gvr("", "v1", "nodes"), store: storeAs(func(c *inventory.Cluster) *[]corev1.Node { return &c.Nodes })},
	{source: inventory.KubeBackendConfigs, gvr: gvr("cloud.google.com", "v1", "backendconfigs"), optional: true, store: storeAs(func(c *inventory.Cluster) *[]inventory.BackendConfig { return &c.BackendConfigs })},
	{source: inventory.KubeFrontendConfigs, gvr: gvr("networking.gke.io", "v1beta1", "frontendconfigs"), optional: true, store: storeAs(func(c *inventory.Cluster) *[]inventory.FrontendConfig { return &c.FrontendConfigs })},
	{source: inventory.KubeManagedCertificates, gvr: gvr("networking.gke.io", "v1", "managedcertificates"), optional: true, store: storeAs(func(c *inventory.Cluster) *[]inventory.ManagedCertificate { return &c.ManagedCertificates })},
	{source: inventory.KubeServiceNEGs, gvr: gvr("networking.gke.io", "v1beta1", "servicenetworkendpointgroups"), optional: true, store: storeAs(func(c *inventory.Cluster) *[]inventory.ServiceNetworkEndpointGroup { return &c.ServiceNEGs })},
	{source: inventory.KubeGatewayClasses, gvr: gvr("gateway.networking.k8s.io", "v1", "gatewayclasses"), optional: true, store: storeAs(func(c *inventory.Cluster) *[]inventory.GatewayClass { return &c.GatewayClasses })},
	{source: inventory.KubeGateways, gvr: gvr("gateway.networking.k8s.io", "v1", "gateways"), optional: true, store: storeAs(func(c *inventory.Cluster) *[]inventory.Gateway { return &c.Gateways })},
	{source: inventory.KubeHTTPRoutes, gvr: gvr("gateway.networking.k8s.io", "v1", "httproutes"), optional: true, store: storeAs(func(c *inventory.Cluster) *[]inventory.HTTPRoute { return &c.HTTPRoutes })},
	{source: inventory.KubeGCPBackendPolicies, gvr: gvr("networking.gke.io", "v1", "gcpbackendpolicies"), optional: true, store: storeAs(func(c *inventory.Cluster) *[]inventory.GCPBackendPolicy { return &c.GCPBackendPolicies })},
	{source: inventory.KubeHealthCheckPolicies, gvr: gvr("networking.gke.io", "v1", "healthcheckpolicies"), optional: true, store: storeAs(func(c *inventory.Cluster) *[]inventory.HealthCheckPolicy { return &c.HealthCheckPolicies })},
	{source: inventory.KubeGCPGatewayPolicies, gvr: gvr("networking.gke.io", "v1", "gcpgatewaypolicies"), optional: true, store: storeAs(func(c *inventory.Cluster) *[]inventory.GCPGatewayPolicy { return &c.GCPGatewayPolicies })},
	{source: inventory.KubeEndpointSlices, gvr: gvr("discovery.k8s.io", "v1", "endpointslices"), store: storeAs(func(c *inventory.Cluster) *[]discoveryv1.EndpointSlice { return &c.EndpointSlices })},
	{source: inventory.KubeEvents, gvr: gvr("", "v1", "events"), fieldSelectors: []string{
		"source=loadbalancer-controller", "source=neg-controller", "source=sc-gateway-controller",
	}, store: storeAs(func(c *inventory.Cluster) *[]corev1.Event { return &c.Events })},
}

func gvr(group, version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
}

// storeAs decodes unstructured items into the typed slice field returns,
// appending to it.
func storeAs[T any](field func(c *inventory.Cluster) *[]T) func(c *inventory.Cluster, items []unstructured.Unstructured) error {
	return func(c *inventory.Cluster, items []unstructured.Unstructured) error {
		out, err := DecodeKubeItems[T](items)
		if err != nil {
			return err
		}
		*field(c) = append(*field(c), out...)
		return nil
	}
}

// DecodeKubeItems converts unstructured objects into their Go type.
func DecodeKubeItems[T any](items []unstructured.Unstructured) ([]T, error) {
	out := make([]T, len(items))
	for i := range items {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(items[i].Object, &out[i]); err != nil {
			return nil, fmt.Errorf("decoding %s %s/%s: %w", items[i].GetKind(), items[i].GetNamespace(), items[i].GetName(), err)
		}
	}
	return out, nil
}

// kubeConfig builds the client configuration for a cluster: its endpoint,
// the CA from masterAuth, and lbdiag's transport chain (which adds the
// Google bearer token).
func (c *collector) kubeConfig(cl *containerpb.Cluster) (*rest.Config, error) {
	api := kubeAPILabel(cl)
	cfg := &rest.Config{
		Host:           "https://" + cl.GetEndpoint(),
		UserAgent:      c.userAgent(),
		QPS:            1000, // lbdiag's own limiter bounds the rate
		Burst:          1000,
		WarningHandler: rest.NoWarnings{},
	}
	if c.opts.Replay != nil {
		cfg.Transport = c.transport(api, nil)
		return cfg, nil
	}
	ca, err := base64.StdEncoding.DecodeString(cl.GetMasterAuth().GetClusterCaCertificate())
	if err != nil {
		return nil, fmt.Errorf("decoding masterAuth.clusterCaCertificate: %w", err)
	}
	cfg.TLSClientConfig.CAData = ca
	cfg.Dial = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return c.transport(api, rt) }
	return cfg, nil
}

// collectCluster lists every kubeResource from one cluster. The Ingress list
// goes first: if the API server cannot be reached at all, the cluster gets
// one coverage entry instead of one per kind.
func (c *collector) collectCluster(ctx context.Context, cl *inventory.Cluster) {
	scope := cl.Scope()
	if cl.Info.GetEndpoint() == "" {
		c.cover(inventory.Coverage{Source: inventory.KubeAPI, Scope: scope, Status: inventory.StatusSkipped,
			Error: fmt.Sprintf("the cluster has no endpoint (status %s)", cl.Info.GetStatus()),
			Hint:  "the cluster is not running; its Kubernetes objects were not inspected"})
		return
	}
	cfg, err := c.kubeConfig(cl.Info)
	if err == nil {
		var client *dynamic.DynamicClient
		client, err = dynamic.NewForConfig(cfg)
		if err == nil {
			c.listKube(ctx, cl, client)
			return
		}
	}
	c.cover(inventory.Coverage{Source: inventory.KubeAPI, Scope: scope, Status: inventory.StatusError,
		Error: errorText(err), Hint: "the cluster's endpoint or CA certificate in the GKE API is unusable"})
}

func (c *collector) listKube(ctx context.Context, cl *inventory.Cluster, client dynamic.Interface) {
	scope := cl.Scope()
	var mu sync.Mutex
	run := func(r kubeResource) error {
		items, err := listKubeResource(ctx, client, r)
		if err != nil {
			if r.optional && apierrors.IsNotFound(err) {
				c.cover(inventory.Coverage{Source: r.source, Scope: scope, Status: inventory.StatusNotInstalled})
				return nil
			}
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if err := r.store(cl, items); err != nil {
			return err
		}
		c.cover(inventory.Coverage{Source: r.source, Scope: scope, Status: inventory.StatusOK})
		return nil
	}
	fail := func(r kubeResource, err error) {
		c.cover(inventory.Coverage{Source: r.source, Scope: scope, Status: inventory.StatusError,
			Error: errorText(err), Hint: kubeHint(err, r.gvr.GroupResource().String())})
	}

	// The first list proves the API server answers at all.
	first := kubeResources[0]
	if err := run(first); err != nil {
		var status apierrors.APIStatus
		if !errors.As(err, &status) {
			c.cover(inventory.Coverage{Source: inventory.KubeAPI, Scope: scope, Status: inventory.StatusError,
				Error: errorText(err), Hint: kubeHint(err, "")})
			return
		}
		fail(first, err)
	}
	c.cover(inventory.Coverage{Source: inventory.KubeAPI, Scope: scope, Status: inventory.StatusOK})
	g := new(errgroup.Group)
	g.SetLimit(c.opts.concurrency())
	for _, r := range kubeResources[1:] {
		g.Go(func() error {
			if err := run(r); err != nil {
				fail(r, err)
			}
			return nil
		})
	}
	g.Wait()
	sortClusterObjects(cl)
}

// listKubeResource reads every page of one resource in all namespaces.
func listKubeResource(ctx context.Context, client dynamic.Interface, r kubeResource) ([]unstructured.Unstructured, error) {
	ri := client.Resource(r.gvr)
	p := pager.New(pager.SimplePageFunc(func(opts metav1.ListOptions) (runtime.Object, error) {
		return ri.List(ctx, opts)
	}))
	p.PageSize = pageSize
	selectors := r.fieldSelectors
	if len(selectors) == 0 {
		selectors = []string{""}
	}
	var items []unstructured.Unstructured
	for _, sel := range selectors {
		err := p.EachListItem(ctx, metav1.ListOptions{FieldSelector: sel}, func(obj runtime.Object) error {
			u, ok := obj.(*unstructured.Unstructured)
			if !ok {
				return fmt.Errorf("unexpected list item type %T", obj)
			}
			items = append(items, *u)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", r.gvr.GroupResource(), err)
		}
	}
	return items, nil
}

// sortClusterObjects orders events by time so that rules see the newest
// last; the API already returns other kinds in namespace/name order.
func sortClusterObjects(cl *inventory.Cluster) {
	sort.SliceStable(cl.Events, func(i, j int) bool {
		return inventory.EventTime(&cl.Events[i]).Before(inventory.EventTime(&cl.Events[j]))
	})
}

func kubeAPILabel(cl *containerpb.Cluster) string {
	return recording.KubeAPI(cl.GetLocation(), cl.GetName())
}
