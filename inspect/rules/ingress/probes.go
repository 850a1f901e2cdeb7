package ingress

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// readinessProbeFor finds the readiness probe the controller copies into a
// new health check (getHTTPProbe): a simple HTTP GET probe (no host, no
// header but Host) of a container whose port is the Service port's
// targetPort, probing that same port, with the scheme of the port's
// protocol. lbdiag reads the workloads' Pod templates, which the Pods
// follow.
func readinessProbeFor(cl *inventory.Cluster, svc *corev1.Service, port corev1.ServicePort) (*corev1.Probe, string) {
	scheme := corev1.URISchemeHTTP
	if proto := gke.AppProtocol(svc, port); proto == "HTTPS" || proto == "HTTP2" {
		scheme = corev1.URISchemeHTTPS
	}
	for _, w := range core.WorkloadsOf(cl, svc) {
		for _, c := range w.Template.Spec.Containers {
			pr := c.ReadinessProbe
			if pr == nil || pr.HTTPGet == nil || pr.HTTPGet.Host != "" || pr.HTTPGet.Scheme != scheme {
				continue
			}
			if h := pr.HTTPGet.HTTPHeaders; len(h) > 1 || (len(h) == 1 && h[0].Name != "Host") {
				continue
			}
			for _, cp := range c.Ports {
				tp := port.TargetPort
				if !((tp.Type == intstr.Int && tp.IntVal == cp.ContainerPort) || (tp.Type == intstr.String && tp.StrVal == cp.Name)) {
					continue
				}
				pp := pr.HTTPGet.Port
				if (pp.Type == intstr.Int && pp.IntVal == cp.ContainerPort) || (pp.Type == intstr.String && pp.StrVal == cp.Name) {
					return pr, fmt.Sprintf("container %s of %s %s", c.Name, w.Kind, w.Meta.Name)
				}
			}
		}
	}
	return nil, ""
}
