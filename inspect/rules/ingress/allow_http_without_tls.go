package ingress

import (
	"fmt"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// AllowHTTPWithoutTLS reports Ingresses that disable HTTP and have no TLS.
var AllowHTTPWithoutTLS = &inspect.Rule{
	ID:       "allow-http-without-tls",
	Severity: inspect.Error,
	Title:    "Every Ingress that disables HTTP has a TLS certificate",
	Doc: inspect.Doc{
		Why: `With kubernetes.io/ingress.allow-http: "false" the load balancer gets no HTTP frontend. Without any certificate (no spec.tls secret, no pre-shared-cert, no managed-certificates) it gets no HTTPS frontend either: the controller refuses with "both HTTP and HTTPS are disabled ... your Ingress will not be able to serve any traffic" and the load balancer is never built.`,
		Fix: `Give the Ingress a certificate (spec.tls[].secretName, networking.gke.io/managed-certificates, or ingress.gcp.kubernetes.io/pre-shared-cert), or allow HTTP:
  kubectl annotate ingress ING -n NS kubernetes.io/ingress.allow-http=true --overwrite`,
		Sources: []string{"kubernetes/ingress-gce pkg/loadbalancers/l7.go (errAllProtocolsDisabled)", "kubernetes/ingress-gce issue #1478"},
		URL:     core.DocIngressHTTPS,
	},
	Check: func(p *inspect.Pass) {
		core.ForIngresses(p, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			v, ok := ing.Annotations[gke.AnnAllowHTTP]
			allow, err := strconv.ParseBool(v)
			if !ok || err != nil || allow {
				return
			}
			res := core.KubeResource(cl, "Ingress", ing.ObjectMeta)
			p.Judge(res)
			secrets, preShared, managed := tlsSources(ing)
			if len(secrets) > 0 || preShared != "" || managed != "" {
				return
			}
			msg := fmt.Sprintf("%s is %q and the Ingress has no certificate (no spec.tls secretName, no %s, no %s): with neither HTTP nor HTTPS the load balancer is never built", gke.AnnAllowHTTP, v, gke.AnnPreSharedCert, gke.AnnManagedCerts)
			if len(ing.Spec.TLS) > 0 {
				msg += fmt.Sprintf(" (spec.tls has %d entr(ies) but none names a secret)", len(ing.Spec.TLS))
			}
			p.Report(inspect.Finding{Message: msg, Resource: res,
				Evidence:    map[string]any{gke.AnnAllowHTTP: v, "tlsEntries": len(ing.Spec.TLS)},
				Remediation: fmt.Sprintf("add a certificate (e.g. kubectl annotate ingress %s -n %s %s=CERT_NAME), or: kubectl annotate ingress %s -n %s %s=true --overwrite", ing.Name, ing.Namespace, gke.AnnManagedCerts, ing.Name, ing.Namespace, gke.AnnAllowHTTP)})
		})
	},
}

// tlsSources describes the certificates an Ingress gets.
func tlsSources(ing *networkingv1.Ingress) (secrets []string, preShared, managed string) {
	for _, t := range ing.Spec.TLS {
		if t.SecretName != "" {
			secrets = append(secrets, t.SecretName)
		}
	}
	return secrets, strings.TrimSpace(ing.Annotations[gke.AnnPreSharedCert]), strings.TrimSpace(ing.Annotations[gke.AnnManagedCerts])
}
