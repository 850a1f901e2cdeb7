package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
	networkingv1 "k8s.io/api/networking/v1"
)

func TestIngressTLSSecretNameMissing(t *testing.T) {
	t.Parallel()
	runSpecCases(t, IngressTLSSecretNameMissing, []specCase{
		{name: "TLS without secret", ing: ingressWith(nil, tlsNoSecret), want: []string{"spec.tls[0] (hosts a.example.com) has no secretName"}},
	})
}

func TestIngressTLSSecretNameMissingCounts(t *testing.T) {
	t.Parallel()
	// Judged: the 2 Ingresses with spec.tls; the entry without a secret
	// fails. The Ingress without spec.tls is not judged.
	full, partial := specInventories([]networkingv1.Ingress{
		renamed("nosecret", ingressWith(nil, tlsNoSecret)),
		renamed("secret", ingressWith(nil, func(i *networkingv1.Ingress) {
			i.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{"example.com"}, SecretName: "tls"}}
		})),
		renamed("plain", ingressWith(nil, nil)),
	}, inventory.KubeIngresses)
	ruletest.ExpectCounts(t, full, IngressTLSSecretNameMissing, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// Cluster edge, holding the same objects, could not be read: one
	// place not checked, its objects not judged.
	expectReason(t, ruletest.ExpectCounts(t, partial, IngressTLSSecretNameMissing, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1}), inventory.KubeIngresses)
}
