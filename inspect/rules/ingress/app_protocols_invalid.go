package ingress

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
)

// AppProtocolsInvalid reports app-protocols annotations the controller
// rejects or silently ignores.
var AppProtocolsInvalid = &inspect.Rule{
	ID:       "app-protocols-invalid",
	Severity: inspect.Error,
	Title:    "Every app-protocols annotation maps Service port names to HTTP, HTTPS or HTTP2",
	Doc: inspect.Doc{
		Why: `cloud.google.com/app-protocols (service.alpha.kubernetes.io/app-protocols, read first when both exist) sets the protocol the load balancer speaks to each Service port. A value that is not JSON, or a protocol other than HTTP, HTTPS or HTTP2, fails translation ("invalid port application protocol") and blocks the Ingress. Keys are port names: a port-number key is silently ignored, so the backend stays HTTP and a TLS-only Pod answers every request with an error (502).`,
		Fix: `Key the annotation by Service port name, with HTTP, HTTPS or HTTP2:
  kubectl annotate service SVC -n NS cloud.google.com/app-protocols='{"https":"HTTPS"}' --overwrite`,
		Sources: []string{core.SrcCheckGKEIngress + " AppProtocolAnnotationCheck", "kubernetes/ingress-gce pkg/annotations/service.go, pkg/controller/translator/translator.go (setAppProtocol)"},
		URL:     core.DocIngressFeatures + "#https_backend",
	},
	Check: func(p *inspect.Pass) {
		forServices(p, func(cl *inventory.Cluster, svc *corev1.Service) {
			key, raw, ok := gke.AppProtocols(svc)
			if !ok {
				return
			}
			var m map[string]string
			res := core.KubeResource(cl, "Service", svc.ObjectMeta)
			p.Judge(res)
			fixFor := func(v string) string {
				return core.AnnotateServiceFix(svc.Namespace, svc.Name, key, v)
			}
			sev, users := latent(cl, svc)
			if err := json.Unmarshal([]byte(raw), &m); err != nil {
				p.Report(inspect.Finding{
					Severity: sev,
					Message:  fmt.Sprintf("Annotation %s = %s is not a JSON object of port name to protocol (%v); %s", key, raw, err, users),
					Resource: res, Evidence: map[string]any{"annotation": key, "value": raw},
					Remediation: fixFor(`{"PORT_NAME":"HTTPS"}`),
				})
				return
			}
			var problems []string
			fixed := map[string]string{}
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				v := m[k]
				proto := v
				if v != "HTTP" && v != "HTTPS" && v != "HTTP2" {
					problems = append(problems, fmt.Sprintf("%q maps to %q, not HTTP, HTTPS or HTTP2", k, v))
					proto = strings.ToUpper(v)
					if proto != "HTTPS" && proto != "HTTP2" {
						proto = "HTTP"
					}
				}
				name := k
				if n, err := strconv.Atoi(k); err == nil {
					name = ""
					for _, sp := range svc.Spec.Ports {
						if int(sp.Port) == n {
							name = sp.Name
						}
					}
					if name != "" {
						problems = append(problems, fmt.Sprintf("key %q is a port number: only port names are honoured, so port %s (named %q) stays HTTP", k, k, name))
					} else {
						problems = append(problems, fmt.Sprintf("key %q is a port number: only port names are honoured, and Service port %s has no name to use", k, k))
					}
				}
				if name != "" {
					fixed[name] = proto
				}
			}
			if len(problems) == 0 {
				return
			}
			fixedJSON, _ := untrusted.Marshal(fixed, "")
			fix := fixFor(string(fixedJSON))
			if len(fixed) == 0 {
				fix = "name the Service's ports (spec.ports[].name), then " + fixFor(`{"PORT_NAME":"HTTPS"}`)
			}
			if sev == inspect.Warning {
				problems = append(problems, "no GKE Ingress routes to this Service yet (latent)")
			}
			p.Report(inspect.Finding{
				Severity:    sev,
				Message:     fmt.Sprintf("Annotation %s = %s: %s", key, raw, strings.Join(problems, "; ")),
				Resource:    res,
				Evidence:    map[string]any{"annotation": key, "value": raw, "problems": problems},
				Remediation: fix,
			})
		})
	},
}
