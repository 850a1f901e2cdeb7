package lb

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// HealthCheckPortMismatch reports health checks that probe a port the
// backends do not serve.
var HealthCheckPortMismatch = &inspect.Rule{
	ID:       "health-check-port-mismatch",
	Severity: inspect.Error,
	Title:    "Every health check probes the port its backends serve",
	Doc: inspect.Doc{
		Why:     `A backend service sends traffic to its instance groups' named port (its portName) or to its NEGs' endpoint ports, but a health check with a fixed port (portSpecification USE_FIXED_PORT, or a port and no specification) probes that port whatever the backends serve, and USE_NAMED_PORT probes the named port it names. When that is a port the backends do not listen on, every probe fails, the backends are UNHEALTHY and the load balancer answers 502 or "no healthy upstream"; when the instance group lacks the backend service's named port altogether, traffic has nowhere to go. Network Analyzer reports this as HEALTH_CHECK_PORT_MISMATCH.`,
		Fix:     `Probe the serving port: gcloud compute health-checks update http HC --use-serving-port (or --port=PORT); or add the named port to the instance group: gcloud compute instance-groups set-named-ports IG --named-ports=NAME:PORT --zone ZONE. For GKE, set spec.healthCheck.port in the Service port's BackendConfig (Ingress) or the HealthCheckPolicy (Gateway), not on the health check.`,
		Sources: []string{"Health checks overview: port specification (" + docHealthChecks + "#port-specification)", "Network Analyzer load balancer insights: health check port mismatch"},
		URL:     docHealthChecks + "#port-specification",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		ps := inventory.ProjectScope(inv.Project)
		if !healthChecksKnown(p) || !p.Known(inventory.ComputeInstanceGroups, ps) || !p.Known(inventory.ComputeNEGs, ps) {
			return
		}
		x := core.IndexOf(p)
		for _, bs := range inv.Compute.BackendServices {
			// Passthrough load balancers deliver to the client's
			// destination port; named ports and serving ports are the
			// proxies'.
			if !core.IsProxyBackendService(bs) {
				continue
			}
			res := core.BackendServiceResource(bs)
			for _, hcURL := range bs.HealthChecks {
				hc := x.HealthCheck(hcURL)
				if hc == nil {
					continue
				}
				pr := core.ProbeOf(hc)
				if pr.Spec == "SERVING" {
					p.Judge(res) // it probes whatever port the backends serve
					continue
				}
				// Judged once the port of one backend group is known.
				checked := false
				var bad []string
				ev := map[string]any{"healthCheck": hc.Name, "portSpecification": pr.Spec}
				for _, b := range bs.Backends {
					rel := inventory.RelativeName(b.Group)
					if pr.Spec == "NAMED" {
						ig := x.InstanceGroup(rel)
						if ig == nil {
							continue
						}
						checked = true
						found := false
						for _, np := range ig.NamedPorts {
							found = found || np.Name == pr.PortName
						}
						if !found {
							bad = append(bad, fmt.Sprintf("instance group %s has no named port %q", ig.Name, pr.PortName))
						}
						continue
					}
					sp, ok := servingPortsOf(p, x, bs, b.Group)
					if !ok {
						continue
					}
					checked = true
					if len(sp.ports) == 0 {
						bad = append(bad, sp.what+" is not defined, so the backend service sends its traffic nowhere")
						continue
					}
					match := false
					for _, port := range sp.ports {
						match = match || port == pr.Port
					}
					if !match {
						bad = append(bad, fmt.Sprintf("%s is %s", sp.what, joinInts(sp.ports)))
					}
				}
				if checked {
					p.Judge(res)
				}
				if len(bad) == 0 {
					continue
				}
				probe := fmt.Sprintf("fixed port %d", pr.Port)
				if pr.Spec == "NAMED" {
					probe = fmt.Sprintf("named port %q", pr.PortName)
				}
				ev["port"], ev["portName"], ev["mismatches"] = pr.Port, pr.PortName, bad
				k8s := ""
				switch maker, svc := gke.BackendServiceMaker(bs); maker {
				case "Ingress":
					k8s = fmt.Sprintf(`kubectl patch backendconfig BACKENDCONFIG -n NS --type merge -p '{"spec":{"healthCheck":{"port":PORT}}}'   # the BackendConfig of Service %s's port; PORT = the port the Pods serve`, core.OrDash(svc))
				case "Gateway":
					k8s = `kubectl patch healthcheckpolicy POLICY -n NS --type merge -p '{"spec":{"default":{"config":{"httpHealthCheck":{"portSpecification":"USE_SERVING_PORT"}}}}}'   # the HealthCheckPolicy of the Service`
				}
				p.Report(inspect.Finding{
					Key:         hc.Name,
					Message:     fmt.Sprintf("Health check %s of backend service %s probes %s, but %s: every probe fails and the backends stay UNHEALTHY", hc.Name, bs.Name, probe, strings.Join(bad, "; ")),
					Resource:    res,
					Evidence:    ev,
					Remediation: hcFix(bs, hc, "--use-serving-port", k8s),
				})
			}
		}
	},
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
