package rules

import (
	"fmt"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// Chains lists, per cluster, each Ingress or Gateway → Service port →
// backend service → backend group path lbdiag inspected, with the health
// it read. The HTML report draws them.
func Chains(inv *inventory.Inventory) []inspect.Chain {
	var out []inspect.Chain
	x := newIndex(inv)
	for _, cl := range inv.Clusters {
		for _, b := range lbBackends(cl) {
			c := inspect.Chain{Cluster: cl.Location() + "/" + cl.Name(), Owner: b.owner.Kind + " " + b.owner.Namespace + "/" + b.owner.Name,
				Class: b.class, Service: b.svc.Namespace + "/" + b.svc.Name, Port: portName(b.port)}
			sbs := backendServicesOf(x, cl, b.svc)
			if b.ownerKind == "Gateway" {
				sbs = gatewayBackendServices(x, cl, b.svc)
			}
			for _, sb := range sbs {
				if sb.Port.Port != b.port.Port {
					continue
				}
				c.BackendService = sb.BS.Name
				for _, g := range sb.BS.Backends {
					cg := inspect.ChainGroup{Name: inventory.LastSegment(g.Group), Zone: scopeOfGroup(g.Group)}
					if h, ok := inv.Compute.BackendHealth[sb.BS.SelfLink][g.Group]; ok {
						healthy := 0
						for _, st := range h.HealthStatus {
							if st.HealthState == "HEALTHY" {
								healthy++
							}
						}
						cg.Health = fmt.Sprintf("%d of %d healthy", healthy, len(h.HealthStatus))
						cg.Unhealthy = healthy == 0 && len(h.HealthStatus) > 0
					}
					c.Groups = append(c.Groups, cg)
				}
				break
			}
			out = append(out, c)
		}
	}
	return out
}
