package trace

import (
	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// index finds the inventory's resources by URL, whatever the form of the
// reference (full or relative), and the findings by resource.
type index struct {
	inv      *inventory.Inventory
	proxies  map[string]any // *compute.TargetHttpProxy or *compute.TargetHttpsProxy
	maps     map[string]*compute.UrlMap
	certs    map[string]*compute.SslCertificate
	services map[string]*compute.BackendService
	buckets  map[string]*compute.BackendBucket
	negs     map[string]*compute.NetworkEndpointGroup
	findings map[string][]inspect.Finding
}

func newIndex(inv *inventory.Inventory) *index {
	c := &inv.Compute
	x := &index{inv: inv, proxies: map[string]any{}, maps: byLink(c.URLMaps, func(o *compute.UrlMap) string { return o.SelfLink }),
		certs:    byLink(c.SSLCertificates, func(o *compute.SslCertificate) string { return o.SelfLink }),
		services: byLink(c.BackendServices, func(o *compute.BackendService) string { return o.SelfLink }),
		buckets:  byLink(c.BackendBuckets, func(o *compute.BackendBucket) string { return o.SelfLink }),
		negs:     byLink(c.NEGs, func(o *compute.NetworkEndpointGroup) string { return o.SelfLink }),
		findings: map[string][]inspect.Finding{}}
	for _, p := range c.TargetHTTPProxies {
		x.proxies[inventory.RelativeName(p.SelfLink)] = p
	}
	for _, p := range c.TargetHTTPSProxies {
		x.proxies[inventory.RelativeName(p.SelfLink)] = p
	}
	return x
}

// byLink indexes resources by the relative name of their selfLink.
func byLink[T any](items []T, link func(T) string) map[string]T {
	m := make(map[string]T, len(items))
	for _, o := range items {
		m[inventory.RelativeName(link(o))] = o
	}
	return m
}

// addFindings indexes a run's findings by their resource.
func (x *index) addFindings(fs []inspect.Finding) {
	for _, f := range fs {
		k := resourceKey(f.Resource)
		x.findings[k] = append(x.findings[k], f)
	}
}

func resourceKey(r inspect.Resource) string {
	return r.Kind + "\x00" + r.Project + "\x00" + r.Location + "\x00" + r.Cluster + "\x00" + r.Namespace + "\x00" + r.Name
}

// mapOf returns the URL map of a forwarding rule's target proxy.
func (x *index) mapOf(fr *compute.ForwardingRule) *compute.UrlMap {
	switch p := x.proxies[inventory.RelativeName(fr.Target)].(type) {
	case *compute.TargetHttpProxy:
		return x.maps[inventory.RelativeName(p.UrlMap)]
	case *compute.TargetHttpsProxy:
		return x.maps[inventory.RelativeName(p.UrlMap)]
	}
	return nil
}

// known reports whether lbdiag knows whether the resource at url exists.
func (x *index) known(source inventory.Source, url string) bool {
	return x.inv.KnownResource(source, url)
}

// readError is the coverage entry of a source that failed for a resource:
// the object's own entry, else the project's.
func (x *index) readError(source inventory.Source, url string) *inventory.Coverage {
	rel := inventory.RelativeName(url)
	ps := inventory.ProjectScope(inventory.ProjectOf(url))
	var project *inventory.Coverage
	for i := range x.inv.Coverage {
		c := &x.inv.Coverage[i]
		if c.Source != source || c.Complete() {
			continue
		}
		if c.Scope == rel {
			return c
		}
		if c.Scope == ps {
			project = c
		}
	}
	return project
}
