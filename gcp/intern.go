package gcp

import (
	"sync"

	compute "google.golang.org/api/compute/v1"
)

// The Compute Engine lists repeat the same few strings in every item:
// kinds, zone, region and network URLs, enums, health-check paths,
// firewall ranges. Decoded, each is its own copy; interned as a page is
// ingested, the items share one. What the rules read is unchanged. Only
// fields that repeat are interned: a unique string (a name, a creation
// time, a URL of the item's own) would be copied for nothing.
//
// The table lives as long as the process (unique.Make would forget a
// value at the next collection once its handle is dropped, and the next
// page would copy it again) and stops growing at maxInterned values, so
// that a fleet run over many projects holds it bounded.
var interned struct {
	sync.Mutex
	m map[string]string
}

const maxInterned = 1 << 16

func intern(s *string) {
	if *s == "" {
		return
	}
	interned.Lock()
	defer interned.Unlock()
	if v, ok := interned.m[*s]; ok {
		*s = v
		return
	}
	if interned.m == nil {
		interned.m = map[string]string{}
	}
	if len(interned.m) < maxInterned {
		interned.m[*s] = *s
	}
}

func internEach(ss []string) {
	for i := range ss {
		intern(&ss[i])
	}
}

func internAll(ss ...*string) {
	for _, s := range ss {
		intern(s)
	}
}

func internBackendServices(items []*compute.BackendService) []*compute.BackendService {
	for _, b := range items {
		internAll(&b.Kind, &b.Region, &b.Network, &b.Protocol, &b.LoadBalancingScheme, &b.SessionAffinity,
			&b.PortName, &b.LocalityLbPolicy, &b.SecurityPolicy, &b.EdgeSecurityPolicy)
		for _, be := range b.Backends {
			if be != nil {
				intern(&be.BalancingMode)
			}
		}
	}
	return items
}

func internNEGs(items []*compute.NetworkEndpointGroup) []*compute.NetworkEndpointGroup {
	for _, n := range items {
		internAll(&n.Kind, &n.Zone, &n.Region, &n.Network, &n.Subnetwork, &n.NetworkEndpointType)
	}
	return items
}

func internHealthChecks(items []*compute.HealthCheck) []*compute.HealthCheck {
	for _, h := range items {
		internAll(&h.Kind, &h.Region, &h.Type, &h.Description)
		if c := h.HttpHealthCheck; c != nil {
			internAll(&c.PortSpecification, &c.ProxyHeader, &c.RequestPath)
		}
		if c := h.HttpsHealthCheck; c != nil {
			internAll(&c.PortSpecification, &c.ProxyHeader, &c.RequestPath)
		}
		if c := h.Http2HealthCheck; c != nil {
			internAll(&c.PortSpecification, &c.ProxyHeader, &c.RequestPath)
		}
	}
	return items
}

func internFirewalls(items []*compute.Firewall) []*compute.Firewall {
	for _, f := range items {
		internAll(&f.Kind, &f.Network, &f.Direction)
		internEach(f.SourceRanges)
		internEach(f.TargetTags)
		internEach(f.SourceTags)
		internEach(f.TargetServiceAccounts)
		for _, a := range f.Allowed {
			if a != nil {
				intern(&a.IPProtocol)
				internEach(a.Ports)
			}
		}
		for _, d := range f.Denied {
			if d != nil {
				intern(&d.IPProtocol)
				internEach(d.Ports)
			}
		}
	}
	return items
}

func internForwardingRules(items []*compute.ForwardingRule) []*compute.ForwardingRule {
	for _, r := range items {
		internAll(&r.Kind, &r.Region, &r.Network, &r.Subnetwork, &r.IPProtocol, &r.LoadBalancingScheme,
			&r.NetworkTier, &r.PortRange, &r.IpVersion)
	}
	return items
}

func internURLMaps(items []*compute.UrlMap) []*compute.UrlMap {
	for _, u := range items {
		internAll(&u.Kind, &u.Region)
	}
	return items
}

func internTargetHTTPProxies(items []*compute.TargetHttpProxy) []*compute.TargetHttpProxy {
	for _, t := range items {
		internAll(&t.Kind, &t.Region)
	}
	return items
}

func internTargetHTTPSProxies(items []*compute.TargetHttpsProxy) []*compute.TargetHttpsProxy {
	for _, t := range items {
		internAll(&t.Kind, &t.Region)
		internEach(t.SslCertificates)
	}
	return items
}
