// Package gcp reads Compute Engine, GKE and each cluster's Kubernetes API
// and returns an inventory with a coverage record.
//
// It only reads: every HTTP request goes through ReadOnly, which refuses
// anything but GET and the read-only getHealth/listNetworkEndpoints POSTs.
// It never judges what it reads; a source that could not be read becomes a
// coverage entry with the error and a hint, and collection goes on.
package gcp

import (
	"context"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/container/apiv1/containerpb"
	"golang.org/x/oauth2"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inventory"
)

// kubeMaxAttempts bounds the tries of one Kubernetes API call.
const kubeMaxAttempts = 3

// Default API endpoints.
const (
	DefaultComputeEndpoint   = "https://compute.googleapis.com/compute/v1/"
	DefaultContainerEndpoint = "https://container.googleapis.com/"
)

// Options configure one collection.
type Options struct {
	// Project is the project to inspect.
	Project string
	// Clusters limits the clusters inspected ("name" or "location/name").
	Clusters []string
	// ComputeEndpoint and ContainerEndpoint override the API base URLs.
	ComputeEndpoint   string
	ContainerEndpoint string
	// TokenSource authenticates live calls to every API, the clusters'
	// included. Unused in replay.
	TokenSource oauth2.TokenSource
	// Replay, when set, answers every call from a recording.
	Replay *recording.Recording
	// Recorder, when set, records every exchange of a live run.
	Recorder *recording.Recorder
	// CallLog, when set, logs every attempt of a live run.
	CallLog *recording.CallLog
	// Retry bounds retries; the zero value means DefaultRetryPolicy.
	Retry RetryPolicy
	// Concurrency bounds the calls in flight per API (default 8).
	Concurrency int
	// UserAgent is sent with every request.
	UserAgent string
	// Clock is the time source of the run: the collection time that rules
	// judge ages against (events, certificates) is Clock() at the start of
	// a live run. Nil means the system clock. Tests fix it so that their
	// outcome never depends on the date they run.
	Clock func() time.Time
}

func (o Options) now() time.Time {
	if o.Clock != nil {
		return o.Clock().UTC()
	}
	return time.Now().UTC()
}

func (o Options) concurrency() int {
	if o.Concurrency > 0 {
		return o.Concurrency
	}
	return 8
}

type collector struct {
	opts     Options
	base     http.RoundTripper
	limiters map[string]*rate.Limiter
	lmu      sync.Mutex

	mu       sync.Mutex
	coverage inventory.CoverageSet
	compute  inventory.Compute
}

// Collect reads the project. It returns an error only when the run cannot
// mean anything (a --cluster that names no cluster); every other failure is
// a coverage entry in the inventory.
func Collect(ctx context.Context, opts Options) (*inventory.Inventory, error) {
	if opts.Retry.MaxAttempts == 0 {
		opts.Retry = DefaultRetryPolicy
	}
	c := &collector{opts: opts, base: newBaseTransport(), limiters: map[string]*rate.Limiter{}}
	inv := &inventory.Inventory{Project: opts.Project, CollectedAt: opts.now(), ClustersSelected: len(opts.Clusters) > 0}
	if opts.Replay != nil {
		inv.CollectedAt = time.Time{}
		if at := opts.Replay.Manifest.RecordedAt; at != nil {
			inv.CollectedAt = *at
		}
	}

	svc, err := compute.NewService(ctx, c.clientOptions(recording.APICompute, opts.ComputeEndpoint, DefaultComputeEndpoint)...)
	if err != nil {
		return nil, err
	}

	var clusters []*containerpb.Cluster
	var selectErr error
	g := new(errgroup.Group)
	g.SetLimit(opts.concurrency())
	g.Go(func() error {
		clusters, selectErr = c.clusters(ctx)
		return nil
	})
	for _, t := range projectTasks {
		g.Go(func() error {
			c.runComputeTask(ctx, svc, opts.Project, t)
			return nil
		})
	}
	g.Wait()
	if selectErr != nil {
		return nil, selectErr
	}

	// Shared VPC: the host projects' subnetworks and firewalls.
	hosts := map[string]bool{}
	g = new(errgroup.Group)
	g.SetLimit(opts.concurrency())
	for _, cl := range clusters {
		host := (&inventory.Cluster{Info: cl, Project: opts.Project}).NetworkProject()
		if host == opts.Project || hosts[host] {
			continue
		}
		hosts[host] = true
		for _, t := range hostProjectTasks {
			g.Go(func() error {
				c.runComputeTask(ctx, svc, host, t)
				return nil
			})
		}
	}
	for _, cl := range clusters {
		ic := &inventory.Cluster{Info: cl, Project: opts.Project}
		inv.Clusters = append(inv.Clusters, ic)
		g.Go(func() error {
			c.collectCluster(ctx, ic)
			return nil
		})
	}
	g.Go(func() error {
		c.collectEffectiveFirewalls(ctx, svc, inv.Clusters)
		return nil
	})
	g.Wait()

	// Backend health needs the clusters' annotations and the backend
	// service list, both read by now.
	c.collectBackendHealth(ctx, svc, inv.Clusters)

	inv.Compute = c.compute
	sortCompute(&inv.Compute)
	inv.Coverage = c.coverage
	sort.SliceStable(inv.Coverage, func(i, j int) bool {
		a, b := inv.Coverage[i], inv.Coverage[j]
		if a.Scope != b.Scope {
			return a.Scope < b.Scope
		}
		return a.Source < b.Source
	})
	return inv, nil
}

func (c *collector) clusters(ctx context.Context) ([]*containerpb.Cluster, error) {
	project := c.opts.Project
	// The GKE client joins paths with a leading slash: the base URL must
	// not end in one.
	endpoint := strings.TrimRight(firstNonEmpty(c.opts.ContainerEndpoint, DefaultContainerEndpoint), "/")
	resp, err := listClusters(ctx, c.clientOptions(recording.APIContainer, endpoint, DefaultContainerEndpoint), project)
	if err != nil {
		c.cover(inventory.Coverage{Source: inventory.GKEClusters, Scope: inventory.ProjectScope(project), Status: inventory.StatusError,
			Error: errorText(err), Hint: googleHint(err, "container", project, "container.clusters.list", "roles/container.clusterViewer")})
		return nil, nil
	}
	c.cover(inventory.Coverage{Source: inventory.GKEClusters, Scope: inventory.ProjectScope(project), Status: inventory.StatusOK})
	for _, m := range missingZoneCoverage(project, resp.GetMissingZones()) {
		c.cover(m)
	}
	return selectClusters(IngestClusters(resp), c.opts.Clusters)
}

func (c *collector) runComputeTask(ctx context.Context, svc *compute.Service, project string, t computeTask) {
	apply, err := t.run(ctx, svc, project)
	cov := inventory.Coverage{Source: t.source, Scope: inventory.ProjectScope(project), Status: inventory.StatusOK}
	if err != nil {
		cov.Status, cov.Error = inventory.StatusError, errorText(err)
		cov.Hint = googleHint(err, "compute", project, computePermission(t.source), "roles/compute.viewer")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if apply != nil {
		apply(&c.compute)
	}
	c.coverage = append(c.coverage, cov)
}

func (c *collector) cover(cov inventory.Coverage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.coverage = append(c.coverage, cov)
}

func (c *collector) userAgent() string {
	if c.opts.UserAgent != "" {
		return c.opts.UserAgent
	}
	return "lbdiag"
}

// clientOptions configures a Google API client: endpoint and lbdiag's HTTP
// client, which carries authentication, so the library's own credential
// lookup never runs.
func (c *collector) clientOptions(api, endpoint, def string) []option.ClientOption {
	if endpoint == "" {
		endpoint = def
	}
	return []option.ClientOption{
		option.WithEndpoint(endpoint),
		option.WithHTTPClient(&http.Client{Transport: c.transport(api, c.base)}),
		option.WithUserAgent(c.userAgent()),
	}
}

// transport builds the chain every request of api goes through:
// ReadOnly → recorder → retry (with rate limit) → call log → OAuth2 → base;
// or ReadOnly → recording in replay.
func (c *collector) transport(api string, base http.RoundTripper) http.RoundTripper {
	if c.opts.Replay != nil {
		rt := c.opts.Replay.Transport(api)
		if c.opts.CallLog != nil {
			rt = c.opts.CallLog.Wrap(api, rt)
		}
		if c.opts.Recorder != nil {
			rt = c.opts.Recorder.Wrap(api, rt)
		}
		return ReadOnly(rt)
	}
	rt := base
	if c.opts.TokenSource != nil {
		rt = &oauth2.Transport{Source: c.opts.TokenSource, Base: rt}
	}
	if c.opts.CallLog != nil {
		rt = c.opts.CallLog.Wrap(api, rt)
	}
	policy := c.opts.Retry
	if strings.HasPrefix(api, "kubernetes/") && policy.MaxAttempts > kubeMaxAttempts {
		// A cluster endpoint that does not answer (a private cluster seen
		// from outside its VPC) is not worth five dial timeouts.
		policy.MaxAttempts = kubeMaxAttempts
	}
	rt = Retry(rt, policy, c.limiter(api))
	if c.opts.Recorder != nil {
		rt = c.opts.Recorder.Wrap(api, rt)
	}
	return ReadOnly(rt)
}

// limiter returns the request-rate limiter of an API: 20 requests per
// second to Compute Engine and GKE, 50 to each cluster.
func (c *collector) limiter(api string) *rate.Limiter {
	c.lmu.Lock()
	defer c.lmu.Unlock()
	if l, ok := c.limiters[api]; ok {
		return l
	}
	l := rate.NewLimiter(20, 20)
	if api != recording.APICompute && api != recording.APIContainer {
		l = rate.NewLimiter(50, 50)
	}
	c.limiters[api] = l
	return l
}

func newBaseTransport() http.RoundTripper {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
	}
}

// sortCompute orders every collection by selfLink so that runs compare.
func sortCompute(c *inventory.Compute) {
	bySelfLink(c.BackendServices, func(x *compute.BackendService) string { return x.SelfLink })
	bySelfLink(c.ForwardingRules, func(x *compute.ForwardingRule) string { return x.SelfLink })
	bySelfLink(c.NEGs, func(x *compute.NetworkEndpointGroup) string { return x.SelfLink })
	bySelfLink(c.Subnetworks, func(x *compute.Subnetwork) string { return x.SelfLink })
	bySelfLink(c.SecurityPolicies, func(x *compute.SecurityPolicy) string { return x.SelfLink })
	bySelfLink(c.HealthChecks, func(x *compute.HealthCheck) string { return x.SelfLink })
	bySelfLink(c.URLMaps, func(x *compute.UrlMap) string { return x.SelfLink })
	bySelfLink(c.TargetHTTPProxies, func(x *compute.TargetHttpProxy) string { return x.SelfLink })
	bySelfLink(c.TargetHTTPSProxies, func(x *compute.TargetHttpsProxy) string { return x.SelfLink })
	bySelfLink(c.SSLCertificates, func(x *compute.SslCertificate) string { return x.SelfLink })
	bySelfLink(c.Addresses, func(x *compute.Address) string { return x.SelfLink })
	bySelfLink(c.InstanceGroups, func(x *compute.InstanceGroup) string { return x.SelfLink })
	bySelfLink(c.Instances, func(x *compute.Instance) string { return x.SelfLink })
	bySelfLink(c.Firewalls, func(x *compute.Firewall) string { return x.SelfLink })
	bySelfLink(c.Networks, func(x *compute.Network) string { return x.SelfLink })
}

func bySelfLink[T any](s []T, link func(T) string) {
	sort.SliceStable(s, func(i, j int) bool { return link(s[i]) < link(s[j]) })
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
