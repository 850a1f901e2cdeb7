package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/gke"
)

func TestAllowHTTPWithoutTLS(t *testing.T) {
	t.Parallel()
	runSpecCases(t, AllowHTTPWithoutTLS, []specCase{
		{name: "allow-http false, no TLS", ing: ingressWith(map[string]string{gke.AnnAllowHTTP: "false"}, nil), want: []string{"the load balancer is never built"}},
		{name: "allow-http 0, TLS entry without secret", ing: ingressWith(map[string]string{gke.AnnAllowHTTP: "0"}, tlsNoSecret), want: []string{"none names a secret"}},
		{name: "allow-http false with managed cert", ing: ingressWith(map[string]string{gke.AnnAllowHTTP: "false", gke.AnnManagedCerts: "c"}, nil)},
		{name: "allow-http false with pre-shared cert", ing: ingressWith(map[string]string{gke.AnnAllowHTTP: "F", gke.AnnPreSharedCert: "c"}, nil)},
		{name: "allow-http true", ing: ingressWith(map[string]string{gke.AnnAllowHTTP: "true"}, nil)},
	})
}
