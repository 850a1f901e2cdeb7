package ingress

import (
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// IngressTLSSecretNameMissing reports spec.tls entries without a secret.
var IngressTLSSecretNameMissing = &inspect.Rule{
	ID:       "ingress-tls-secret-name-missing",
	Severity: inspect.Error,
	Title:    "Every spec.tls entry of an Ingress names a secret",
	Doc: inspect.Doc{
		Why: `GKE ignores spec.tls[].hosts and loads the secret of every spec.tls entry. An entry without secretName (typical when the certificate comes from pre-shared-cert or managed-certificates) makes the whole load-balancer sync fail with "secret "" does not exist": no frontend change is applied until it is removed.`,
		Fix: `Remove spec.tls entries that name no secret (certificates from managed-certificates or pre-shared-cert need no spec.tls entry):
  kubectl patch ingress ING -n NS --type json -p '[{"op":"remove","path":"/spec/tls/0"}]'`,
		Sources: []string{"kubernetes/ingress-gce pkg/translator/translator.go (secrets)", "kubernetes/ingress-gce issue #1334"},
		URL:     core.DocIngressHTTPS,
	},
	Check: func(p *inspect.Pass) {
		core.ForIngresses(p, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			if len(ing.Spec.TLS) == 0 {
				return
			}
			res := core.KubeResource(cl, "Ingress", ing.ObjectMeta)
			p.Judge(res)
			for i := len(ing.Spec.TLS) - 1; i >= 0; i-- {
				t := ing.Spec.TLS[i]
				if t.SecretName != "" {
					continue
				}
				p.Report(inspect.Finding{
					Key:         fmt.Sprintf("spec.tls[%d]", i),
					Message:     fmt.Sprintf("spec.tls[%d] (hosts %s) has no secretName: the load-balancer sync fails with `secret \"\" does not exist`", i, strings.Join(t.Hosts, ", ")),
					Resource:    res,
					Evidence:    map[string]any{"tls": fmt.Sprintf("spec.tls[%d]", i), "hosts": t.Hosts},
					Remediation: fmt.Sprintf("kubectl patch ingress %s -n %s --type json -p '[{\"op\":\"remove\",\"path\":\"/spec/tls/%d\"}]'", ing.Name, ing.Namespace, i),
				})
			}
		})
	},
}
