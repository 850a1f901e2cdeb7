package lb

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// BackendUnhealthy reports backends of Ingresses and Gateways without a
// healthy endpoint.
var BackendUnhealthy = &inspect.Rule{
	ID:       "backend-unhealthy",
	Severity: inspect.Error,
	Needs:    []inventory.Source{inventory.ComputeBackendHealth},
	Title:    "Every backend group of a load balancer has a healthy endpoint",
	Doc: inspect.Doc{
		Why:     `A backend group (a zonal NEG or instance group) whose endpoints all fail the load balancer's health check receives no traffic; when every group of a backend service is unhealthy, its requests fail with 502 or "no healthy upstream". The ingress.kubernetes.io/backends annotation says HEALTHY as soon as one endpoint anywhere is, so lbdiag asks Compute Engine (backendServices.getHealth, once per group of each backend service, within the health budget) for the full picture. Load balancers GKE did not build are judged the same way. When another rule names the cause (the firewall blocks the health checkers, the health check probes the wrong port or protocol, the readiness probe and health check disagree, the NEG is missing), this finding becomes that one's evidence instead of a row of its own; with --logs, the probe logs' state joins it.`,
		Fix:     `Check the Pods' readiness and the health check's path and port (kubectl describe pods; gcloud compute backend-services get-health NAME --global), and that Google's health checkers can reach them (see health-check-firewall-missing).`,
		Sources: []string{core.SrcTroubleshoot, "kubernetes/ingress-gce pkg/backends/backends.go (the backends annotation's health string)"},
		URL:     core.DocTroubleshootLB,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		ps := inventory.ProjectScope(inv.Project)
		// Without the list, no backend service is judged.
		backendServicesKnown(p)
		usageKnown := core.GraphOf(p).UsageKnown()
		for _, sb := range servingBackends(p) {
			if len(sb.owners) == 0 && usageKnown {
				continue // used by nothing: its health harms no traffic
			}
			res := core.BackendServiceResource(sb.bs)
			health := inv.Compute.BackendHealth[sb.bs.SelfLink]
			var sick []string
			perZone := map[string]string{}
			read, healthyTotal := 0, 0
			for _, b := range sb.bs.Backends {
				h, ok := health[b.Group]
				if !ok {
					continue // not read: unknown
				}
				healthy := 0
				for _, st := range h.HealthStatus {
					if st.HealthState == "HEALTHY" {
						healthy++
					}
				}
				read++
				healthyTotal += healthy
				zone := inventory.LocationOf(b.Group)
				perZone[zone] = fmt.Sprintf("%d of %d healthy", healthy, len(h.HealthStatus))
				// An empty group (a zone without Pods) takes no traffic and
				// harms nothing; a group whose endpoints all fail does.
				if healthy == 0 && len(h.HealthStatus) > 0 {
					sick = append(sick, fmt.Sprintf("%s (%s: %d of %d endpoints healthy)", inventory.LastSegment(b.Group), zone, healthy, len(h.HealthStatus)))
				}
			}
			switch {
			case read == len(sb.bs.Backends):
				p.Judge(res)
			case len(sick) == 0:
				// A group whose health was not read is unknown, never
				// healthy: the backend service is not judged.
				p.Known(inventory.ComputeBackendHealth, ps)
			}
			msg := fmt.Sprintf("%s has no healthy endpoint in %d of its %d backend groups: %s",
				sb.servedBy(), len(sick), len(sb.bs.Backends), strings.Join(sick, "; "))
			switch {
			case read > 0 && read == len(sb.bs.Backends) && healthyTotal == 0 && len(sick) == 0:
				msg = fmt.Sprintf("%s has no endpoint at all in its %d backend groups: every request to it fails", sb.servedBy(), read)
			case len(sick) == 0:
				continue
			case healthyTotal == 0 && read == len(sb.bs.Backends):
				msg += ": no endpoint anywhere is healthy, every request to it fails"
			}
			// The cause, when a rule found one, is the row; the health
			// it explains is its evidence.
			note := fmt.Sprintf("getHealth: no healthy endpoint in %d of the %d backend groups of %s", len(sick), len(sb.bs.Backends), sb.bs.Name)
			if len(sick) == 0 {
				note = fmt.Sprintf("getHealth: no endpoint at all in the %d backend groups of %s", read, sb.bs.Name)
			}
			p.Report(inspect.Finding{
				AttachTo:    unhealthyAttachment(p, sb),
				AttachNote:  note,
				Message:     msg,
				Resource:    res,
				Evidence:    map[string]any{"healthByZone": perZone, "owners": sb.owners, "healthChecks": sb.bs.HealthChecks},
				Remediation: fmt.Sprintf("gcloud compute backend-services get-health %s %s --project %s   # then check the %s, the health check's path and port, and health-check-firewall-missing", sb.bs.Name, core.GCloudScope(sb.bs), inventory.ProjectOf(sb.bs.SelfLink), backendKindWord(sb)),
			})
		}
	},
}

// unhealthyCauses are the rules whose findings say why a backend group has
// no healthy endpoint, causes first: the first that fired on the backend
// service, its Service or its Ingress takes backend-unhealthy's evidence.
var unhealthyCauses = []string{"health-check-firewall-missing", "l4-health-check-firewall-missing", "health-check-port-mismatch",
	"health-check-protocol-mismatch", "readiness-probe-health-check-mismatch", "neg-missing"}

// unhealthyAttachment is where backend-unhealthy's finding goes when a
// cause fired: the findings of unhealthyCauses on the backend service, its
// Service, its Ingresses and Gateways, and the LoadBalancer Services it
// serves.
func unhealthyAttachment(p *inspect.Pass, sb servingBackend) *inspect.Attachment {
	a := ownersOf(p, sb.bs).attachments(unhealthyCauses)
	if sb.cl == nil {
		return a
	}
	for _, o := range sb.owners {
		ref, ok := strings.CutPrefix(o, "LoadBalancer Service ")
		if !ok {
			continue
		}
		ns, name, _ := strings.Cut(ref, "/")
		l4 := inspect.Attachment{Rule: "l4-health-check-firewall-missing", Resource: core.KubeResource(sb.cl, "Service", core.MetaOf(ns, name))}
		if a == nil {
			a = &l4
			continue
		}
		a.Or = append(a.Or, l4)
	}
	return a
}

// backendKindWord names what stands behind a backend service's groups.
func backendKindWord(sb servingBackend) string {
	if sb.gke {
		return "Pods' readiness"
	}
	return "backends' health"
}
