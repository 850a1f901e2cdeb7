package lb

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

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
		// Without the list, no backend service is judged.
		backendServicesKnown(p)
		for _, sb := range servingBackends(p) {
			if !sb.gke && (!core.IsProxyBackendService(sb.bs) || !httpProtocol(sb.bs.Protocol)) {
				continue // request logs are the Application Load Balancers'
			}
			res := core.BackendServiceResource(sb.bs)
			p.Judge(res)
			if sb.bs.LogConfig != nil && sb.bs.LogConfig.Enable {
				continue
			}
			svcName := ""
			if d, ok := gke.ParseBackendServiceDescription(sb.bs.Description); ok {
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
					if ref, ok, err := gke.ParseBackendConfig(svc); ok && err == nil && ref.Default != "" {
						fix = fmt.Sprintf(`kubectl patch backendconfig %s -n %s --type merge -p '{"spec":{"logging":{"enable":true,"sampleRate":1.0}}}'`, ref.Default, ns)
					}
				}
			}
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("%s has logConfig.enable false: its requests are not logged, so a 502's statusDetails cannot be read", sb.servedBy()),
				Resource:    res,
				Evidence:    map[string]any{"logConfig.enable": false, "owners": sb.owners, "service": svcName},
				Remediation: fix,
			})
		}
	},
}

// httpProtocol reports whether a backend-service protocol carries HTTP.
func httpProtocol(p string) bool {
	return p == "HTTP" || p == "HTTPS" || p == "HTTP2" || p == "H2C"
}
