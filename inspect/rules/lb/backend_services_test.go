package lb

import (
	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// backendService is a project with one global EXTERNAL_MANAGED HTTP
// backend service "web" on an instance group (RATE), no affinity, timeout
// 30 s, draining 60 s, edited.
func backendService(edit func(*compute.BackendService)) func() *inventory.Inventory {
	return func() *inventory.Inventory {
		inv := ruletest.LBProject()
		b := &compute.BackendService{Name: "web", SelfLink: ruletest.G("global/backendServices/web"), LoadBalancingScheme: "EXTERNAL_MANAGED", Protocol: "HTTP",
			SessionAffinity: "NONE", TimeoutSec: 30, ConnectionDraining: &compute.ConnectionDraining{DrainingTimeoutSec: 60},
			Backends: []*compute.Backend{{Group: ruletest.G("zones/us-east1-b/instanceGroups/web-ig"), BalancingMode: "RATE"}}}
		edit(b)
		inv.Compute.BackendServices = []*compute.BackendService{b}
		return inv
	}
}

// webLike is backendService's "web", named name and edited (a regional
// one when the edit sets its region).
func webLike(name string, edit func(*compute.BackendService)) *compute.BackendService {
	if edit == nil {
		edit = func(*compute.BackendService) {}
	}
	b := backendService(edit)().Compute.BackendServices[0]
	b.Name = name
	b.SelfLink = ruletest.G("global/backendServices/" + name)
	if b.Region != "" {
		b.SelfLink = ruletest.G("regions/" + inventory.LastSegment(b.Region) + "/backendServices/" + name)
	}
	return b
}

// backendServicesProject is a project with these backend services.
func backendServicesProject(bss ...*compute.BackendService) *inventory.Inventory {
	inv := ruletest.LBProject()
	inv.Compute.BackendServices = bss
	return inv
}
