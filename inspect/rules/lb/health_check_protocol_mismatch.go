package lb

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

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
		if !healthChecksKnown(p) {
			return
		}
		x := core.IndexOf(p)
		for _, bs := range inv.Compute.BackendServices {
			if bs.Protocol == "" || bs.Protocol == "TCP" || bs.Protocol == "UDP" || bs.Protocol == "UNSPECIFIED" || bs.Protocol == "GRPC" {
				continue
			}
			res := core.BackendServiceResource(bs)
			for _, hcURL := range bs.HealthChecks {
				hc := x.HealthCheck(hcURL)
				if hc == nil {
					continue
				}
				// A health check that was read: a TCP or gRPC one speaks
				// no TLS question, and passes.
				p.Judge(res)
				if hc.Type == "TCP" || hc.Type == "GRPC" || hc.Type == "" {
					continue
				}
				if tlsProtocol(hc.Type) == tlsProtocol(bs.Protocol) {
					continue
				}
				pr := core.ProbeOf(hc)
				onServing := pr.Spec == "SERVING"
				if pr.Spec == "FIXED" {
					// The same port as the traffic, for some backend group.
					for _, b := range bs.Backends {
						if sp, ok := servingPortsOf(p, x, bs, b.Group); ok {
							for _, port := range sp.ports {
								onServing = onServing || port == pr.Port
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
				if maker, svc := gke.BackendServiceMaker(bs); maker == "Ingress" {
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
					Resource:    res,
					Evidence:    map[string]any{"healthCheck": hc.Name, "healthCheck.type": hc.Type, "backendService.protocol": bs.Protocol, "portSpecification": pr.Spec},
					Remediation: orGcloud(k8s, fmt.Sprintf("gcloud compute health-checks create %s %s-%s --use-serving-port %s --project %s && gcloud compute backend-services update %s %s --health-checks=%s-%s --project %s", strings.ToLower(bs.Protocol), hc.Name, strings.ToLower(bs.Protocol), core.GCloudLocationFlag(hc.SelfLink), inventory.ProjectOf(hc.SelfLink), bs.Name, core.GCloudScope(bs), hc.Name, strings.ToLower(bs.Protocol), inventory.ProjectOf(bs.SelfLink))),
				})
			}
		}
	},
}

// tlsProtocol reports whether a protocol speaks TLS to the backend.
func tlsProtocol(p string) bool {
	return p == "HTTPS" || p == "HTTP2" || p == "SSL"
}

func orGcloud(k8s, gcloud string) string {
	if k8s != "" {
		return k8s
	}
	return gcloud
}
