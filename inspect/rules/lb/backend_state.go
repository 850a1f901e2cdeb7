package lb

import (
	"fmt"
	"sort"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// servingBackend is a backend service of the project and what sends to
// it: Ingresses and Gateways (by GKE's annotations), LoadBalancer
// Services (by their address), URL maps, proxies and forwarding rules.
type servingBackend struct {
	bs     *compute.BackendService
	owners []string // "Ingress ns/name", "Gateway ns/name", "LoadBalancer Service ns/name", "URL map NAME", ...
	cl     *inventory.Cluster
	// gke is set when an Ingress or Gateway annotation names it.
	gke bool
}

// servingBackends lists every backend service of the project with its
// owners: first those GKE's Ingresses and Gateways name in their
// ingress.kubernetes.io/backends and networking.gke.io/backend-services
// annotations, then what the load-balancer graph and the LoadBalancer
// Services' addresses say.
func servingBackends(p *inspect.Pass) []servingBackend {
	inv := p.Inventory
	return p.Shared("lb.servingBackends", func() any {
		byKey := map[string]*compute.BackendService{}
		for _, bs := range inv.Compute.BackendServices {
			if inventory.ProjectOf(bs.SelfLink) == inv.Project {
				byKey[inventory.ScopedKey(bs.SelfLink)] = bs
			}
		}
		index := map[string]int{}
		var out []servingBackend
		add := func(cl *inventory.Cluster, bs *compute.BackendService, owner string, gke bool) {
			i, ok := index[bs.SelfLink]
			if !ok {
				i = len(out)
				index[bs.SelfLink] = i
				out = append(out, servingBackend{bs: bs, cl: cl})
			}
			if gke {
				out[i].gke = true
			}
			if out[i].cl == nil {
				out[i].cl = cl
			}
			if owner != "" && !core.Contains(out[i].owners, owner) {
				out[i].owners = append(out[i].owners, owner)
			}
		}
		for _, cl := range inv.Clusters {
			serving := inventory.ServingBackendServices(cl)
			for _, key := range core.SortedKeys(serving) {
				if bs := byKey[key]; bs != nil {
					for _, owner := range serving[key] {
						add(cl, bs, owner, true)
					}
				}
			}
		}
		// LoadBalancer Services: the forwarding rule of their address.
		l4 := l4ServicesByIP(inv)
		for _, fr := range inv.Compute.ForwardingRules {
			if fr.BackendService == "" {
				continue
			}
			if svc, ok := l4[fr.IPAddress]; ok {
				if bs := byKey[inventory.ScopedKey(fr.BackendService)]; bs != nil {
					add(svc.cl, bs, "LoadBalancer Service "+svc.svc.Namespace+"/"+svc.svc.Name, false)
				}
			}
		}
		g := core.GraphOf(p)
		for _, bs := range inv.Compute.BackendServices {
			if inventory.ProjectOf(bs.SelfLink) != inv.Project {
				continue
			}
			if _, done := index[bs.SelfLink]; done {
				continue
			}
			add(nil, bs, "", false)
			for _, o := range g.BSOwners[bs.SelfLink] {
				add(nil, bs, o, false)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].bs.SelfLink < out[j].bs.SelfLink })
		return out
	}).([]servingBackend)
}

// servedBy renders a backend service's owners for a message.
func (sb servingBackend) servedBy() string {
	if len(sb.owners) == 0 {
		return fmt.Sprintf("Backend service %s (which no URL map, proxy or forwarding rule lbdiag read uses)", sb.bs.Name)
	}
	return "Backend service serving " + strings.Join(sb.owners, ", ")
}

// BackendUnhealthy reports backends of Ingresses and Gateways without a
// healthy endpoint.
var BackendUnhealthy = &inspect.Rule{
	ID:       "backend-unhealthy",
	Severity: inspect.Error,
	Title:    "Every backend group of a load balancer has a healthy endpoint",
	Doc: inspect.Doc{
		Why:     `A backend group (a zonal NEG or instance group) whose endpoints all fail the load balancer's health check receives no traffic; when every group of a backend service is unhealthy, its requests fail with 502 or "no healthy upstream". The ingress.kubernetes.io/backends annotation says HEALTHY as soon as one endpoint anywhere is, so lbdiag asks Compute Engine (backendServices.getHealth, once per group of each backend service, within the health budget) for the full picture. Load balancers GKE did not build are judged the same way.`,
		Fix:     `Check the Pods' readiness and the health check's path and port (kubectl describe pods; gcloud compute backend-services get-health NAME --global), and that Google's health checkers can reach them (see health-check-firewall-missing).`,
		Sources: []string{core.SrcTroubleshoot, "kubernetes/ingress-gce pkg/backends/backends.go (the backends annotation's health string)"},
		URL:     core.DocTroubleshootLB,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		usageKnown := core.GraphOf(p).UsageKnown()
		for _, sb := range servingBackends(p) {
			if len(sb.owners) == 0 && usageKnown {
				continue // used by nothing: its health harms no traffic
			}
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
			p.Report(inspect.Finding{
				Message:     msg,
				Resource:    core.BackendServiceResource(sb.bs),
				Evidence:    map[string]any{"healthByZone": perZone, "owners": sb.owners, "healthChecks": sb.bs.HealthChecks},
				Remediation: fmt.Sprintf("gcloud compute backend-services get-health %s %s --project %s   # then check the %s, the health check's path and port, and health-check-firewall-missing", sb.bs.Name, core.GCloudScope(sb.bs), inventory.ProjectOf(sb.bs.SelfLink), backendKindWord(sb)),
			})
		}
	},
}

// BackendLoggingDisabled reports serving backend services without request
// logs.
var BackendLoggingDisabled = &inspect.Rule{
	ID:       "backend-logging-disabled",
	Severity: inspect.Info,
	Title:    "Every Application Load Balancer backend service logs requests",
	Doc: inspect.Doc{
		Why:     `The troubleshooting guide's first step for any 502 is reading the load balancer's request logs: their statusDetails say whether the error came from the backend, the proxy or the health check. Ingress backend services start with logging on, but a BackendConfig with logging.enable false (or an old backend service) turns it off; Gateway backend services have it off unless a GCPBackendPolicy enables it; backend services made by hand or by other tools have it off unless enabled.`,
		Fix:     `Ingress: set spec.logging.enable: true (sampleRate as needed) in the Service port's BackendConfig. Gateway: set spec.default.logging.enabled: true in the Service's GCPBackendPolicy. Others: gcloud compute backend-services update BS --enable-logging --logging-sample-rate=1 --global.`,
		Sources: []string{core.SrcTroubleshoot + ": External Ingress produces HTTP 502 errors", "GKE Gateway: configure access logging (cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources)"},
		URL:     core.DocTroubleshootLB,
	},
	Check: func(p *inspect.Pass) {
		for _, sb := range servingBackends(p) {
			if sb.bs.LogConfig != nil && sb.bs.LogConfig.Enable {
				continue
			}
			if !sb.gke && (!core.IsProxyBackendService(sb.bs) || !httpProtocol(sb.bs.Protocol)) {
				continue // request logs are the Application Load Balancers'
			}
			svcName := ""
			if d, ok := core.ParseBackendServiceDescription(sb.bs.Description); ok {
				svcName = d.Service
			}
			fix := `kubectl patch backendconfig BACKENDCONFIG -n NS --type merge -p '{"spec":{"logging":{"enable":true,"sampleRate":1.0}}}'   # the BackendConfig of this Service port`
			switch {
			case !sb.gke:
				fix = fmt.Sprintf("gcloud compute backend-services update %s %s --enable-logging --logging-sample-rate=1 --project %s", sb.bs.Name, core.GCloudScope(sb.bs), inventory.ProjectOf(sb.bs.SelfLink))
			case strings.HasPrefix(sb.owners[0], "Gateway"):
				fix = `kubectl patch gcpbackendpolicy POLICY -n NS --type merge -p '{"spec":{"default":{"logging":{"enabled":true}}}}'   # the GCPBackendPolicy of the Service`
			}
			if ns, name, ok := strings.Cut(svcName, "/"); ok && sb.cl != nil {
				if svc := core.FindService(sb.cl, ns, name); svc != nil {
					if ref, ok, err := core.ParseBackendConfig(svc); ok && err == nil && ref.Default != "" {
						fix = fmt.Sprintf(`kubectl patch backendconfig %s -n %s --type merge -p '{"spec":{"logging":{"enable":true,"sampleRate":1.0}}}'`, ref.Default, ns)
					}
				}
			}
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("%s has logConfig.enable false: its requests are not logged, so a 502's statusDetails cannot be read", sb.servedBy()),
				Resource:    core.BackendServiceResource(sb.bs),
				Evidence:    map[string]any{"logConfig.enable": false, "owners": sb.owners, "service": svcName},
				Remediation: fix,
			})
		}
	},
}

// backendKindWord names what stands behind a backend service's groups.
func backendKindWord(sb servingBackend) string {
	if sb.gke {
		return "Pods' readiness"
	}
	return "backends' health"
}

// httpProtocol reports whether a backend-service protocol carries HTTP.
func httpProtocol(p string) bool {
	return p == "HTTP" || p == "HTTPS" || p == "HTTP2" || p == "H2C"
}
