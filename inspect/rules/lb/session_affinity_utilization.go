package lb

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// SessionAffinityUtilization reports session affinity with the
// UTILIZATION balancing mode.
var SessionAffinityUtilization = &inspect.Rule{
	ID:       "session-affinity-utilization",
	Severity: inspect.Warning,
	Title:    "No backend service combines session affinity with the UTILIZATION balancing mode",
	Doc: inspect.Doc{
		Why:     `Session affinity sends a client's requests to the same backend; the UTILIZATION balancing mode moves new requests away from backend groups as their CPU utilization rises. Together, the load balancer favours its utilization target over affinity: sessions move to other backends as load changes (logged-out users, lost carts, cache misses), while some backends stay overloaded. RATE (HTTP and HTTPS) or CONNECTION (TCP and SSL) keep affinity stable.`,
		Fix:     `gcloud compute backend-services update-backend BS --instance-group=IG --instance-group-zone=ZONE --balancing-mode=RATE --max-rate-per-instance=N --global (CONNECTION with --max-connections-per-instance for TCP and SSL).`,
		Sources: []string{"Backend services overview: session affinity and balancing modes (" + docBackendService + "#session_affinity)", "gcpdiag lb/BP/2026_001"},
		URL:     docBackendService + "#session_affinity",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !backendServicesKnown(p) {
			return
		}
		for _, bs := range ownBackendServices(inv) {
			if !affinitySet(bs) {
				continue
			}
			res := core.BackendServiceResource(bs)
			p.Judge(res)
			var groups []string
			for _, b := range bs.Backends {
				if b.BalancingMode == "UTILIZATION" {
					groups = append(groups, inventory.LastSegment(b.Group)+" ("+inventory.LocationOf(b.Group)+")")
				}
			}
			if len(groups) == 0 {
				continue
			}
			mode, flag := "RATE", "--max-rate-per-instance=100"
			if bs.Protocol == "TCP" || bs.Protocol == "SSL" {
				mode, flag = "CONNECTION", "--max-connections-per-instance=100"
			}
			first := bs.Backends[0]
			for _, b := range bs.Backends {
				if b.BalancingMode == "UTILIZATION" {
					first = b
					break
				}
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("Backend service %s has session affinity %s, but %s %s the UTILIZATION balancing mode: as utilization changes, sessions move to other backends",
					bs.Name, bs.SessionAffinity, strings.Join(groups, ", "), agree(len(groups), "uses", "use")),
				Resource: res,
				Evidence: map[string]any{"sessionAffinity": bs.SessionAffinity, "utilizationBackends": groups},
				Remediation: fmt.Sprintf("gcloud compute backend-services update-backend %s %s --instance-group=%s --instance-group-%s --balancing-mode=%s %s --project %s   # each group listed; the numbers are the capacity per instance",
					bs.Name, core.GCloudScope(bs), inventory.LastSegment(first.Group), strings.TrimPrefix(core.GCloudLocationFlag(first.Group), "--"), mode, flag, inventory.ProjectOf(bs.SelfLink)),
			})
		}
	},
}
