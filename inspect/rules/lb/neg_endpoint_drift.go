package lb

import (
	"fmt"
	"sort"
	"strings"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// negSyncWindow is how long lbdiag lets GKE's NEG controller take to add
// a ready Pod to its NEG: it syncs on every EndpointSlice change, and an
// endpoint missing minutes after the slice last changed is drift.
const negSyncWindow = 5 * time.Minute

// maxDriftExamples bounds the addresses a finding names.
const maxDriftExamples = 3

// NEGEndpointDrift reports GKE NEGs whose endpoints are not the Service's
// Pods.
var NEGEndpointDrift = &inspect.Rule{
	ID:       "neg-endpoint-drift",
	Severity: inspect.Warning,
	Needs:    []inventory.Source{inventory.ComputeBackendHealth},
	Title:    "Every GKE NEG holds exactly the Service's Pods",
	Doc: inspect.Doc{
		Why: `GKE's NEG controller keeps each zone's network endpoint group in step with the Service's EndpointSlices: a Pod's IP:port is added when the Pod appears and removed when it goes. The load balancer sends to what the NEG holds, not to Kubernetes. An endpoint left in the NEG after its Pod is gone takes traffic that fails (502, connection refused or timeouts, until health checks mark it down); a ready Pod missing from the NEG long after its EndpointSlice last changed gets no traffic, which is why "my new Pods never get traffic". Both mean the controller is not syncing: its events (lb-sync-error), a NEG annotation changed by hand, a NEG deleted or edited outside GKE, or a cluster whose NEG controller lost access. lbdiag compares the NEG endpoints getHealth returned with the EndpointSlices; a NEG whose health was not read is not judged.`,
		Fix: `kubectl describe service SERVICE -n NAMESPACE (the NEG controller's events); make sure nobody edits GKE's NEGs by hand; to force a resync, change the Service's cloud.google.com/neg annotation and back, or delete the NEG's stale endpoints with gcloud compute network-endpoint-groups detach-network-endpoints.`,
		Sources: []string{"Container-native load balancing through Ingress: NEG controller (cloud.google.com/kubernetes-engine/docs/how-to/container-native-load-balancing)",
			"kubernetes/ingress-gce pkg/neg/syncers (transactionSyncer: NEG endpoints calculated from EndpointSlices)", core.SrcTroubleshoot},
		URL: "https://cloud.google.com/kubernetes-engine/docs/how-to/container-native-load-balancing",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		seen := map[string]bool{}
		for _, n := range negServings(p) {
			if gke.IsDefaultBackend(n.Svc.Namespace, n.Svc.Name) || !p.Known(inventory.KubeEndpointSlices, n.Cl.Scope()) {
				continue
			}
			slices := serviceSlices(n.Cl, n.Svc.Namespace, n.Svc.Name)
			res := core.KubeResource(n.Cl, "Service", n.Svc.ObjectMeta)
			all, ready := slices.addresses("")
			// Both ways, only once the controller had its sync window since
			// the slices last changed: a Pod that left seconds ago, or
			// getHealth and the slices read moments apart, is no drift. A
			// Service not settled yet is not judged, passed or failed.
			lastChange, changeKnown := slices.lastChange()
			settled := changeKnown && !inv.CollectedAt.IsZero() && inv.CollectedAt.Sub(lastChange) > negSyncWindow
			for _, sb := range n.Backends {
				for _, b := range sb.BS.Backends {
					zone := inventory.LocationOf(b.Group)
					if !strings.Contains(b.Group, "/zones/") || !strings.Contains(b.Group, "/networkEndpointGroups/") || seen[b.Group] {
						continue
					}
					h, ok := inv.Compute.BackendHealth[sb.BS.SelfLink][b.Group]
					if !ok {
						// Its health was not read: unknown, never in step.
						p.Known(inventory.ComputeBackendHealth, inventory.ProjectScope(inv.Project))
						continue
					}
					seen[b.Group] = true
					if !settled {
						continue
					}
					p.Judge(res)
					inNEG := map[string]bool{}
					for _, st := range h.HealthStatus {
						if st.IpAddress != "" {
							inNEG[st.IpAddress] = true
						}
					}
					_, readyHere := slices.addresses(zone)
					var gone, missing []string
					for ip := range inNEG {
						if !all[ip] {
							gone = append(gone, ip)
						}
					}
					for ip := range readyHere {
						if !inNEG[ip] {
							missing = append(missing, ip)
						}
					}
					if len(gone) == 0 && len(missing) == 0 {
						continue
					}
					sort.Strings(gone)
					sort.Strings(missing)
					var parts []string
					if len(gone) > 0 {
						what := "endpoints with no Pod of the Service behind them"
						if len(gone) == 1 {
							what = "endpoint with no Pod of the Service behind it"
						}
						parts = append(parts, fmt.Sprintf("%d %s (%s): the load balancer still sends requests there, which fail", len(gone), what, examples(gone)))
					}
					if len(missing) > 0 {
						parts = append(parts, fmt.Sprintf("%d of its %d ready Pods in %s are missing (%s), %s after the EndpointSlices last changed: they get no traffic",
							len(missing), len(readyHere), zone, examples(missing), core.HumanDuration(inv.CollectedAt.Sub(lastChange))))
					}
					neg := inventory.LastSegment(b.Group)
					p.Report(inspect.Finding{
						Key: neg,
						Message: fmt.Sprintf("NEG %s (%s) of Service %s/%s port %s holds %d endpoints, but %s",
							neg, zone, n.Svc.Namespace, n.Svc.Name, core.PortName(sb.Port), len(inNEG), strings.Join(parts, "; ")),
						Resource: res,
						Evidence: map[string]any{"neg": neg, "zone": zone, "backendService": sb.BS.Name, "negEndpoints": len(inNEG),
							"readyPods": len(ready), "readyPodsInZone": len(readyHere), "gone": bounded(gone), "missing": bounded(missing),
							"endpointSlicesChanged": timeText(lastChange, changeKnown)},
						Remediation: fmt.Sprintf("kubectl describe service %s -n %s   # the NEG controller's events; then, for the stale endpoints: gcloud compute network-endpoint-groups list-network-endpoints %s --zone %s --project %s",
							n.Svc.Name, n.Svc.Namespace, neg, zone, inventory.ProjectOf(b.Group)),
					})
				}
			}
		}
	},
}

// endpointSlices are a Service's EndpointSlices.
type endpointSlices []*discoveryv1.EndpointSlice

func serviceSlices(cl *inventory.Cluster, ns, svc string) endpointSlices {
	var out endpointSlices
	for i := range cl.EndpointSlices {
		if es := &cl.EndpointSlices[i]; es.Namespace == ns && es.Labels[discoveryv1.LabelServiceName] == svc {
			out = append(out, es)
		}
	}
	return out
}

// addresses are the slices' addresses (in zone, when one is given): all
// of them, and the ready ones (ready unset counts as ready, as the API
// says).
func (s endpointSlices) addresses(zone string) (all, ready map[string]bool) {
	all, ready = map[string]bool{}, map[string]bool{}
	for _, es := range s {
		for _, ep := range es.Endpoints {
			if zone != "" && (ep.Zone == nil || *ep.Zone != zone) {
				continue
			}
			for _, a := range ep.Addresses {
				all[a] = true
				if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
					ready[a] = true
				}
			}
		}
	}
	return all, ready
}

// lastChange is when the slices last changed: the newest managedFields
// time, else the newest creation time. ok is false when none says.
func (s endpointSlices) lastChange() (time.Time, bool) {
	var t time.Time
	for _, es := range s {
		for _, mf := range es.ManagedFields {
			if mf.Time != nil && mf.Time.After(t) {
				t = mf.Time.Time
			}
		}
		if len(es.ManagedFields) == 0 && es.CreationTimestamp.After(t) {
			t = es.CreationTimestamp.Time
		}
	}
	return t, !t.IsZero()
}

func examples(ips []string) string {
	if len(ips) <= maxDriftExamples {
		return strings.Join(ips, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ips[:maxDriftExamples], ", "), len(ips)-maxDriftExamples)
}

func bounded(ips []string) []string {
	if len(ips) > 10 {
		return ips[:10]
	}
	if ips == nil {
		return []string{}
	}
	return ips
}

func timeText(t time.Time, ok bool) string {
	if !ok {
		return "unknown"
	}
	return t.UTC().Format(time.RFC3339)
}
