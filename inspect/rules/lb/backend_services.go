package lb

import (
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

const docBackendService = "https://cloud.google.com/load-balancing/docs/backend-service"

// backendServicesKnown reports whether the project's backend services were
// read, recording that the rule could not check the project when not.
func backendServicesKnown(p *inspect.Pass) bool {
	return p.Known(inventory.ComputeBackendServices, inventory.ProjectScope(p.Inventory.Project))
}

// ownBackendServices are the backend services of the inspected project.
func ownBackendServices(inv *inventory.Inventory) []*compute.BackendService {
	var out []*compute.BackendService
	for _, bs := range inv.Compute.BackendServices {
		if inventory.ProjectOf(bs.SelfLink) == inv.Project {
			out = append(out, bs)
		}
	}
	return out
}

// affinitySet reports whether a backend service has session affinity.
func affinitySet(bs *compute.BackendService) bool {
	return bs.SessionAffinity != "" && bs.SessionAffinity != "NONE"
}

// gkeFix is the Kubernetes change for a backend-service setting GKE
// manages, by who made the backend service; "" when GKE did not.
func gkeFix(bs *compute.BackendService, ingress, gateway string) string {
	switch maker, svc := gke.BackendServiceMaker(bs); maker {
	case "Ingress":
		return strings.ReplaceAll(ingress, "SERVICE", core.OrDash(svc))
	case "Gateway":
		return gateway
	}
	return ""
}
