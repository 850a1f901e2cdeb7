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
		forServices(p, func(cl *inventory.Cluster, svc *corev1.Service) {
			a, set, err := gke.ParseNEG(svc)
			if !set {
				return
			}
			res := core.KubeResource(cl, "Service", svc.ObjectMeta)
			p.Judge(res)
			raw := svc.Annotations[gke.AnnNEG]
			fix := func(value string) string { return core.AnnotateServiceFix(svc.Namespace, svc.Name, gke.AnnNEG, value) }
			if err != nil {
				p.Report(inspect.Finding{
					Message:     fmt.Sprintf("Annotation %s = %s is not valid JSON (%v): the NEG controller ignores it, so no NEG is created for this Service", gke.AnnNEG, raw, err),
					Resource:    res,
					Evidence:    map[string]any{"annotation": gke.AnnNEG, "value": raw},
					Remediation: fix(`{"ingress":true}`),
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
					gke.AnnNEG, strings.Join(bad, ", "), strings.Join(ports, ", "), bad[0]),
				Resource:    res,
				Evidence:    map[string]any{"annotation": gke.AnnNEG, "value": raw, "unknownPorts": bad, "servicePorts": ports},
				Remediation: fix(string(fixedJSON)),
			})
		})
	},
}
