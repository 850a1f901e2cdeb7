package rules

import (
	"fmt"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// Chains lists, per cluster, each Ingress or Gateway → Service port →
// backend service → backend group path lbdiag inspected, with the health
// it read. The HTML report draws them.
func Chains(inv *inventory.Inventory) []inspect.Chain {
	var out []inspect.Chain
	x := core.NewIndex(inv)
	for _, cl := range inv.Clusters {
		for _, b := range core.LBBackends(cl) {
			c := inspect.Chain{Cluster: cl.Location() + "/" + cl.Name(), Owner: b.Owner.Kind + " " + b.Owner.Namespace + "/" + b.Owner.Name,
				Class: b.Class, Service: b.Svc.Namespace + "/" + b.Svc.Name, Port: core.PortName(b.Port)}
			sbs := core.BackendServicesOf(x, cl, b.Svc)
			if b.OwnerKind == "Gateway" {
				sbs = core.GatewayBackendServices(x, cl, b.Svc)
			}
			for _, sb := range sbs {
				if sb.Port.Port != b.Port.Port {
					continue
				}
				c.BackendService = sb.BS.Name
				for _, g := range sb.BS.Backends {
					cg := inspect.ChainGroup{Name: inventory.LastSegment(g.Group), Zone: inventory.LocationOf(g.Group)}
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
