package rules

import (
	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// index holds what several rules derive from the inventory, computed once
// per run (inspect.Pass.Shared): backend services by name with their parsed
// descriptions, the backend service names the Ingresses list per Service,
// and the NEG-served Services.
type index struct {
	inv      *inventory.Inventory
	bsByName map[string]*compute.BackendService
	bsDesc   map[*compute.BackendService]backendServiceDescription
	// ingressBS maps cluster scope + "/" + namespace + "/" + Service to the
	// backend service names in the backends annotation of the Ingresses
	// that route to it.
	ingressBS map[string][]string
	negs      []negServing
	negsDone  bool
}

func newIndex(inv *inventory.Inventory) *index {
	x := &index{inv: inv, bsByName: map[string]*compute.BackendService{}, bsDesc: map[*compute.BackendService]backendServiceDescription{}, ingressBS: map[string][]string{}}
	for _, bs := range inv.Compute.BackendServices {
		x.bsByName[bs.Name] = bs
		if d, ok := parseBackendServiceDescription(bs.Description); ok {
			x.bsDesc[bs] = d
		}
	}
	for _, cl := range inv.Clusters {
		for i := range cl.Ingresses {
			ing := &cl.Ingresses[i]
			names := inventory.IngressBackendNames(ing)
			seen := map[string]bool{}
			for _, b := range backendsOf(ing) {
				key := cl.Scope() + "/" + ing.Namespace + "/" + b.Service.Name
				if !seen[key] {
					seen[key] = true
					x.ingressBS[key] = append(x.ingressBS[key], names...)
				}
			}
		}
	}
	return x
}

// indexOf returns the run's index.
func indexOf(p *inspect.Pass) *index {
	return p.Shared("rules.index", func() any { return newIndex(p.Inventory) }).(*index)
}

// negServings returns the Services reached through NEGs, computed once.
func (x *index) negServings() []negServing {
	if !x.negsDone {
		x.negs, x.negsDone = computeNEGServings(x), true
	}
	return x.negs
}
