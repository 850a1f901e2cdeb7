package lb

import (
	"fmt"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// SessionAffinityLocalityPolicy reports session affinity that the
// backend service's locality policy ignores.
var SessionAffinityLocalityPolicy = &inspect.Rule{
	ID:       "session-affinity-locality-policy",
	Severity: inspect.Warning,
	Title:    "Every Envoy-based backend service with session affinity uses the MAGLEV or RING_HASH locality policy",
	Doc: inspect.Doc{
		Why: `For the Envoy-based load balancers (schemes EXTERNAL_MANAGED, INTERNAL_MANAGED and INTERNAL_SELF_MANAGED), the Compute Engine API says that when sessionAffinity is not NONE and localityLbPolicy is not MAGLEV or RING_HASH, the session affinity settings do not take effect: requests of one client spread over all backends, as if affinity were NONE. The default policy is ROUND_ROBIN.`,
		Fix: `gcloud compute backend-services update BS --locality-lb-policy=RING_HASH --global (or MAGLEV). For a GKE Gateway, set localityLbAlgorithm in a GCPTrafficDistributionPolicy targeting the Service.`,
		Sources: []string{"Compute Engine API backendServices: localityLbPolicy (\"If sessionAffinity is not NONE, and this field is not set to MAGLEV or RING_HASH, session affinity settings will not take effect\")",
			"gcpdiag lb/BP/2022_001"},
		URL: "https://cloud.google.com/compute/docs/reference/rest/v1/backendServices",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !backendServicesKnown(p) {
			return
		}
		for _, bs := range ownBackendServices(inv) {
			switch bs.LoadBalancingScheme {
			case "EXTERNAL_MANAGED", "INTERNAL_MANAGED", "INTERNAL_SELF_MANAGED":
			default:
				continue
			}
			if !affinitySet(bs) {
				continue
			}
			res := core.BackendServiceResource(bs)
			p.Judge(res)
			if bs.LocalityLbPolicy == "MAGLEV" || bs.LocalityLbPolicy == "RING_HASH" {
				continue
			}
			policy := bs.LocalityLbPolicy
			if policy == "" {
				policy = "unset (ROUND_ROBIN)"
			}
			fix := gkeFix(bs, "", "kubectl apply -f - <<'EOF'   # a GCPTrafficDistributionPolicy for the Service\napiVersion: networking.gke.io/v1\nkind: GCPTrafficDistributionPolicy\nmetadata:\n  name: SERVICE-affinity\n  namespace: NS\nspec:\n  targetRefs:\n  - group: \"\"\n    kind: Service\n    name: SERVICE\n  default:\n    localityLbAlgorithm: RING_HASH\nEOF")
			if fix == "" {
				fix = fmt.Sprintf("gcloud compute backend-services update %s %s --locality-lb-policy=RING_HASH --project %s", bs.Name, core.GCloudScope(bs), inventory.ProjectOf(bs.SelfLink))
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("Backend service %s (%s) has session affinity %s, but its localityLbPolicy is %s: the affinity does not take effect",
					bs.Name, bs.LoadBalancingScheme, bs.SessionAffinity, policy),
				Resource:    res,
				Evidence:    map[string]any{"sessionAffinity": bs.SessionAffinity, "localityLbPolicy": bs.LocalityLbPolicy, "loadBalancingScheme": bs.LoadBalancingScheme},
				Remediation: fix,
			})
		}
	},
}
