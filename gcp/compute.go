package gcp

import (
	"context"
	"sort"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inventory"
)

// pageSize is the largest page the Compute Engine API serves.
const pageSize = 500

// pageLister is a Compute Engine list call that follows nextPageToken.
type pageLister[P any] interface {
	Pages(ctx context.Context, f func(P) error) error
}

// listAll reads every page of call and returns the items ingest finds in
// each.
func listAll[P any, T any](ctx context.Context, call pageLister[P], ingest func(P) []T) ([]T, error) {
	var out []T
	err := call.Pages(ctx, func(p P) error {
		out = append(out, ingest(p)...)
		return nil
	})
	return out, err
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
	return flatten(p.Items, func(s compute.BackendServicesScopedList) []*compute.BackendService { return s.BackendServices })
}

// IngestForwardingRules reads a forwardingRules.aggregatedList page.
func IngestForwardingRules(p *compute.ForwardingRuleAggregatedList) []*compute.ForwardingRule {
	return flatten(p.Items, func(s compute.ForwardingRulesScopedList) []*compute.ForwardingRule { return s.ForwardingRules })
}

// IngestNEGs reads a networkEndpointGroups.aggregatedList page.
func IngestNEGs(p *compute.NetworkEndpointGroupAggregatedList) []*compute.NetworkEndpointGroup {
	return flatten(p.Items, func(s compute.NetworkEndpointGroupsScopedList) []*compute.NetworkEndpointGroup {
		return s.NetworkEndpointGroups
	})
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
	return flatten(p.Items, func(s compute.HealthChecksScopedList) []*compute.HealthCheck { return s.HealthChecks })
}

// IngestURLMaps reads a urlMaps.aggregatedList page.
func IngestURLMaps(p *compute.UrlMapsAggregatedList) []*compute.UrlMap {
	return flatten(p.Items, func(s compute.UrlMapsScopedList) []*compute.UrlMap { return s.UrlMaps })
}

// IngestTargetHTTPProxies reads a targetHttpProxies.aggregatedList page.
func IngestTargetHTTPProxies(p *compute.TargetHttpProxyAggregatedList) []*compute.TargetHttpProxy {
	return flatten(p.Items, func(s compute.TargetHttpProxiesScopedList) []*compute.TargetHttpProxy { return s.TargetHttpProxies })
}

// IngestTargetHTTPSProxies reads a targetHttpsProxies.aggregatedList page.
func IngestTargetHTTPSProxies(p *compute.TargetHttpsProxyAggregatedList) []*compute.TargetHttpsProxy {
	return flatten(p.Items, func(s compute.TargetHttpsProxiesScopedList) []*compute.TargetHttpsProxy {
		return s.TargetHttpsProxies
	})
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

// IngestInstances reads an instances.aggregatedList page.
func IngestInstances(p *compute.InstanceAggregatedList) []*compute.Instance {
	return flatten(p.Items, func(s compute.InstancesScopedList) []*compute.Instance { return s.Instances })
}

// IngestFirewalls reads a firewalls.list page.
func IngestFirewalls(p *compute.FirewallList) []*compute.Firewall { return p.Items }

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
func task[P any, T any](source inventory.Source, call func(svc *compute.Service, project string) pageLister[P], ingest func(P) []T, set func(c *inventory.Compute, items []T)) computeTask {
	return computeTask{source: source, run: func(ctx context.Context, svc *compute.Service, project string) (func(*inventory.Compute), error) {
		items, err := listAll(ctx, call(svc, project), ingest)
		if err != nil {
			return nil, err
		}
		return func(c *inventory.Compute) { set(c, items) }, nil
	}}
}

// projectTasks are the collections read from the inspected project.
var projectTasks = []computeTask{
	task(inventory.ComputeBackendServices, func(s *compute.Service, p string) pageLister[*compute.BackendServiceAggregatedList] {
		return s.BackendServices.AggregatedList(p).MaxResults(pageSize)
	}, IngestBackendServices, func(c *inventory.Compute, v []*compute.BackendService) {
		c.BackendServices = append(c.BackendServices, v...)
	}),
	task(inventory.ComputeForwardingRules, func(s *compute.Service, p string) pageLister[*compute.ForwardingRuleAggregatedList] {
		return s.ForwardingRules.AggregatedList(p).MaxResults(pageSize)
	}, IngestForwardingRules, func(c *inventory.Compute, v []*compute.ForwardingRule) {
		c.ForwardingRules = append(c.ForwardingRules, v...)
	}),
	task(inventory.ComputeNEGs, func(s *compute.Service, p string) pageLister[*compute.NetworkEndpointGroupAggregatedList] {
		return s.NetworkEndpointGroups.AggregatedList(p).MaxResults(pageSize)
	}, IngestNEGs, func(c *inventory.Compute, v []*compute.NetworkEndpointGroup) { c.NEGs = append(c.NEGs, v...) }),
	subnetworksTask,
	task(inventory.ComputeSecurityPolicies, func(s *compute.Service, p string) pageLister[*compute.SecurityPoliciesAggregatedList] {
		return s.SecurityPolicies.AggregatedList(p).MaxResults(pageSize)
	}, IngestSecurityPolicies, func(c *inventory.Compute, v []*compute.SecurityPolicy) {
		c.SecurityPolicies = append(c.SecurityPolicies, v...)
	}),
	task(inventory.ComputeHealthChecks, func(s *compute.Service, p string) pageLister[*compute.HealthChecksAggregatedList] {
		return s.HealthChecks.AggregatedList(p).MaxResults(pageSize)
	}, IngestHealthChecks, func(c *inventory.Compute, v []*compute.HealthCheck) { c.HealthChecks = append(c.HealthChecks, v...) }),
	task(inventory.ComputeURLMaps, func(s *compute.Service, p string) pageLister[*compute.UrlMapsAggregatedList] {
		return s.UrlMaps.AggregatedList(p).MaxResults(pageSize)
	}, IngestURLMaps, func(c *inventory.Compute, v []*compute.UrlMap) { c.URLMaps = append(c.URLMaps, v...) }),
	task(inventory.ComputeTargetHTTPProxies, func(s *compute.Service, p string) pageLister[*compute.TargetHttpProxyAggregatedList] {
		return s.TargetHttpProxies.AggregatedList(p).MaxResults(pageSize)
	}, IngestTargetHTTPProxies, func(c *inventory.Compute, v []*compute.TargetHttpProxy) {
		c.TargetHTTPProxies = append(c.TargetHTTPProxies, v...)
	}),
	task(inventory.ComputeTargetHTTPSProxies, func(s *compute.Service, p string) pageLister[*compute.TargetHttpsProxyAggregatedList] {
		return s.TargetHttpsProxies.AggregatedList(p).MaxResults(pageSize)
	}, IngestTargetHTTPSProxies, func(c *inventory.Compute, v []*compute.TargetHttpsProxy) {
		c.TargetHTTPSProxies = append(c.TargetHTTPSProxies, v...)
	}),
	task(inventory.ComputeSSLCertificates, func(s *compute.Service, p string) pageLister[*compute.SslCertificateAggregatedList] {
		return s.SslCertificates.AggregatedList(p).MaxResults(pageSize)
	}, IngestSSLCertificates, func(c *inventory.Compute, v []*compute.SslCertificate) {
		c.SSLCertificates = append(c.SSLCertificates, v...)
	}),
	task(inventory.ComputeAddresses, func(s *compute.Service, p string) pageLister[*compute.AddressAggregatedList] {
		return s.Addresses.AggregatedList(p).MaxResults(pageSize)
	}, IngestAddresses, func(c *inventory.Compute, v []*compute.Address) { c.Addresses = append(c.Addresses, v...) }),
	task(inventory.ComputeInstanceGroups, func(s *compute.Service, p string) pageLister[*compute.InstanceGroupAggregatedList] {
		return s.InstanceGroups.AggregatedList(p).MaxResults(pageSize)
	}, IngestInstanceGroups, func(c *inventory.Compute, v []*compute.InstanceGroup) {
		c.InstanceGroups = append(c.InstanceGroups, v...)
	}),
	task(inventory.ComputeInstances, func(s *compute.Service, p string) pageLister[*compute.InstanceAggregatedList] {
		return s.Instances.AggregatedList(p).MaxResults(pageSize)
	}, IngestInstances, func(c *inventory.Compute, v []*compute.Instance) { c.Instances = append(c.Instances, v...) }),
	firewallsTask,
	task(inventory.ComputeNetworks, func(s *compute.Service, p string) pageLister[*compute.NetworkList] {
		return s.Networks.List(p).MaxResults(pageSize)
	}, IngestNetworks, func(c *inventory.Compute, v []*compute.Network) { c.Networks = append(c.Networks, v...) }),
}

var subnetworksTask = task(inventory.ComputeSubnetworks, func(s *compute.Service, p string) pageLister[*compute.SubnetworkAggregatedList] {
	return s.Subnetworks.AggregatedList(p).MaxResults(pageSize)
}, IngestSubnetworks, func(c *inventory.Compute, v []*compute.Subnetwork) { c.Subnetworks = append(c.Subnetworks, v...) })

var firewallsTask = task(inventory.ComputeFirewalls, func(s *compute.Service, p string) pageLister[*compute.FirewallList] {
	return s.Firewalls.List(p).MaxResults(pageSize)
}, IngestFirewalls, func(c *inventory.Compute, v []*compute.Firewall) { c.Firewalls = append(c.Firewalls, v...) })

// hostProjectTasks are the collections read from a Shared VPC host project.
var hostProjectTasks = []computeTask{subnetworksTask, firewallsTask}
