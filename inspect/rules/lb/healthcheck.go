package lb

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

const docHealthChecks = "https://cloud.google.com/load-balancing/docs/health-check-concepts"

// probeSpec is what a health check probes: the protocol, and the port by
// specification (USE_SERVING_PORT, USE_FIXED_PORT, USE_NAMED_PORT).
type probeSpec struct {
	protocol string // HTTP, HTTPS, HTTP2, TCP, SSL, GRPC
	spec     string // SERVING, FIXED, NAMED
	port     int
	portName string
	logging  bool
}

// probeOf reads a health check's probe.
func probeOf(hc *compute.HealthCheck) probeSpec {
	s := probeSpec{protocol: hc.Type, logging: hc.LogConfig != nil && hc.LogConfig.Enable}
	var port int64
	var ps, name string
	switch {
	case hc.HttpHealthCheck != nil:
		port, ps, name = hc.HttpHealthCheck.Port, hc.HttpHealthCheck.PortSpecification, hc.HttpHealthCheck.PortName
	case hc.HttpsHealthCheck != nil:
		port, ps, name = hc.HttpsHealthCheck.Port, hc.HttpsHealthCheck.PortSpecification, hc.HttpsHealthCheck.PortName
	case hc.Http2HealthCheck != nil:
		port, ps, name = hc.Http2HealthCheck.Port, hc.Http2HealthCheck.PortSpecification, hc.Http2HealthCheck.PortName
	case hc.TcpHealthCheck != nil:
		port, ps, name = hc.TcpHealthCheck.Port, hc.TcpHealthCheck.PortSpecification, hc.TcpHealthCheck.PortName
	case hc.SslHealthCheck != nil:
		port, ps, name = hc.SslHealthCheck.Port, hc.SslHealthCheck.PortSpecification, hc.SslHealthCheck.PortName
	case hc.GrpcHealthCheck != nil:
		port, ps, name = hc.GrpcHealthCheck.Port, hc.GrpcHealthCheck.PortSpecification, hc.GrpcHealthCheck.PortName
	}
	switch {
	case ps == "USE_SERVING_PORT":
		s.spec = "SERVING"
	case ps == "USE_NAMED_PORT" || (ps == "" && port == 0 && name != ""):
		s.spec, s.portName = "NAMED", name
	case port > 0:
		s.spec, s.port = "FIXED", int(port)
	default:
		// Nothing set: the API defaults the port to 80 (443 for HTTPS
		// and SSL); a fixed port all the same.
		s.spec, s.port = "FIXED", 80
		if hc.Type == "HTTPS" || hc.Type == "SSL" || hc.Type == "HTTP2" {
			s.port = 443
		}
	}
	return s
}

// servingPorts are the ports a backend group receives the backend
// service's traffic on, as far as lbdiag can tell: an instance group's
// named port of the backend service's portName, a zonal NEG's default
// port, or the Pod port of the Service a GKE NEG was made for. what says
// where they come from; ok is false when lbdiag cannot tell.
type servingPorts struct {
	ports []int
	what  string
}

func (x *hcIndex) servingPortsOf(bs *compute.BackendService, group string) (servingPorts, bool) {
	rel := inventory.RelativeName(group)
	if ig, ok := x.igs[rel]; ok {
		name := bs.PortName
		if name == "" {
			name = "http"
		}
		var ports []int
		for _, np := range ig.NamedPorts {
			if np.Name == name {
				ports = append(ports, int(np.Port))
			}
		}
		return servingPorts{ports: ports, what: fmt.Sprintf("instance group %s's named port %q", ig.Name, name)}, true
	}
	neg, ok := x.negs[rel]
	if !ok || neg.NetworkEndpointType != "GCE_VM_IP_PORT" {
		return servingPorts{}, false
	}
	if neg.DefaultPort > 0 {
		return servingPorts{ports: []int{int(neg.DefaultPort)}, what: fmt.Sprintf("NEG %s's default port", neg.Name)}, true
	}
	// A GKE NEG: the Pod port of the Service port it was made for.
	var d struct {
		ClusterUID string `json:"cluster-uid"`
		Namespace  string `json:"namespace"`
		Service    string `json:"service-name"`
		Port       string `json:"port"`
	}
	if !core.DecodeJSON("neg-description", neg.Description, &d) || d.Service == "" {
		return servingPorts{}, false
	}
	for _, cl := range x.inv.Clusters {
		if cl.KubeSystemUID != d.ClusterUID || !x.inv.Known(inventory.KubeServices, cl.Scope()) {
			continue
		}
		svc := core.FindService(cl, d.Namespace, d.Service)
		if svc == nil {
			return servingPorts{}, false
		}
		for _, sp := range svc.Spec.Ports {
			if strconv.Itoa(int(sp.Port)) == d.Port {
				if pp, ok := core.PodPort(cl, svc, sp); ok {
					return servingPorts{ports: []int{pp}, what: fmt.Sprintf("the Pod port of Service %s/%s port %s", d.Namespace, d.Service, core.PortName(sp))}, true
				}
			}
		}
	}
	return servingPorts{}, false
}

// hcIndex finds instance groups and NEGs by relative name.
type hcIndex struct {
	inv  *inventory.Inventory
	igs  map[string]*compute.InstanceGroup
	negs map[string]*compute.NetworkEndpointGroup
}

func hcIndexOf(p *inspect.Pass) *hcIndex {
	return p.Shared("lb.hcindex", func() any {
		inv := p.Inventory
		x := &hcIndex{inv: inv, igs: map[string]*compute.InstanceGroup{}, negs: map[string]*compute.NetworkEndpointGroup{}}
		for _, ig := range inv.Compute.InstanceGroups {
			x.igs[inventory.RelativeName(ig.SelfLink)] = ig
		}
		for _, n := range inv.Compute.NEGs {
			x.negs[inventory.RelativeName(n.SelfLink)] = n
		}
		return x
	}).(*hcIndex)
}

// hcFix is how to change a health check: through the Kubernetes object
// that owns it when GKE made it, else with gcloud.
func hcFix(bs *compute.BackendService, hc *compute.HealthCheck, gcloudArgs, k8s string) string {
	if maker, _ := core.GKEBackendService(bs); maker != "" && k8s != "" {
		return k8s
	}
	return fmt.Sprintf("gcloud compute health-checks update %s %s %s %s --project %s", strings.ToLower(hcTypeOrTCP(hc)), hc.Name, core.GCloudLocationFlag(hc.SelfLink), gcloudArgs, inventory.ProjectOf(hc.SelfLink))
}

func hcTypeOrTCP(hc *compute.HealthCheck) string {
	if hc.Type == "" {
		return "tcp"
	}
	return hc.Type
}

// healthChecksKnown reports whether the lists the health-check rules need
// were read.
func healthChecksKnown(inv *inventory.Inventory) bool {
	s := inventory.ProjectScope(inv.Project)
	return inv.Known(inventory.ComputeBackendServices, s) && inv.Known(inventory.ComputeHealthChecks, s)
}

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
		if !healthChecksKnown(inv) || !inv.Known(inventory.ComputeInstanceGroups, inventory.ProjectScope(inv.Project)) || !inv.Known(inventory.ComputeNEGs, inventory.ProjectScope(inv.Project)) {
			return
		}
		x, hx := core.IndexOf(p), hcIndexOf(p)
		for _, bs := range inv.Compute.BackendServices {
			// Passthrough load balancers deliver to the client's
			// destination port; named ports and serving ports are the
			// proxies'.
			if !core.IsProxyBackendService(bs) {
				continue
			}
			for _, hcURL := range bs.HealthChecks {
				hc := x.HealthCheck(hcURL)
				if hc == nil {
					continue
				}
				pr := probeOf(hc)
				if pr.spec == "SERVING" {
					continue
				}
				var bad []string
				ev := map[string]any{"healthCheck": hc.Name, "portSpecification": pr.spec}
				for _, b := range bs.Backends {
					rel := inventory.RelativeName(b.Group)
					if pr.spec == "NAMED" {
						ig, ok := hx.igs[rel]
						if !ok {
							continue
						}
						found := false
						for _, np := range ig.NamedPorts {
							found = found || np.Name == pr.portName
						}
						if !found {
							bad = append(bad, fmt.Sprintf("instance group %s has no named port %q", ig.Name, pr.portName))
						}
						continue
					}
					sp, ok := hx.servingPortsOf(bs, b.Group)
					if !ok {
						continue
					}
					if len(sp.ports) == 0 {
						bad = append(bad, sp.what+" is not defined, so the backend service sends its traffic nowhere")
						continue
					}
					match := false
					for _, port := range sp.ports {
						match = match || port == pr.port
					}
					if !match {
						bad = append(bad, fmt.Sprintf("%s is %s", sp.what, joinInts(sp.ports)))
					}
				}
				if len(bad) == 0 {
					continue
				}
				probe := fmt.Sprintf("fixed port %d", pr.port)
				if pr.spec == "NAMED" {
					probe = fmt.Sprintf("named port %q", pr.portName)
				}
				ev["port"], ev["portName"], ev["mismatches"] = pr.port, pr.portName, bad
				k8s := ""
				switch maker, svc := core.GKEBackendService(bs); maker {
				case "Ingress":
					k8s = fmt.Sprintf(`kubectl patch backendconfig BACKENDCONFIG -n NS --type merge -p '{"spec":{"healthCheck":{"port":PORT}}}'   # the BackendConfig of Service %s's port; PORT = the port the Pods serve`, core.OrDash(svc))
				case "Gateway":
					k8s = `kubectl patch healthcheckpolicy POLICY -n NS --type merge -p '{"spec":{"default":{"config":{"httpHealthCheck":{"portSpecification":"USE_SERVING_PORT"}}}}}'   # the HealthCheckPolicy of the Service`
				}
				p.Report(inspect.Finding{
					Key:         hc.Name,
					Message:     fmt.Sprintf("Health check %s of backend service %s probes %s, but %s: every probe fails and the backends stay UNHEALTHY", hc.Name, bs.Name, probe, strings.Join(bad, "; ")),
					Resource:    core.BackendServiceResource(bs),
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

// tlsProtocol reports whether a protocol speaks TLS to the backend.
func tlsProtocol(p string) bool {
	return p == "HTTPS" || p == "HTTP2" || p == "SSL"
}

// HealthCheckProtocolMismatch reports health checks that speak plain text
// to a TLS port, or TLS to a plain-text one.
var HealthCheckProtocolMismatch = &inspect.Rule{
	ID:       "health-check-protocol-mismatch",
	Severity: inspect.Warning,
	Title:    "Every health check that probes the serving port speaks its protocol (TLS or not)",
	Doc: inspect.Doc{
		Why:     `A health check's protocol need not match its backend service's, but when it probes the very port the backends serve, it must speak what that port speaks. An HTTP health check against a port that serves HTTPS or HTTP/2 over TLS (backend service protocol HTTPS, HTTP2 or SSL) sends plain text to a TLS server; an HTTPS, HTTP/2 or SSL health check against a plain HTTP port starts a TLS handshake the server does not understand. Either way every probe fails. With GKE this happens when a Service's cloud.google.com/app-protocols makes the backend service HTTPS while the BackendConfig's healthCheck.type says HTTP (or the reverse).`,
		Fix:     `Make the health check speak the backends' protocol on that port (gcloud compute health-checks create https ... and point the backend service at it), or probe a separate plain-text health port. For GKE Ingress, set spec.healthCheck.type in the Service port's BackendConfig to match the app protocol (HTTPS for HTTPS and HTTP2).`,
		Sources: []string{"Health checks overview: protocol and port (" + docHealthChecks + "#protocol-health-check)", "GKE Ingress: health checks and app-protocols (" + core.DocIngressFeatures + ")"},
		URL:     docHealthChecks + "#protocol-health-check",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !healthChecksKnown(inv) {
			return
		}
		x, hx := core.IndexOf(p), hcIndexOf(p)
		for _, bs := range inv.Compute.BackendServices {
			if bs.Protocol == "" || bs.Protocol == "TCP" || bs.Protocol == "UDP" || bs.Protocol == "UNSPECIFIED" || bs.Protocol == "GRPC" {
				continue
			}
			for _, hcURL := range bs.HealthChecks {
				hc := x.HealthCheck(hcURL)
				if hc == nil || hc.Type == "TCP" || hc.Type == "GRPC" || hc.Type == "" {
					continue
				}
				if tlsProtocol(hc.Type) == tlsProtocol(bs.Protocol) {
					continue
				}
				pr := probeOf(hc)
				onServing := pr.spec == "SERVING"
				if pr.spec == "FIXED" {
					// The same port as the traffic, for some backend group.
					for _, b := range bs.Backends {
						if sp, ok := hx.servingPortsOf(bs, b.Group); ok {
							for _, port := range sp.ports {
								onServing = onServing || port == pr.port
							}
						}
					}
				}
				if !onServing {
					continue
				}
				speaks, serves := "plain text", "TLS"
				if tlsProtocol(hc.Type) {
					speaks, serves = "TLS", "plain text"
				}
				k8s := ""
				if maker, svc := core.GKEBackendService(bs); maker == "Ingress" {
					want := "HTTP"
					if tlsProtocol(bs.Protocol) {
						want = "HTTPS"
					}
					k8s = fmt.Sprintf(`kubectl patch backendconfig BACKENDCONFIG -n NS --type merge -p '{"spec":{"healthCheck":{"type":"%s"}}}'   # the BackendConfig of Service %s's port`, want, core.OrDash(svc))
				}
				p.Report(inspect.Finding{
					Key: hc.Name,
					Message: fmt.Sprintf("Health check %s (%s) probes the port backend service %s serves with protocol %s: it speaks %s to a port that speaks %s, so every probe fails",
						hc.Name, hc.Type, bs.Name, bs.Protocol, speaks, serves),
					Resource:    core.BackendServiceResource(bs),
					Evidence:    map[string]any{"healthCheck": hc.Name, "healthCheck.type": hc.Type, "backendService.protocol": bs.Protocol, "portSpecification": pr.spec},
					Remediation: orGcloud(k8s, fmt.Sprintf("gcloud compute health-checks create %s %s-%s --use-serving-port %s --project %s && gcloud compute backend-services update %s %s --health-checks=%s-%s --project %s", strings.ToLower(bs.Protocol), hc.Name, strings.ToLower(bs.Protocol), core.GCloudLocationFlag(hc.SelfLink), inventory.ProjectOf(hc.SelfLink), bs.Name, core.GCloudScope(bs), hc.Name, strings.ToLower(bs.Protocol), inventory.ProjectOf(bs.SelfLink))),
				})
			}
		}
	},
}

func orGcloud(k8s, gcloud string) string {
	if k8s != "" {
		return k8s
	}
	return gcloud
}

// HealthCheckLoggingDisabled reports health checks without logs on
// backend services that have unhealthy backends.
var HealthCheckLoggingDisabled = &inspect.Rule{
	ID:       "health-check-logging-disabled",
	Severity: inspect.Info,
	Title:    "Health checks of backend services with unhealthy backends log their probes",
	Doc: inspect.Doc{
		Why:     `When backends are UNHEALTHY, the health check's logs say why, per endpoint: the probe's result (TIMEOUT, connection refused, an HTTP status), its detailed state and since when. Without health-check logging the only way to learn it is to guess from the configuration. Logging is off unless enabled on the health check; GKE's Ingress controller keeps the setting when it updates a health check it made.`,
		Fix:     `gcloud compute health-checks update http HC --enable-logging --global (regional: --region R). For a Gateway, set spec.default.logConfig.enabled: true in the HealthCheckPolicy.`,
		Sources: []string{"Health check logging (cloud.google.com/load-balancing/docs/health-check-logging)", "kubernetes/ingress-gce pkg/healthchecks/healthcheck.go (keeps an existing health check's logConfig)", "gcpdiag lb/BP/2023_002"},
		URL:     "https://cloud.google.com/load-balancing/docs/health-check-logging",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !healthChecksKnown(inv) {
			return
		}
		x := core.IndexOf(p)
		reported := map[string]bool{}
		for _, bs := range inv.Compute.BackendServices {
			health := inv.Compute.BackendHealth[bs.SelfLink]
			var sick []string
			for _, b := range bs.Backends {
				h, ok := health[b.Group]
				if !ok || len(h.HealthStatus) == 0 {
					continue
				}
				healthy := 0
				for _, st := range h.HealthStatus {
					if st.HealthState == "HEALTHY" {
						healthy++
					}
				}
				if healthy < len(h.HealthStatus) {
					sick = append(sick, fmt.Sprintf("%s (%s): %d of %d healthy", inventory.LastSegment(b.Group), inventory.LocationOf(b.Group), healthy, len(h.HealthStatus)))
				}
			}
			if len(sick) == 0 {
				continue
			}
			for _, hcURL := range bs.HealthChecks {
				hc := x.HealthCheck(hcURL)
				if hc == nil || reported[hc.SelfLink] || probeOf(hc).logging {
					continue
				}
				reported[hc.SelfLink] = true
				k8s := ""
				if maker, _ := core.GKEBackendService(bs); maker == "Gateway" {
					k8s = `kubectl patch healthcheckpolicy POLICY -n NS --type merge -p '{"spec":{"default":{"logConfig":{"enabled":true}}}}'   # the HealthCheckPolicy of the Service`
				}
				sort.Strings(sick)
				p.Report(inspect.Finding{
					Message:     fmt.Sprintf("Health check %s does not log its probes, and backend service %s has unhealthy backends (%s): why they fail cannot be read", hc.Name, bs.Name, strings.Join(sick, "; ")),
					Resource:    core.ResourceOf("HealthCheck", hc.SelfLink),
					Evidence:    map[string]any{"logConfig.enable": false, "backendService": bs.Name, "unhealthy": sick},
					Remediation: hcFix(bs, hc, "--enable-logging", k8s),
				})
			}
		}
	},
}
