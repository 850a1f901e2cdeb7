package gcp

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inventory"
)

// pageSize is the largest page the Compute Engine API serves.
const pageSize = 500

// maxComputePages bounds the pages of one list (of Compute Engine, 500
// items each; also of Logging, Resource Manager and Recommender): an API
// that never stops paging must not hold the run or burn the quota.
const maxComputePages = 2000

// errRepeatedPageToken is a list whose API returned the same page token
// twice: following it would request the same page forever.
var errRepeatedPageToken = errors.New("the API returned the same page token again: the list was stopped")

// pageGuard stops a client library's Pages loop that an API never ends
// (the libraries follow any token): call next with each page's
// NextPageToken and return its error from the page function.
type pageGuard struct {
	seen map[string]bool
}

func (g *pageGuard) next(token string) error {
	if token == "" {
		return nil
	}
	if g.seen == nil {
		g.seen = map[string]bool{}
	}
	if g.seen[token] {
		return errRepeatedPageToken
	}
	if len(g.seen) == maxComputePages {
		return fmt.Errorf("the list did not end after %d pages: it was stopped", maxComputePages)
	}
	g.seen[token] = true
	return nil
}

// nextPageToken reads the NextPageToken field every Compute Engine list
// answer has.
func nextPageToken(page any) string { return stringField(page, "NextPageToken") }

// selfLinkOf reads the SelfLink field every Compute Engine resource has.
func selfLinkOf(item any) string { return stringField(item, "SelfLink") }

// stringField reads the string field name of a struct or a pointer to
// one ("" when it has none).
func stringField(x any, name string) string {
	v := reflect.ValueOf(x)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	if f := v.FieldByName(name); f.IsValid() && f.Kind() == reflect.String {
		return f.String()
	}
	return ""
}

// flatten joins the per-scope lists of an aggregated list, in scope order.
func flatten[S any, T any](items map[string]S, get func(S) []T) []T {
	scopes := make([]string, 0, len(items))
	for s := range items {
		scopes = append(scopes, s)
	}
	sort.Strings(scopes)
	var out []T
	for _, s := range scopes {
		out = append(out, get(items[s])...)
	}
	return out
}

// The ingest functions turn one page of a list response into items. The
// collectors and the conformance tests over recorded real responses use
// them alike.

// IngestBackendServices reads a backendServices.aggregatedList page.
func IngestBackendServices(p *compute.BackendServiceAggregatedList) []*compute.BackendService {
	return internBackendServices(flatten(p.Items, func(s compute.BackendServicesScopedList) []*compute.BackendService { return s.BackendServices }))
}

// IngestForwardingRules reads a forwardingRules.aggregatedList page.
func IngestForwardingRules(p *compute.ForwardingRuleAggregatedList) []*compute.ForwardingRule {
	return internForwardingRules(flatten(p.Items, func(s compute.ForwardingRulesScopedList) []*compute.ForwardingRule { return s.ForwardingRules }))
}

// IngestNEGs reads a networkEndpointGroups.aggregatedList page.
func IngestNEGs(p *compute.NetworkEndpointGroupAggregatedList) []*compute.NetworkEndpointGroup {
	return internNEGs(flatten(p.Items, func(s compute.NetworkEndpointGroupsScopedList) []*compute.NetworkEndpointGroup {
		return s.NetworkEndpointGroups
	}))
}

// IngestSubnetworks reads a subnetworks.aggregatedList page.
func IngestSubnetworks(p *compute.SubnetworkAggregatedList) []*compute.Subnetwork {
	return flatten(p.Items, func(s compute.SubnetworksScopedList) []*compute.Subnetwork { return s.Subnetworks })
}

// IngestSecurityPolicies reads a securityPolicies.aggregatedList page.
func IngestSecurityPolicies(p *compute.SecurityPoliciesAggregatedList) []*compute.SecurityPolicy {
	return flatten(p.Items, func(s compute.SecurityPoliciesScopedList) []*compute.SecurityPolicy { return s.SecurityPolicies })
}

// IngestHealthChecks reads a healthChecks.aggregatedList page.
func IngestHealthChecks(p *compute.HealthChecksAggregatedList) []*compute.HealthCheck {
	return internHealthChecks(flatten(p.Items, func(s compute.HealthChecksScopedList) []*compute.HealthCheck { return s.HealthChecks }))
}

// IngestURLMaps reads a urlMaps.aggregatedList page.
func IngestURLMaps(p *compute.UrlMapsAggregatedList) []*compute.UrlMap {
	return internURLMaps(flatten(p.Items, func(s compute.UrlMapsScopedList) []*compute.UrlMap { return s.UrlMaps }))
}

// IngestTargetHTTPProxies reads a targetHttpProxies.aggregatedList page.
func IngestTargetHTTPProxies(p *compute.TargetHttpProxyAggregatedList) []*compute.TargetHttpProxy {
	return internTargetHTTPProxies(flatten(p.Items, func(s compute.TargetHttpProxiesScopedList) []*compute.TargetHttpProxy { return s.TargetHttpProxies }))
}

// IngestTargetHTTPSProxies reads a targetHttpsProxies.aggregatedList page.
func IngestTargetHTTPSProxies(p *compute.TargetHttpsProxyAggregatedList) []*compute.TargetHttpsProxy {
	return internTargetHTTPSProxies(flatten(p.Items, func(s compute.TargetHttpsProxiesScopedList) []*compute.TargetHttpsProxy {
		return s.TargetHttpsProxies
	}))
}

// IngestSSLCertificates reads an sslCertificates.aggregatedList page.
func IngestSSLCertificates(p *compute.SslCertificateAggregatedList) []*compute.SslCertificate {
	return flatten(p.Items, func(s compute.SslCertificatesScopedList) []*compute.SslCertificate { return s.SslCertificates })
}

// IngestAddresses reads an addresses.aggregatedList page.
func IngestAddresses(p *compute.AddressAggregatedList) []*compute.Address {
	return flatten(p.Items, func(s compute.AddressesScopedList) []*compute.Address { return s.Addresses })
}

// IngestInstanceGroups reads an instanceGroups.aggregatedList page.
func IngestInstanceGroups(p *compute.InstanceGroupAggregatedList) []*compute.InstanceGroup {
	return flatten(p.Items, func(s compute.InstanceGroupsScopedList) []*compute.InstanceGroup { return s.InstanceGroups })
}

// IngestInstances reads an instances.aggregatedList page, keeping of
// each instance what the rules read (trimInstance).
func IngestInstances(p *compute.InstanceAggregatedList) []*compute.Instance {
	items := flatten(p.Items, func(s compute.InstancesScopedList) []*compute.Instance { return s.Instances })
	for i, in := range items {
		if in != nil {
			items[i] = trimInstance(in)
		}
	}
	return items
}

// trimInstance keeps of an instance what the rules read: its name, links,
// zone and status, the tags and service accounts firewall rules target
// (without the scopes), each network interface's network, subnetwork and
// address, and GKE's goog-k8s-cluster-name label. A GKE node's disks,
// metadata (values redacted, keys kept), scheduling, shielded-VM settings
// and the rest are most of its size. A rule that comes to read more must
// keep it here.
func trimInstance(in *compute.Instance) *compute.Instance {
	out := &compute.Instance{Kind: in.Kind, Id: in.Id, Name: in.Name, SelfLink: in.SelfLink, Zone: in.Zone, Status: in.Status,
		CreationTimestamp: in.CreationTimestamp}
	if in.Tags != nil {
		out.Tags = &compute.Tags{Items: in.Tags.Items}
	}
	for _, sa := range in.ServiceAccounts {
		if sa != nil {
			out.ServiceAccounts = append(out.ServiceAccounts, &compute.ServiceAccount{Email: sa.Email})
		}
	}
	for _, ni := range in.NetworkInterfaces {
		if ni != nil {
			out.NetworkInterfaces = append(out.NetworkInterfaces, &compute.NetworkInterface{Name: ni.Name, Network: ni.Network, Subnetwork: ni.Subnetwork, NetworkIP: ni.NetworkIP})
		}
	}
	if name, ok := in.Labels["goog-k8s-cluster-name"]; ok {
		out.Labels = map[string]string{"goog-k8s-cluster-name": name}
	}
	internAll(&out.Kind, &out.Zone, &out.Status)
	for _, ni := range out.NetworkInterfaces {
		internAll(&ni.Name, &ni.Network, &ni.Subnetwork)
	}
	if out.Tags != nil {
		internEach(out.Tags.Items)
	}
	for _, sa := range out.ServiceAccounts {
		intern(&sa.Email)
	}
	return out
}

// IngestFirewalls reads a firewalls.list page.
func IngestFirewalls(p *compute.FirewallList) []*compute.Firewall { return internFirewalls(p.Items) }

// IngestTargetSSLProxies reads a targetSslProxies.list page.
func IngestTargetSSLProxies(p *compute.TargetSslProxyList) []*compute.TargetSslProxy { return p.Items }

// IngestRegions reads a regions.list page.
func IngestRegions(p *compute.RegionList) []*compute.Region { return p.Items }

// IngestNetworks reads a networks.list page.
func IngestNetworks(p *compute.NetworkList) []*compute.Network { return p.Items }

// computeTask reads one Compute Engine collection of one project.
type computeTask struct {
	source inventory.Source
	// run reads the collection and returns a function that stores it;
	// the collector calls that function under its lock.
	run func(ctx context.Context, svc *compute.Service, project string) (func(*inventory.Compute), error)
}

// task builds a computeTask that lists a collection and stores it with set.
func task[P any, T any](source inventory.Source, list listFunc[P], ingest func(P) []T, set func(c *inventory.Compute, items []T)) computeTask {
	return computeTask{source: source, run: func(ctx context.Context, svc *compute.Service, project string) (func(*inventory.Compute), error) {
		items, err := listSplit(ctx, svc, project, list, ingest)
		if err != nil {
			return nil, err
		}
		return func(c *inventory.Compute) { set(c, items) }, nil
	}}
}

// projectTasks are the collections read from the inspected project.
var projectTasks = []computeTask{
	task(inventory.ComputeBackendServices, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.BackendServiceAggregatedList, error) {
		return page(s.BackendServices.AggregatedList(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
	}, IngestBackendServices, func(c *inventory.Compute, v []*compute.BackendService) {
		c.BackendServices = append(c.BackendServices, v...)
	}),
	task(inventory.ComputeForwardingRules, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.ForwardingRuleAggregatedList, error) {
		return page(s.ForwardingRules.AggregatedList(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
	}, IngestForwardingRules, func(c *inventory.Compute, v []*compute.ForwardingRule) {
		c.ForwardingRules = append(c.ForwardingRules, v...)
	}),
	task(inventory.ComputeNEGs, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.NetworkEndpointGroupAggregatedList, error) {
		return page(s.NetworkEndpointGroups.AggregatedList(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
	}, IngestNEGs, func(c *inventory.Compute, v []*compute.NetworkEndpointGroup) { c.NEGs = append(c.NEGs, v...) }),
	subnetworksTask,
	task(inventory.ComputeSecurityPolicies, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.SecurityPoliciesAggregatedList, error) {
		return page(s.SecurityPolicies.AggregatedList(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
	}, IngestSecurityPolicies, func(c *inventory.Compute, v []*compute.SecurityPolicy) {
		c.SecurityPolicies = append(c.SecurityPolicies, v...)
	}),
	task(inventory.ComputeHealthChecks, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.HealthChecksAggregatedList, error) {
		return page(s.HealthChecks.AggregatedList(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
	}, IngestHealthChecks, func(c *inventory.Compute, v []*compute.HealthCheck) { c.HealthChecks = append(c.HealthChecks, v...) }),
	task(inventory.ComputeURLMaps, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.UrlMapsAggregatedList, error) {
		return page(s.UrlMaps.AggregatedList(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
	}, IngestURLMaps, func(c *inventory.Compute, v []*compute.UrlMap) { c.URLMaps = append(c.URLMaps, v...) }),
	task(inventory.ComputeTargetHTTPProxies, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.TargetHttpProxyAggregatedList, error) {
		return page(s.TargetHttpProxies.AggregatedList(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
	}, IngestTargetHTTPProxies, func(c *inventory.Compute, v []*compute.TargetHttpProxy) {
		c.TargetHTTPProxies = append(c.TargetHTTPProxies, v...)
	}),
	task(inventory.ComputeTargetHTTPSProxies, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.TargetHttpsProxyAggregatedList, error) {
		return page(s.TargetHttpsProxies.AggregatedList(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
	}, IngestTargetHTTPSProxies, func(c *inventory.Compute, v []*compute.TargetHttpsProxy) {
		c.TargetHTTPSProxies = append(c.TargetHTTPSProxies, v...)
	}),
	task(inventory.ComputeSSLCertificates, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.SslCertificateAggregatedList, error) {
		return page(s.SslCertificates.AggregatedList(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
	}, IngestSSLCertificates, func(c *inventory.Compute, v []*compute.SslCertificate) {
		c.SSLCertificates = append(c.SSLCertificates, v...)
	}),
	task(inventory.ComputeAddresses, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.AddressAggregatedList, error) {
		return page(s.Addresses.AggregatedList(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
	}, IngestAddresses, func(c *inventory.Compute, v []*compute.Address) { c.Addresses = append(c.Addresses, v...) }),
	task(inventory.ComputeInstanceGroups, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.InstanceGroupAggregatedList, error) {
		return page(s.InstanceGroups.AggregatedList(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
	}, IngestInstanceGroups, func(c *inventory.Compute, v []*compute.InstanceGroup) {
		c.InstanceGroups = append(c.InstanceGroups, v...)
	}),
	task(inventory.ComputeInstances, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.InstanceAggregatedList, error) {
		return page(s.Instances.AggregatedList(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
	}, IngestInstances, func(c *inventory.Compute, v []*compute.Instance) { c.Instances = append(c.Instances, v...) }),
	firewallsTask,
	task(inventory.ComputeTargetSSLProxies, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.TargetSslProxyList, error) {
		return page(s.TargetSslProxies.List(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
	}, IngestTargetSSLProxies, func(c *inventory.Compute, v []*compute.TargetSslProxy) {
		c.TargetSSLProxies = append(c.TargetSSLProxies, v...)
	}),
	// Quotas: the project's (projects.get, its name and quotas only, never
	// its metadata) and each region's (regions.list, names, status and
	// quotas only).
	{source: inventory.ComputeProject, run: func(ctx context.Context, svc *compute.Service, project string) (func(*inventory.Compute), error) {
		p, err := svc.Projects.Get(project).Fields("name", "quotas").Context(ctx).Do()
		if err != nil {
			return nil, err
		}
		return func(c *inventory.Compute) { c.Project = p }, nil
	}},
	task(inventory.ComputeRegions, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.RegionList, error) {
		return page(s.Regions.List(p).MaxResults(pageSize).Fields("items(name,status,quotas)", "nextPageToken"), filter, tok).Context(ctx).Do()
	}, IngestRegions, func(c *inventory.Compute, v []*compute.Region) { c.Regions = append(c.Regions, v...) }),
	task(inventory.ComputeNetworks, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.NetworkList, error) {
		return page(s.Networks.List(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
	}, IngestNetworks, func(c *inventory.Compute, v []*compute.Network) { c.Networks = append(c.Networks, v...) }),
}

var subnetworksTask = task(inventory.ComputeSubnetworks, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.SubnetworkAggregatedList, error) {
	return page(s.Subnetworks.AggregatedList(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
}, IngestSubnetworks, func(c *inventory.Compute, v []*compute.Subnetwork) { c.Subnetworks = append(c.Subnetworks, v...) })

var firewallsTask = task(inventory.ComputeFirewalls, func(ctx context.Context, s *compute.Service, p, filter, tok string) (*compute.FirewallList, error) {
	return page(s.Firewalls.List(p).MaxResults(pageSize), filter, tok).Context(ctx).Do()
}, IngestFirewalls, func(c *inventory.Compute, v []*compute.Firewall) { c.Firewalls = append(c.Firewalls, v...) })

// hostProjectTasks are the collections read from a Shared VPC host project.
var hostProjectTasks = []computeTask{subnetworksTask, firewallsTask}
