package core

import (
	"sync"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// Index holds what several rules derive from the inventory, computed once
// per run (a Derived value): backend services by scoped key with their
// parsed descriptions, health checks, instance groups, NEGs and instances
// by relative name, the backend services the Ingresses list per Service,
// and the NEG-served Services.
type Index struct {
	Inv *inventory.Inventory
	// bsByKey maps "global/backendServices/N" or
	// "regions/R/backendServices/N" to the backend service of the
	// inspected project: names are unique only within a scope.
	bsByKey map[string]*compute.BackendService
	bsDesc  map[*compute.BackendService]gke.BackendServiceDescription
	// hcByLink maps a health check's relative name to it; igs, negByLink
	// and instances map those of instance groups, NEGs and instances.
	hcByLink  map[string]*compute.HealthCheck
	igs       map[string]*compute.InstanceGroup
	negByLink map[string]*compute.NetworkEndpointGroup
	instances map[string]*compute.Instance
	// ingressBS maps cluster scope + "/" + namespace + "/" + Service to the
	// scoped keys of the backend services in the backends annotation of
	// the Ingresses that route to it, in each Ingress class's scope.
	ingressBS map[string][]string
	negs      []NEGServing
	negsOnce  sync.Once
	// mu guards the caches below: rules run side by side. A value is
	// computed outside the lock (computing one may need another) and the
	// first stored wins; every computation gives the same value.
	mu sync.Mutex
	// used caches usedServicePorts per cluster.
	used map[*inventory.Cluster]map[string][]PortUse
	// lbBackends caches LBBackends per cluster.
	lbBackends map[*inventory.Cluster][]LBBackend
	// bsOf caches BackendServicesOf per Service (callers must not modify
	// what it returns).
	bsOf map[*corev1.Service][]serviceBackend
}

func NewIndex(inv *inventory.Inventory) *Index {
	x := &Index{Inv: inv, bsByKey: map[string]*compute.BackendService{}, bsDesc: map[*compute.BackendService]gke.BackendServiceDescription{},
		hcByLink: map[string]*compute.HealthCheck{}, ingressBS: map[string][]string{}}
	for _, bs := range inv.Compute.BackendServices {
		if inventory.ProjectOf(bs.SelfLink) == inv.Project {
			x.bsByKey[inventory.ScopedKey(bs.SelfLink)] = bs
		}
		if d, ok := gke.ParseBackendServiceDescription(bs.Description); ok {
			x.bsDesc[bs] = d
		}
	}
	for _, hc := range inv.Compute.HealthChecks {
		x.hcByLink[inventory.RelativeName(hc.SelfLink)] = hc
	}
	x.igs = make(map[string]*compute.InstanceGroup, len(inv.Compute.InstanceGroups))
	for _, ig := range inv.Compute.InstanceGroups {
		x.igs[inventory.RelativeName(ig.SelfLink)] = ig
	}
	x.negByLink = make(map[string]*compute.NetworkEndpointGroup, len(inv.Compute.NEGs))
	for _, n := range inv.Compute.NEGs {
		x.negByLink[inventory.RelativeName(n.SelfLink)] = n
	}
	x.instances = make(map[string]*compute.Instance, len(inv.Compute.Instances))
	for _, in := range inv.Compute.Instances {
		x.instances[inventory.RelativeName(in.SelfLink)] = in
	}
	for _, cl := range inv.Clusters {
		for i := range cl.Ingresses {
			ing := &cl.Ingresses[i]
			class, ok := gke.GKEIngress(ing)
			if !ok {
				continue
			}
			var keys []string
			for _, n := range gke.IngressBackendNames(ing) {
				keys = append(keys, gke.IngressResourceScope(class, cl.Region())+"/backendServices/"+n)
			}
			seen := map[string]bool{}
			for _, b := range BackendsOf(ing) {
				key := cl.Scope() + "/" + ing.Namespace + "/" + b.Service.Name
				if !seen[key] {
					seen[key] = true
					x.ingressBS[key] = append(x.ingressBS[key], keys...)
				}
			}
		}
	}
	return x
}

// HealthCheck returns the health check a backend service references, or
// nil when lbdiag did not read it.
func (x *Index) HealthCheck(url string) *compute.HealthCheck {
	return x.hcByLink[inventory.RelativeName(url)]
}

// InstanceGroup returns the instance group of a URL or relative name, or
// nil when lbdiag did not read it.
func (x *Index) InstanceGroup(link string) *compute.InstanceGroup {
	return x.igs[inventory.RelativeName(link)]
}

// NEG returns the network endpoint group of a URL or relative name, or
// nil.
func (x *Index) NEG(link string) *compute.NetworkEndpointGroup {
	return x.negByLink[inventory.RelativeName(link)]
}

// Instance returns the instance of a URL or relative name, or nil.
func (x *Index) Instance(link string) *compute.Instance {
	return x.instances[inventory.RelativeName(link)]
}

// BackendService returns the project's backend service of a scoped key
// ("global/backendServices/N", "regions/R/backendServices/N"), or nil.
func (x *Index) BackendService(key string) *compute.BackendService { return x.bsByKey[key] }

// IndexOf returns the run's index.
func IndexOf(p *inspect.Pass) *Index { return index.Of(p) }

var index = inspect.NewDerived("core.index", func(p *inspect.Pass) *Index { return NewIndex(p.Inventory) })

// UsedPorts returns the Service ports the cluster's GKE Ingresses route
// to, computed once per cluster.
func (x *Index) UsedPorts(cl *inventory.Cluster) map[string][]PortUse {
	return perCluster(&x.mu, &x.used, cl, usedServicePorts)
}

// LBBackends returns LBBackends(cl), computed once per cluster: several
// rules walk it. The slice is shared: callers must not change it.
func (x *Index) LBBackends(cl *inventory.Cluster) []LBBackend {
	return perCluster(&x.mu, &x.lbBackends, cl, LBBackends)
}

// perCluster returns build(cl), built once per cluster and kept in *m
// under mu (not held while it builds: rules ask for other clusters
// meanwhile; the first value stored wins).
func perCluster[V any](mu *sync.Mutex, m *map[*inventory.Cluster]V, cl *inventory.Cluster, build func(*inventory.Cluster) V) V {
	mu.Lock()
	v, ok := (*m)[cl]
	mu.Unlock()
	if ok {
		return v
	}
	v = build(cl)
	mu.Lock()
	defer mu.Unlock()
	if *m == nil {
		*m = map[*inventory.Cluster]V{}
	}
	if prev, ok := (*m)[cl]; ok {
		return prev
	}
	(*m)[cl] = v
	return v
}

// negServings returns the Services reached through NEGs, computed once.
func (x *Index) NEGServings() []NEGServing {
	x.negsOnce.Do(func() { x.negs = computeNEGServings(x) })
	return x.negs
}
