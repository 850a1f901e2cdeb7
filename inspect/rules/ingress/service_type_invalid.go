package ingress

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// ServiceTypeInvalid reports instance-group backends on ClusterIP Services.
var ServiceTypeInvalid = &inspect.Rule{
	ID:       "service-type-invalid",
	Severity: inspect.Error,
	Title:    `Every Service an Ingress reaches without "ingress": true NEGs is of type NodePort or LoadBalancer`,
	Doc: inspect.Doc{
		Why: `Before anything else, the translator checks each Service port an Ingress of any GKE class uses: unless the Service's cloud.google.com/neg annotation says "ingress": true, the Service must be a NodePort or LoadBalancer (maybeEnableNEG). A ClusterIP Service fails with "service ... is type "ClusterIP", expected "NodePort" or "LoadBalancer"" and the Ingress stops syncing. For gce the fix is NEGs or a NodePort; gce-internal and gce-regional-external need NEGs anyway. GKE adds the NEG annotation itself only to new Services on VPC-native clusters, so older or Shared VPC Services may lack it.`,
		Fix: `Prefer NEGs (VPC-native clusters):
  kubectl annotate service SVC -n NS cloud.google.com/neg='{"ingress":true}'
or make the Service a NodePort:
  kubectl patch service SVC -n NS -p '{"spec":{"type":"NodePort"}}'`,
		Sources: []string{"kubernetes/ingress-gce pkg/controller/translator/translator.go (maybeEnableNEG)", "kubernetes/ingress-gce pkg/controller/errors/errors.go (ErrBadSvcType)", "Container-native load balancing through Ingress (" + core.DocNEG + ")"},
		URL:     core.DocNEG,
	},
	Check: func(p *inspect.Pass) {
		seen := map[string]bool{}
		forIngressBackends(p, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string, b core.IngressBackend) {
			svc := core.FindService(cl, ing.Namespace, b.Service.Name)
			if svc == nil {
				return
			}
			res := core.KubeResource(cl, "Service", svc.ObjectMeta)
			p.Judge(res)
			if a, set, err := gke.ParseNEG(svc); set && err == nil && a.Ingress {
				return
			}
			if t := svc.Spec.Type; t == "NodePort" || t == "LoadBalancer" {
				return
			}
			key := cl.Scope() + "/" + svc.Namespace + "/" + svc.Name
			if seen[key] {
				return
			}
			seen[key] = true
			t := string(svc.Spec.Type)
			if t == "" {
				t = "ClusterIP"
			}
			fix := fmt.Sprintf("kubectl annotate service %s -n %s cloud.google.com/neg='{\"ingress\":true}' --overwrite", svc.Name, svc.Namespace)
			if class == gke.ClassGCE && !cl.Info.GetIpAllocationPolicy().GetUseIpAliases() {
				fix = fmt.Sprintf("kubectl patch service %s -n %s -p '{\"spec\":{\"type\":\"NodePort\"}}'   # routes-based cluster: NEGs are not available", svc.Name, svc.Namespace)
			}
			need := "without NEGs it needs a NodePort"
			if class != gke.ClassGCE {
				need = "class " + class + " needs NEGs, and a Service without them must first pass this type check"
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("Service is of type %s and has no cloud.google.com/neg annotation with \"ingress\": true, but Ingress %s/%s (class %s) routes to it: the controller fails with service \"%s/%s\" is type %q, expected \"NodePort\" or \"LoadBalancer\" (%s), so the Ingress cannot sync",
					t, ing.Namespace, ing.Name, class, svc.Namespace, svc.Name, t, need),
				Resource:    res,
				Evidence:    map[string]any{"type": t, "negAnnotation": svc.Annotations[gke.AnnNEG], "ingress": ing.Namespace + "/" + ing.Name, "class": class},
				Remediation: fix,
			})
		})
	},
}
