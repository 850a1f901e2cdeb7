package core

import (
	"sort"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// LBGraph joins the project's load-balancer resources, whoever made them:
// forwarding rules → target proxies → URL maps → backend services, and
// the certificates the proxies present. Built once per run (GraphOf).
type LBGraph struct {
	Inv *inventory.Inventory
	// FRsByTarget maps a target proxy's relative name to the forwarding
	// rules that send to it.
	FRsByTarget map[string][]*compute.ForwardingRule
	// ProxiesByCert maps a certificate's relative name to the target
	// HTTPS and SSL proxies that present it (as "TargetHttpsProxy NAME").
	ProxiesByCert map[string][]CertUser
	// BSOwners maps a backend service's self link to what sends to it:
	// "URL map NAME", "target SSL proxy NAME", "forwarding rule NAME".
	BSOwners map[string][]string
	// UsedBS lists the backend services any URL map, proxy or forwarding
	// rule references (relative names).
	UsedBS map[string]bool
	// MapBackends maps a URL map's relative name to the backend services
	// it sends to (relative names, in the map's order).
	MapBackends map[string][]string
}

// CertUser is a target proxy presenting a certificate, and the forwarding
// rules that send to it.
type CertUser struct {
	Kind, Name, SelfLink string
	FRs                  []*compute.ForwardingRule
	// MapOverrides is set when the proxy also has a certificate map,
	// which wins: the certificate is then presented to no one.
	MapOverrides bool
}

// GraphOf returns the run's load-balancer graph.
func GraphOf(p *inspect.Pass) *LBGraph { return lbGraph.Of(p) }

var lbGraph = inspect.NewDerived("core.lbgraph", func(p *inspect.Pass) *LBGraph { return NewLBGraph(p.Inventory) })

// NewLBGraph builds the graph from the inventory.
func NewLBGraph(inv *inventory.Inventory) *LBGraph {
	g := &LBGraph{Inv: inv, FRsByTarget: map[string][]*compute.ForwardingRule{}, ProxiesByCert: map[string][]CertUser{},
		BSOwners: map[string][]string{}, UsedBS: map[string]bool{}, MapBackends: map[string][]string{}}
	c := &inv.Compute
	for _, fr := range c.ForwardingRules {
		if fr.Target != "" {
			k := inventory.RelativeName(fr.Target)
			g.FRsByTarget[k] = append(g.FRsByTarget[k], fr)
		}
	}
	bsLinks := map[string]string{} // relative name -> self link
	for _, bs := range c.BackendServices {
		bsLinks[inventory.RelativeName(bs.SelfLink)] = bs.SelfLink
	}
	own := func(bsURL, owner string) {
		rel := inventory.RelativeName(bsURL)
		g.UsedBS[rel] = true
		if link, ok := bsLinks[rel]; ok && !Contains(g.BSOwners[link], owner) {
			g.BSOwners[link] = append(g.BSOwners[link], owner)
		}
	}
	for _, um := range c.URLMaps {
		owner := "URL map " + um.Name
		key := inventory.RelativeName(um.SelfLink)
		sends := func(bsURL string) {
			if bsURL == "" {
				return
			}
			own(bsURL, owner)
			if rel := inventory.RelativeName(bsURL); !Contains(g.MapBackends[key], rel) {
				g.MapBackends[key] = append(g.MapBackends[key], rel)
			}
		}
		sends(um.DefaultService)
		for _, pm := range um.PathMatchers {
			sends(pm.DefaultService)
			for _, pr := range pm.PathRules {
				sends(pr.Service)
			}
			for _, rr := range pm.RouteRules {
				sends(rr.Service)
				if rr.RouteAction != nil {
					for _, w := range rr.RouteAction.WeightedBackendServices {
						sends(w.BackendService)
					}
				}
			}
		}
	}
	for _, fr := range c.ForwardingRules {
		if fr.BackendService != "" {
			own(fr.BackendService, "forwarding rule "+fr.Name)
		}
	}
	for _, p := range c.TargetSSLProxies {
		if p.Service != "" {
			own(p.Service, "target SSL proxy "+p.Name)
		}
		for _, cert := range p.SslCertificates {
			k := inventory.RelativeName(cert)
			g.ProxiesByCert[k] = append(g.ProxiesByCert[k], CertUser{Kind: "TargetSslProxy", Name: p.Name, SelfLink: p.SelfLink,
				FRs: g.FRsByTarget[inventory.RelativeName(p.SelfLink)], MapOverrides: p.CertificateMap != ""})
		}
	}
	for _, p := range c.TargetHTTPSProxies {
		for _, cert := range p.SslCertificates {
			k := inventory.RelativeName(cert)
			g.ProxiesByCert[k] = append(g.ProxiesByCert[k], CertUser{Kind: "TargetHttpsProxy", Name: p.Name, SelfLink: p.SelfLink,
				FRs: g.FRsByTarget[inventory.RelativeName(p.SelfLink)], MapOverrides: p.CertificateMap != ""})
		}
	}
	// The API's own usedBy list, where it has one.
	for _, bs := range c.BackendServices {
		for _, u := range bs.UsedBy {
			if o := ownerOfReference(u.Reference); o != "" {
				own(bs.SelfLink, o)
			}
		}
	}
	for _, owners := range g.BSOwners {
		sort.Strings(owners)
	}
	return g
}

// ownerOfReference names a resource that references a backend service.
func ownerOfReference(ref string) string {
	parts := strings.Split(inventory.RelativeName(ref), "/")
	if len(parts) < 2 {
		return ""
	}
	name := parts[len(parts)-1]
	switch parts[len(parts)-2] {
	case "urlMaps":
		return "URL map " + name
	case "targetSslProxies":
		return "target SSL proxy " + name
	case "targetTcpProxies":
		return "target TCP proxy " + name
	case "forwardingRules":
		return "forwarding rule " + name
	case "targetGrpcProxies":
		return "target gRPC proxy " + name
	}
	return parts[len(parts)-2] + " " + name
}

// UsageKnown reports whether every list that can reference a backend
// service was read, so that one with no owner is used by nothing.
// It records no unknown read: when usage is unknown, rules judge every
// backend service instead of leaving out the unused ones.
func (g *LBGraph) UsageKnown() bool {
	s := inventory.ProjectScope(g.Inv.Project)
	return g.Inv.Known(inventory.ComputeURLMaps, s) && g.Inv.Known(inventory.ComputeForwardingRules, s) && g.Inv.Known(inventory.ComputeTargetSSLProxies, s)
}

// collections are the Compute Engine collections of the kinds findings
// name; kinds is the other way round (an insight names a global
// forwarding rule's collection globalForwardingRules).
var (
	collections = map[string]string{"BackendService": "backendServices", "UrlMap": "urlMaps", "ForwardingRule": "forwardingRules",
		"TargetHttpsProxy": "targetHttpsProxies", "TargetHttpProxy": "targetHttpProxies", "TargetSslProxy": "targetSslProxies",
		"TargetTcpProxy": "targetTcpProxies", "HealthCheck": "healthChecks", "SslCertificate": "sslCertificates", "Firewall": "firewalls",
		"Address": "addresses", "SecurityPolicy": "securityPolicies", "NetworkEndpointGroup": "networkEndpointGroups", "Subnetwork": "subnetworks"}
	kinds = func() map[string]string {
		m := map[string]string{"globalForwardingRules": "ForwardingRule"}
		for kind, coll := range collections {
			m[coll] = kind
		}
		return m
	}()
)

// CollectionOf is the Compute Engine collection of a finding's kind
// ("BackendService": "backendServices").
func CollectionOf(kind string) (string, bool) {
	c, ok := collections[kind]
	return c, ok
}

// KindOf is the finding kind of a Compute Engine collection.
func KindOf(collection string) (string, bool) {
	k, ok := kinds[collection]
	return k, ok
}

// ResourceOf names a Compute Engine resource of a kind by its self link:
// its project, its zone, region or "global", and its name.
func ResourceOf(kind, selfLink string) inspect.Resource {
	return inspect.Resource{Kind: kind, Project: inventory.ProjectOf(selfLink), Location: ScopeName(selfLink), Name: inventory.LastSegment(selfLink)}
}

// ScopeName is the zone or region of a resource's URL
// (inventory.LocationOf), or "global".
func ScopeName(selfLink string) string {
	if loc := inventory.LocationOf(selfLink); loc != "" {
		return loc
	}
	return "global"
}

// GCloudLocationFlag is the gcloud flag selecting the scope of a resource
// URL: --global, --region R or --zone Z.
func GCloudLocationFlag(selfLink string) string {
	parts := strings.Split(inventory.RelativeName(selfLink), "/")
	for i := 0; i+1 < len(parts); i++ {
		switch parts[i] {
		case "zones":
			return "--zone " + parts[i+1]
		case "regions":
			return "--region " + parts[i+1]
		}
	}
	return "--global"
}

// IsProxyScheme reports whether a load-balancing scheme is a proxy load
// balancer's (the connection from the client ends at Google's proxies).
func IsProxyScheme(scheme string) bool {
	switch scheme {
	case "EXTERNAL", "EXTERNAL_MANAGED", "INTERNAL_MANAGED", "INTERNAL_SELF_MANAGED":
		return true
	}
	return false
}

// IsProxyBackendService reports whether a backend service belongs to a
// proxy load balancer: a proxy scheme and a proxied protocol (an
// EXTERNAL backend service with protocol TCP or UDP and no proxy is a
// passthrough Network Load Balancer's).
func IsProxyBackendService(bs *compute.BackendService) bool {
	if !IsProxyScheme(bs.LoadBalancingScheme) {
		return false
	}
	switch bs.Protocol {
	case "HTTP", "HTTPS", "HTTP2", "SSL", "GRPC", "H2C":
		return true
	case "TCP":
		// TCP proxy (global) or a passthrough NLB (regional EXTERNAL).
		return bs.Region == "" || bs.LoadBalancingScheme != "EXTERNAL"
	}
	return false
}

// HealthCheckPath is an HTTP, HTTPS or HTTP/2 health check's request path
// ("/" when unset); ok is false for other health checks.
func HealthCheckPath(hc *compute.HealthCheck) (path string, ok bool) {
	switch {
	case hc.HttpHealthCheck != nil:
		path = hc.HttpHealthCheck.RequestPath
	case hc.HttpsHealthCheck != nil:
		path = hc.HttpsHealthCheck.RequestPath
	case hc.Http2HealthCheck != nil:
		path = hc.Http2HealthCheck.RequestPath
	default:
		return "", false
	}
	if path == "" {
		path = "/"
	}
	return path, true
}
