package ingress

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
)

// BackendConfigAnnotationInvalid reports backend-config annotations the
// controller cannot read.
var BackendConfigAnnotationInvalid = &inspect.Rule{
	ID:       "backendconfig-annotation-invalid",
	Severity: inspect.Error,
	Title:    "Every backend-config annotation is JSON naming a default or per-port BackendConfig",
	Doc: inspect.Doc{
		Why: `The cloud.google.com/backend-config (or beta.cloud.google.com/backend-config) annotation must be a JSON object with "default" and/or "ports". A value that is not JSON fails with "BackendConfig annotation is invalid json", one with neither field with "no BackendConfig's found in annotation": every Ingress routing to the Service stops syncing.`,
		Fix: `Rewrite the annotation, for example:
  kubectl annotate service SVC -n NS cloud.google.com/backend-config='{"default":"my-backendconfig"}' --overwrite
  kubectl annotate service SVC -n NS cloud.google.com/backend-config='{"ports":{"http":"my-backendconfig"}}' --overwrite`,
		Sources: []string{core.SrcCheckGKEIngress + " BackendConfigAnnotationCheck", "kubernetes/ingress-gce pkg/annotations/service.go"},
		URL:     core.DocIngressFeatures,
	},
	Check: func(p *inspect.Pass) {
		forServices(p.Inventory, func(cl *inventory.Cluster, svc *corev1.Service) {
			ref, ok, err := core.ParseBackendConfig(svc)
			if !ok {
				return
			}
			var problem string
			switch {
			case err != nil:
				problem = "is not valid JSON (" + err.Error() + ")"
			case ref.Default == "" && len(ref.Ports) == 0:
				problem = `names no BackendConfig: it has neither "default" nor "ports"`
			default:
				return
			}
			sev, users := latent(cl, svc)
			p.Report(inspect.Finding{
				Severity:    sev,
				Message:     fmt.Sprintf("Annotation %s = %s %s; %s", ref.Key, ref.Raw, problem, users),
				Resource:    core.KubeResource(cl, "Service", svc.ObjectMeta),
				Evidence:    map[string]any{"annotation": ref.Key, "value": ref.Raw},
				Remediation: fmt.Sprintf(`kubectl annotate service %s -n %s %s='{"default":"BACKENDCONFIG"}' --overwrite   # or remove it: kubectl annotate service %s -n %s %s-`, svc.Name, svc.Namespace, ref.Key, svc.Name, svc.Namespace, ref.Key),
			})
		})
	},
}

// NEGAnnotationInvalid reports NEG annotations the NEG controller rejects.
var NEGAnnotationInvalid = &inspect.Rule{
	ID:       "neg-annotation-invalid",
	Severity: inspect.Error,
	Title:    "Every cloud.google.com/neg annotation is JSON exposing only ports the Service has",
	Doc: inspect.Doc{
		Why: `The NEG controller reads cloud.google.com/neg as JSON. An invalid value ("NEG annotation is invalid") means no NEGs: the Ingress falls back to instance groups, or, for gce-internal and standalone NEGs, has no backends at all. An exposed_ports key that is not a Service port number fails with "port N specified in "cloud.google.com/neg" doesn't exist in the service".`,
		Fix: `Use valid JSON keyed by Service port numbers (not target ports):
  kubectl annotate service SVC -n NS cloud.google.com/neg='{"ingress":true}' --overwrite
  kubectl annotate service SVC -n NS cloud.google.com/neg='{"exposed_ports":{"80":{}}}' --overwrite`,
		Sources: []string{"kubernetes/ingress-gce pkg/negannotation/negannotation.go, pkg/neg/controller.go", "Container-native load balancing through Ingress (" + core.DocNEG + ")"},
		URL:     core.DocNEG,
	},
	Check: func(p *inspect.Pass) {
		forServices(p.Inventory, func(cl *inventory.Cluster, svc *corev1.Service) {
			a, set, err := core.ParseNEG(svc)
			if !set {
				return
			}
			raw := svc.Annotations[core.AnnNEG]
			fixBase := fmt.Sprintf("kubectl annotate service %s -n %s %s=", svc.Name, svc.Namespace, core.AnnNEG)
			if err != nil {
				p.Report(inspect.Finding{
					Message:     fmt.Sprintf("Annotation %s = %s is not valid JSON (%v): the NEG controller ignores it, so no NEG is created for this Service", core.AnnNEG, raw, err),
					Resource:    core.KubeResource(cl, "Service", svc.ObjectMeta),
					Evidence:    map[string]any{"annotation": core.AnnNEG, "value": raw},
					Remediation: fixBase + `'{"ingress":true}' --overwrite`,
				})
				return
			}
			var bad []string
			for k := range a.ExposedPorts {
				n, err := strconv.Atoi(k)
				found := false
				for _, sp := range svc.Spec.Ports {
					if err == nil && int(sp.Port) == n {
						found = true
					}
				}
				if !found {
					bad = append(bad, k)
				}
			}
			if len(bad) == 0 {
				return
			}
			sort.Strings(bad)
			var ports []string
			fixed := map[string]json.RawMessage{}
			for _, sp := range svc.Spec.Ports {
				ports = append(ports, strconv.Itoa(int(sp.Port)))
			}
			for k, v := range a.ExposedPorts {
				if !core.Contains(bad, k) {
					fixed[k] = v
				}
			}
			// A key that is a target port of some Service port: use that port.
			for _, k := range bad {
				for _, sp := range svc.Spec.Ports {
					if sp.TargetPort.String() == k {
						fixed[strconv.Itoa(int(sp.Port))] = a.ExposedPorts[k]
					}
				}
			}
			fixedJSON, _ := untrusted.Marshal(map[string]any{"exposed_ports": fixed}, "")
			if a.Ingress {
				fixedJSON, _ = untrusted.Marshal(map[string]any{"ingress": true, "exposed_ports": fixed}, "")
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("Annotation %s exposes port %s, but the Service's ports are %s (exposed_ports keys are Service port numbers, not target ports): the NEG controller fails with \"port %s specified in \\\"cloud.google.com/neg\\\" doesn't exist in the service\"",
					core.AnnNEG, strings.Join(bad, ", "), strings.Join(ports, ", "), bad[0]),
				Resource:    core.KubeResource(cl, "Service", svc.ObjectMeta),
				Evidence:    map[string]any{"annotation": core.AnnNEG, "value": raw, "unknownPorts": bad, "servicePorts": ports},
				Remediation: fixBase + "'" + string(fixedJSON) + "' --overwrite",
			})
		})
	},
}

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
		forServices(p.Inventory, func(cl *inventory.Cluster, svc *corev1.Service) {
			key := core.AnnAppProtocolsOld
			raw, ok := svc.Annotations[key]
			if !ok {
				key = core.AnnAppProtocols
				if raw, ok = svc.Annotations[key]; !ok {
					return
				}
			}
			var m map[string]string
			res := core.KubeResource(cl, "Service", svc.ObjectMeta)
			fixFor := func(v string) string {
				return fmt.Sprintf("kubectl annotate service %s -n %s %s='%s' --overwrite", svc.Name, svc.Namespace, key, v)
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

// forServices calls fn for each Service of each cluster whose Services were
// read.
func forServices(inv *inventory.Inventory, fn func(cl *inventory.Cluster, svc *corev1.Service)) {
	for _, cl := range inv.Clusters {
		if !inv.Known(inventory.KubeServices, cl.Scope()) {
			continue
		}
		for i := range cl.Services {
			fn(cl, &cl.Services[i])
		}
	}
}

// latent says how much a Service annotation the Ingress controller rejects
// matters now: an error when a GKE Ingress routes to the Service (its
// translation fails), a warning when none does yet (the controller reads
// the annotation only for Service ports an Ingress uses). The text says
// which.
func latent(cl *inventory.Cluster, svc *corev1.Service) (inspect.Severity, string) {
	users := core.IngressesUsingService(cl, svc.Namespace, svc.Name)
	if len(users) == 0 {
		return inspect.Warning, "latent: no GKE Ingress routes to this Service yet, and the first that does will fail to sync"
	}
	return inspect.Error, "Ingress " + strings.Join(users, ", ") + " routes to this Service and cannot sync"
}
