package ingress

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// ILBNEGAnnotationMissing reports Services of internal Ingresses without
// ingress NEGs.
var ILBNEGAnnotationMissing = &inspect.Rule{
	ID:       "ilb-neg-annotation-missing",
	Severity: inspect.Error,
	Title:    `Every Service behind a gce-internal or gce-regional-external Ingress has cloud.google.com/neg with "ingress": true`,
	Doc: inspect.Doc{
		Why: `Internal and regional external Application Load Balancers reach Pods only through NEGs. For gce-internal and gce-regional-external Ingresses the translator marks every Service port NEG-backed once the Service passes its type check (a NodePort or LoadBalancer Service without the annotation passes it; a ClusterIP one fails it, see service-type-invalid), but the NEG controller creates the NEGs only when the Service carries cloud.google.com/neg with "ingress": true. Without it the sync fails with "networkEndpointGroups/k8s1-... was not found" (404). GKE adds the annotation itself only on VPC-native, non-Shared-VPC clusters without network policy, so the live object is what counts.`,
		Fix: `kubectl annotate service SVC -n NS cloud.google.com/neg='{"ingress":true}' --overwrite`,
		Sources: []string{core.SrcCheckGKEIngress + " L7ILBNegAnnotationCheck", "kubernetes/ingress-gce pkg/controller/translator/translator.go (maybeEnableNEG: L7ILBEnabled and L7XLBRegionalEnabled force NEGs after the type check)",
			"Configuring Ingress for internal Application Load Balancers (" + core.DocInternalIngress + ")", "kubernetes/kubernetes issue #93740 (NEG 404)"},
		URL: core.DocInternalIngress,
	},
	Check: func(p *inspect.Pass) {
		seen := map[string]bool{}
		forIngressBackends(p, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string, b core.IngressBackend) {
			svc := core.FindService(cl, ing.Namespace, b.Service.Name)
			if svc == nil || (class != gke.ClassInternal && class != gke.ClassRegionalExternal) {
				return
			}
			a, set, err := gke.ParseNEG(svc)
			if err != nil {
				return // invalid JSON is neg-annotation-invalid's
			}
			res := core.KubeResource(cl, "Service", svc.ObjectMeta)
			if set && a.Ingress {
				p.Judge(res)
				return
			}
			if t := svc.Spec.Type; t != corev1.ServiceTypeNodePort && t != corev1.ServiceTypeLoadBalancer {
				return // the controller fails the type check first: service-type-invalid's
			}
			p.Judge(res)
			key := cl.Scope() + "/" + svc.Namespace + "/" + svc.Name
			if seen[key] {
				return
			}
			seen[key] = true
			now := "none"
			if set {
				now = svc.Annotations[gke.AnnNEG]
			}
			value := `{"ingress":true}`
			if set && len(a.ExposedPorts) > 0 {
				value = `{"ingress":true,"exposed_ports":` + core.MustJSON(a.ExposedPorts) + `}`
			}
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("Ingress %s/%s (class %s) routes to this Service, whose %s annotation is %s, without \"ingress\": true: the controller builds NEG backends for class %s, but the NEG controller creates no NEG, so the sync fails with a NEG 404 and the load balancer has no backends", ing.Namespace, ing.Name, class, gke.AnnNEG, now, class),
				Resource:    res,
				Evidence:    map[string]any{"ingress": ing.Namespace + "/" + ing.Name, "negAnnotation": now},
				Remediation: core.AnnotateServiceFix(svc.Namespace, svc.Name, gke.AnnNEG, value),
			})
		})
	},
}
