package lb

import (
	"fmt"
	"sort"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// servingBackend is a backend service of the project and what sends to
// it: Ingresses and Gateways (by GKE's annotations), LoadBalancer
// Services (by their address), URL maps, proxies and forwarding rules.
type servingBackend struct {
	bs     *compute.BackendService
	owners []string // "Ingress ns/name", "Gateway ns/name", "LoadBalancer Service ns/name", "URL map NAME", ...
	cl     *inventory.Cluster
	// gke is set when an Ingress or Gateway annotation names it.
	gke bool
}

// servingBackends lists every backend service of the project with its
// owners: first those GKE's Ingresses and Gateways name in their
// ingress.kubernetes.io/backends and networking.gke.io/backend-services
// annotations, then what the load-balancer graph and the LoadBalancer
// Services' addresses say.
func servingBackends(p *inspect.Pass) []servingBackend { return servingBackendsOf.Of(p) }

var servingBackendsOf = inspect.NewDerived("lb.servingBackends", func(p *inspect.Pass) []servingBackend {
	inv := p.Inventory
	byKey := map[string]*compute.BackendService{}
	for _, bs := range inv.Compute.BackendServices {
		if inventory.ProjectOf(bs.SelfLink) == inv.Project {
			byKey[inventory.ScopedKey(bs.SelfLink)] = bs
		}
	}
	index := map[string]int{}
	var out []servingBackend
	add := func(cl *inventory.Cluster, bs *compute.BackendService, owner string, gke bool) {
		i, ok := index[bs.SelfLink]
		if !ok {
			i = len(out)
			index[bs.SelfLink] = i
			out = append(out, servingBackend{bs: bs, cl: cl})
		}
		if gke {
			out[i].gke = true
		}
		if out[i].cl == nil {
			out[i].cl = cl
		}
		if owner != "" && !core.Contains(out[i].owners, owner) {
			out[i].owners = append(out[i].owners, owner)
		}
	}
	for _, cl := range inv.Clusters {
		serving := inventory.ServingBackendServices(cl)
		for _, key := range core.SortedKeys(serving) {
			if bs := byKey[key]; bs != nil {
				for _, owner := range serving[key] {
					add(cl, bs, owner, true)
				}
			}
		}
	}
	// LoadBalancer Services: the forwarding rule of their address.
	l4 := l4ServicesByIP(inv)
	for _, fr := range inv.Compute.ForwardingRules {
		if fr.BackendService == "" {
			continue
		}
		if svc, ok := l4[fr.IPAddress]; ok {
			if bs := byKey[inventory.ScopedKey(fr.BackendService)]; bs != nil {
				add(svc.cl, bs, "LoadBalancer Service "+svc.svc.Namespace+"/"+svc.svc.Name, false)
			}
		}
	}
	g := core.GraphOf(p)
	for _, bs := range inv.Compute.BackendServices {
		if inventory.ProjectOf(bs.SelfLink) != inv.Project {
			continue
		}
		if _, done := index[bs.SelfLink]; done {
			continue
		}
		add(nil, bs, "", false)
		for _, o := range g.BSOwners[bs.SelfLink] {
			add(nil, bs, o, false)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].bs.SelfLink < out[j].bs.SelfLink })
	return out
})

// servedBy renders a backend service's owners for a message.
func (sb servingBackend) servedBy() string {
	if len(sb.owners) == 0 {
		return fmt.Sprintf("Backend service %s (which no URL map, proxy or forwarding rule lbdiag read uses)", sb.bs.Name)
	}
	return "Backend service serving " + strings.Join(sb.owners, ", ")
}
