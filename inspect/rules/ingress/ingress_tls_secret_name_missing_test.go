package ingress

import (
	"testing"
)

func TestIngressTLSSecretNameMissing(t *testing.T) {
	t.Parallel()
	runSpecCases(t, IngressTLSSecretNameMissing, []specCase{
		{name: "TLS without secret", ing: ingressWith(nil, tlsNoSecret), want: []string{"spec.tls[0] (hosts a.example.com) has no secretName"}},
	})
}
