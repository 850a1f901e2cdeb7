// Package gcp reads Compute Engine, GKE and each cluster's Kubernetes API
// and returns an inventory with a coverage record.
//
// It only reads: every HTTP request goes through ReadOnly, which refuses
// anything but GET and the read-only getHealth/listNetworkEndpoints POSTs.
// It never judges what it reads; a source that could not be read becomes a
// coverage entry with the error and a hint, and collection goes on.
//
// Collection is a pipeline, not a sequence of phases: every Compute Engine
// list and the GKE cluster list start at once; each cluster's Kubernetes
// reads start as soon as the cluster list is in; the effective firewalls
// of a VPC as soon as its cluster is known; the health of a cluster's
// backend services as soon as its Ingresses and the backend service list
// are in. One slow list delays only the work that needs it.
package gcp

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
)

// Default API endpoints.
const (
	DefaultComputeEndpoint   = "https://compute.googleapis.com/compute/v1/"
	DefaultContainerEndpoint = "https://container.googleapis.com/"
)

// DefaultMaxQPS is the default request rate to each Google API, per
// project: 15 a second, after a burst of BurstFor(15) = 500. Compute Engine
// counts read requests per project and minute (by default about 1,500):
// a token bucket lets through at most its burst plus a minute of its rate
// in any 60 seconds, 500 + 60 × 15 = 1,400, under the quota in any minute
// and leaving room for other tools. The burst is large so that a big
// project's first few hundred reads (a large project's lists and its
// health budget) are not paced at all: they take as long as the API takes
// to answer them. Kubernetes API servers get 50 a second each.
const (
	DefaultMaxQPS = 15
	DefaultBurst  = 500
)

// BurstFor is the burst of a rate of qps requests a second: a third of a
// minute's worth (DefaultBurst at DefaultMaxQPS). At most qps × (100/3 +
// 60), about 93 × qps, requests go out in any minute.
func BurstFor(qps float64) int {
	return max(1, int(qps*100/3+0.5))
}

// DefaultConcurrency is how many calls to a Google API are in flight at
// once, by default; DefaultKubeConcurrency how many to one cluster's API
// server. At half a second an answer, 96 calls in flight are 192 a second:
// the rate limit, not the wait for answers, bounds a run.
const (
	DefaultConcurrency     = 96
	DefaultKubeConcurrency = 8
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
	// Recorder, when set, records every exchange of the run as received.
	Recorder *recording.Recorder
	// CallLog, when set, logs every attempt of the run.
	CallLog *recording.CallLog
	// Retry bounds retries; the zero value means DefaultRetryPolicy.
	Retry RetryPolicy
	// Concurrency bounds the calls in flight to each Google API (default
	// DefaultConcurrency); each cluster's API server gets at most
	// DefaultKubeConcurrency, or Concurrency when it is lower.
	Concurrency int
	// MaxQPS is the request rate to each Google API (default
	// DefaultMaxQPS).
	MaxQPS float64
	// KubePageSize is the limit of each Kubernetes list request (default
	// 500).
	KubePageSize int
	// UserAgent is sent with every request.
	UserAgent string
	// Health is how much backend health to read: HealthAuto (default),
	// HealthAll or HealthNone. HealthBudget bounds auto's calls (default
	// DefaultHealthBudget).
	Health       string
	HealthBudget int
	// Focus narrows the health reads to the focused objects' backends.
	Focus inventory.Focus
	// Logs, when positive, is the window of Cloud Logging entries to read
	// (at most MaxLogWindow); LoggingEndpoint overrides the API's base URL;
	// LogEntryCap bounds the request log entries read per backend service
	// and the entries of each other query (default DefaultLogEntryCap).
	Logs            time.Duration
	LoggingEndpoint string
	LogEntryCap     int
	// LoggingQPS is the entries.list rate (default 1 a second, burst 5:
	// Cloud Logging's read quota is about 60 a minute per project).
	LoggingQPS float64
	// ClusterEndpoint forces one path to every cluster's API (a value of
	// ClusterEndpoints; "" or EndpointAuto tries each usable path in
	// order). ClusterConnectTimeout bounds each attempt (default
	// DefaultConnectTimeout). Kubeconfig, when set, is a kubeconfig file
	// list whose gke_<project>_<location>_<cluster> context is tried first.
	ClusterEndpoint       string
	ClusterConnectTimeout time.Duration
	Kubeconfig            string
	// ResourceManagerEndpoint overrides Resource Manager's base URL, which
	// resolves a fleet project's number for the Connect gateway;
	// CertificateManagerEndpoint Certificate Manager's.
	ResourceManagerEndpoint    string
	CertificateManagerEndpoint string
	// Metrics, when positive, is the window of Cloud Monitoring metrics to
	// read (at most MaxMetricsWindow), at MonitoringEndpoint; Max5xxRatio
	// is the ratio of server errors above which a load balancer's error
	// rate is a finding (default DefaultMax5xxRatio).
	Metrics            time.Duration
	MonitoringEndpoint string
	Max5xxRatio        float64
	// Changes, when positive, is the window of Admin Activity audit
	// entries to read (at most MaxChangesWindow); ShowPrincipals keeps the
	// callers' emails whole instead of their domains.
	Changes        time.Duration
	ShowPrincipals bool
	// NetworkAnalyzer reads Network Analyzer's load-balancer insights
	// through the Recommender API, at RecommenderEndpoint.
	NetworkAnalyzer     bool
	RecommenderEndpoint string
	// DNS resolves, in a live run, the domains of the Google-managed
	// certificates that are not ACTIVE and the hosts of external Ingresses
	// and Gateways (gcp/dns.go) at Resolver (HOST:PORT; "" is the system's
	// resolver). A replay answers them from the recording whatever DNS
	// says; Skip (--no-dns) turns both off.
	DNS      bool
	Resolver string
	// Ignores are the run's suppressions, handed to the inventory for the
	// rules that judge them.
	Ignores *inventory.Ignores
	// Skip names optional reads not to make (inspect.OptionalReads), each
	// with the reason its coverage entry gives: no rule of the run needs
	// it. Their coverage is skipped, which is not a gap.
	Skip map[inventory.Source]string
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

// skip says whether source is not to be read, and why.
func (o Options) skip(source inventory.Source) (string, bool) {
	reason, ok := o.Skip[source]
	return reason, ok
}

// window is the d before the run's collection time; unknown says why
// there is none (a recording without a collection time).
func (c *collector) window(d time.Duration, what string) (since, until time.Time, unknown string) {
	if c.collectedAt.IsZero() {
		return time.Time{}, time.Time{}, "the recording has no collection time, so the window of " + what + " to read is unknown"
	}
	return c.collectedAt.Add(-d), c.collectedAt, ""
}

// coverCancelled records sources the run asked for but never began
// because it ran out of time: gaps, never "nothing there". A source the
// run skipped on purpose (--no-dns, a rule selection) stays skipped.
func (c *collector) coverCancelled(ctx context.Context, sources ...inventory.Source) {
	for _, s := range sources {
		if reason, ok := c.opts.skip(s); ok {
			c.coverSkipped(s, inventory.ProjectScope(c.opts.Project), reason)
			continue
		}
		c.cover(inventory.Coverage{Source: s, Scope: inventory.ProjectScope(c.opts.Project), Status: inventory.StatusError,
			Error: c.errorText(ctx.Err()), Hint: commonHint(ctx, ctx.Err())})
	}
}

// coverSkipped records that source was not read in scope because no rule
// of the run needs it.
func (c *collector) coverSkipped(source inventory.Source, scope, reason string) {
	c.cover(inventory.Coverage{Source: source, Scope: scope, Status: inventory.StatusSkipped, Detail: reason})
}

func (o Options) max5xxRatio() float64 {
	if o.Max5xxRatio > 0 {
		return o.Max5xxRatio
	}
	return DefaultMax5xxRatio
}

func (o Options) logEntryCap() int {
	if o.LogEntryCap > 0 {
		return o.LogEntryCap
	}
	return DefaultLogEntryCap
}

func (o Options) concurrency() int {
	if o.Concurrency > 0 {
		return o.Concurrency
	}
	return DefaultConcurrency
}

func (o Options) kubeConcurrency() int {
	return min(o.concurrency(), DefaultKubeConcurrency)
}

func (o Options) kubePageSize() int {
	if o.KubePageSize > 0 {
		return o.KubePageSize
	}
	return 500
}

// ErrProjectNotFound is returned when both Compute Engine and GKE answer
// that the project does not exist.
var ErrProjectNotFound = errors.New("project not found")

type collector struct {
	opts   Options
	base   http.RoundTripper
	tokens *TokenMemo

	lmu      sync.Mutex
	limiters map[string]*Limiter

	mu       sync.Mutex
	coverage inventory.CoverageSet
	compute  inventory.Compute
	// computeErrs are the errors of the project's Compute Engine lists;
	// ownLists is how many the run lists (those no selected rule needs
	// are not).
	computeErrs []error
	ownLists    int
	clusterErr  error
	// collectedAt is the inventory's collection time; logs is what
	// --logs read.
	collectedAt time.Time
	logs        *inventory.Logs
	metrics     *inventory.Metrics
	changes     *inventory.Changes
	insights    *inventory.Insights
	// certMaps are the Certificate Manager maps read.
	certMaps []string
	// dns is what the DNS lookups answered.
	dns *inventory.DNS
	// firewallsRead holds the VPCs (relative names) whose effective
	// firewalls the run has read or is reading.
	firewallsRead sync.Map

	numberCache
}

// Collect reads the project. It returns an error only when the run cannot
// mean anything (a --cluster that names no cluster, a project that does not
// exist); every other failure is a coverage entry in the inventory.
func Collect(ctx context.Context, opts Options) (*inventory.Inventory, error) {
	c := newCollector(opts)
	inv := &inventory.Inventory{Project: opts.Project, CollectedAt: opts.now(), ClustersSelected: len(opts.Clusters) > 0, Focus: opts.Focus}
	if opts.Replay != nil {
		inv.CollectedAt = time.Time{}
		if at := opts.Replay.Manifest.RecordedAt; at != nil {
			inv.CollectedAt = *at
		}
	}
	c.collectedAt = inv.CollectedAt

	svc, err := compute.NewService(ctx, c.clientOptions(recording.APICompute, opts.ComputeEndpoint, DefaultComputeEndpoint)...)
	if err != nil {
		return nil, err
	}

	// Some reads wait for lists: listed[source] closes when it is in. The
	// backend service list gates the health reads; with --logs, the
	// health checks' list says which give no probe logs; the backend
	// groups' lists name the VPCs whose firewalls govern backends.
	listed := map[inventory.Source]chan struct{}{}
	for _, t := range projectTasks {
		listed[t.source] = make(chan struct{})
	}
	bsReady, hcReady := listed[inventory.ComputeBackendServices], listed[inventory.ComputeHealthChecks]
	health := newHealthReader(c, svc)
	var wg sync.WaitGroup
	// listsDone closes when every list of the project is in.
	var lists sync.WaitGroup
	listsDone := make(chan struct{})
	for _, t := range projectTasks {
		wg.Add(1)
		lists.Add(1)
		go func() {
			defer wg.Done()
			defer lists.Done()
			c.runComputeTask(ctx, svc, opts.Project, t, true)
			close(listed[t.source])
		}()
	}
	// Every VPC with load-balanced backends, not only the clusters'.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, s := range []inventory.Source{inventory.ComputeBackendServices, inventory.ComputeInstanceGroups, inventory.ComputeNEGs} {
			select {
			case <-listed[s]:
			case <-ctx.Done():
				// Which VPCs have backends is unknown, and so are their
				// firewalls: a gap, not nothing to read.
				c.coverCancelled(ctx, inventory.ComputeEffectiveFirewalls)
				return
			}
		}
		for _, n := range c.backendNetworks() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.readEffectiveFirewallsOnce(ctx, svc, n)
			}()
		}
	}()

	if opts.Metrics > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-bsReady:
				c.collectMetrics(ctx)
			case <-ctx.Done():
				c.coverCancelled(ctx, inventory.MonitoringTraffic)
			}
		}()
	}
	go func() {
		lists.Wait()
		close(listsDone)
	}()
	c.startInsights(ctx, &wg, listsDone)
	if opts.Changes > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.collectChanges(ctx)
		}()
	}
	if reason, ok := opts.skip(inventory.LoggingRequests); ok && opts.Logs > 0 {
		for _, s := range []inventory.Source{inventory.LoggingRequests, inventory.LoggingHealthChecks, inventory.LoggingPassthrough} {
			c.coverSkipped(s, inventory.ProjectScope(opts.Project), reason)
		}
	} else if opts.Logs > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-bsReady:
				c.collectLogs(ctx, hcReady)
			case <-ctx.Done():
				c.coverCancelled(ctx, inventory.LoggingRequests, inventory.LoggingHealthChecks, inventory.LoggingPassthrough)
			}
		}()
	}

	var selectErr error
	var clmu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		clusters, err := c.clusters(ctx)
		if err != nil {
			selectErr = err
			return
		}
		hosts := map[string]bool{}
		networks := map[string]bool{}
		var cwg sync.WaitGroup
		for _, cl := range clusters {
			ic := &inventory.Cluster{Info: cl, Project: opts.Project}
			clmu.Lock()
			inv.Clusters = append(inv.Clusters, ic)
			clmu.Unlock()
			c.readNetwork(ctx, svc, ic, hosts, networks, &wg)
			cwg.Add(1)
			go func() {
				defer cwg.Done()
				c.collectCluster(ctx, ic)
				select {
				case <-bsReady:
				case <-ctx.Done():
					return
				}
				health.readCluster(ctx, ic)
			}()
		}
		// Auto mode chooses among every cluster's candidates: once the
		// clusters are read, whatever other list is still running.
		cwg.Wait()
		// The DNS names of certificates and hosts, once the certificate
		// list is in too.
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-listed[inventory.ComputeSSLCertificates]:
				c.collectDNS(ctx, inv.Clusters)
			case <-ctx.Done():
				// A run that would make no lookups says why, not that
				// they were cut short.
				if reason, ok := c.opts.dnsSkipped(); ok {
					c.coverSkipped(inventory.DNSLookups, inventory.ProjectScope(c.opts.Project), reason)
				} else {
					c.coverCancelled(ctx, inventory.DNSLookups)
				}
			}
		}()
		// The Certificate Manager maps, when a Gateway names one.
		if reason, ok := opts.skip(inventory.CertificateManagerMaps); ok && namesCertMap(inv.Clusters) {
			c.coverSkipped(inventory.CertificateManagerMaps, inventory.ProjectScope(opts.Project), reason)
		} else if namesCertMap(inv.Clusters) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				maps := c.collectCertificateMaps(ctx)
				c.mu.Lock()
				c.certMaps = maps
				c.mu.Unlock()
			}()
		}
		select {
		case <-bsReady:
			// Then every other load balancer of the project.
			health.readProject(ctx)
			if health.mode == HealthAuto {
				health.choose(ctx)
			}
		case <-ctx.Done():
		}
	}()
	wg.Wait()
	if selectErr != nil {
		return nil, selectErr
	}
	health.finish()
	if c.projectNotFound() {
		return nil, ErrProjectNotFound
	}
	c.coverLimiters()

	c.assemble(inv)
	return inv, nil
}

// readNetwork reads, once per host project and per VPC, what a cluster's
// network adds: for Shared VPC, the host project's subnetworks and
// firewalls; the VPC's effective firewalls.
func (c *collector) readNetwork(ctx context.Context, svc *compute.Service, cl *inventory.Cluster, hosts, networks map[string]bool, wg *sync.WaitGroup) {
	if host := cl.NetworkProject(); host != c.opts.Project && !hosts[host] {
		hosts[host] = true
		for _, t := range hostProjectTasks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.runComputeTask(ctx, svc, host, t, false)
			}()
		}
	}
	if n := cl.NetworkURL(); n != "" && !networks[n] {
		networks[n] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.readEffectiveFirewallsOnce(ctx, svc, n)
		}()
	}
}

// assemble puts what was read into the inventory, in a stable order.
func (c *collector) assemble(inv *inventory.Inventory) {
	sort.Slice(inv.Clusters, func(i, j int) bool { return inv.Clusters[i].Scope() < inv.Clusters[j].Scope() })
	inv.Compute = c.compute
	inv.Logs = c.logs
	inv.CertificateMaps = c.certMaps
	inv.Ignores = c.opts.Ignores
	inv.Metrics = c.metrics
	inv.Changes = c.changes
	inv.DNS = c.dns
	inv.Insights = c.insights
	sortCompute(&inv.Compute)
	inv.Coverage = c.coverage
	sort.SliceStable(inv.Coverage, func(i, j int) bool {
		a, b := inv.Coverage[i], inv.Coverage[j]
		if a.Scope != b.Scope {
			return a.Scope < b.Scope
		}
		return a.Source < b.Source
	})
}

func newCollector(opts Options) *collector {
	if opts.Retry.MaxAttempts == 0 {
		opts.Retry = DefaultRetryPolicy
	}
	c := &collector{opts: opts, base: newBaseTransport(), limiters: map[string]*Limiter{}, ownLists: len(projectTasks)}
	if tm, ok := opts.TokenSource.(*TokenMemo); ok {
		c.tokens = tm
	} else if opts.TokenSource != nil {
		c.tokens = RememberTokens(opts.TokenSource)
	}
	return c
}

func (c *collector) runComputeTask(ctx context.Context, svc *compute.Service, project string, t computeTask, own bool) {
	if reason, ok := c.opts.skip(t.source); ok {
		c.coverSkipped(t.source, inventory.ProjectScope(project), reason)
		if own {
			// Not listed: the project is missing when every list made says so.
			c.mu.Lock()
			c.ownLists--
			c.mu.Unlock()
		}
		return
	}
	apply, err := t.run(ctx, svc, project)
	cov := inventory.Coverage{Source: t.source, Scope: inventory.ProjectScope(project), Status: inventory.StatusOK}
	if err != nil {
		cov.Status, cov.Error = inventory.StatusError, c.errorText(err)
		cov.Hint = c.googleHint(ctx, err, "compute", project, computePermission(t.source), "roles/compute.viewer")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if apply != nil {
		apply(&c.compute)
	}
	if err != nil && own {
		c.computeErrs = append(c.computeErrs, err)
	}
	c.coverage = append(c.coverage, cov)
}

// projectNotFound reports whether Compute Engine and GKE both answered that
// the project does not exist.
func (c *collector) projectNotFound() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.clusterErr == nil || !isNotFound(c.clusterErr) || len(c.computeErrs) == 0 {
		return false
	}
	for _, err := range c.computeErrs {
		if !isNotFound(err) {
			return false
		}
	}
	return len(c.computeErrs) == c.ownLists
}

func isNotFound(err error) bool {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code == http.StatusNotFound
	}
	return strings.Contains(err.Error(), "code = NotFound")
}

// read reports whether a source was read completely in scope so far, as
// the rules will judge it: every entry for it complete.
func (c *collector) read(source inventory.Source, scope string) bool {
	return c.coverage.Known(source, scope)
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

// errorText shortens an error for a coverage entry and scrubs from it the
// access token and anything else that looks like a credential: an API that
// echoes the request's Authorization header must not put the token in a
// report.
func (c *collector) errorText(err error) string {
	var secrets []string
	if c.tokens != nil {
		secrets = c.tokens.Issued()
	}
	s := untrusted.Scrub(err.Error(), secrets...)
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
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
	bySelfLink(c.TargetSSLProxies, func(x *compute.TargetSslProxy) string { return x.SelfLink })
	bySelfLink(c.Regions, func(x *compute.Region) string { return x.Name })
	bySelfLink(c.BackendBuckets, func(x *compute.BackendBucket) string { return x.SelfLink })
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
