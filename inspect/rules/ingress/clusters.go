package ingress

import (
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// clusterResource names a GKE cluster.
func clusterResource(cl *inventory.Cluster) inspect.Resource {
	return inspect.Resource{Kind: "Cluster", Project: cl.Project, Location: cl.Location(), Cluster: cl.Name(), Name: cl.Name()}
}

// loadBalancedObjects lists the cluster's GKE Ingresses and the Gateways of
// GKE classes, as "Kind ns/name".
func loadBalancedObjects(cl *inventory.Cluster, gateways bool) []string {
	var out []string
	core.GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) {
		out = append(out, "Ingress "+ing.Namespace+"/"+ing.Name)
	})
	if gateways {
		for _, gw := range cl.Gateways {
			if strings.HasPrefix(gw.Spec.GatewayClassName, "gke-l7-") {
				out = append(out, "Gateway "+gw.Namespace+"/"+gw.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

func gcloudLocationFlag(cl *inventory.Cluster) string {
	if inventory.RegionOfLocation(cl.Location()) == cl.Location() {
		return "--region " + cl.Location()
	}
	return "--zone " + cl.Location()
}
