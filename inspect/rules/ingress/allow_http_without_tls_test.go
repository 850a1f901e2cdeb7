package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
	networkingv1 "k8s.io/api/networking/v1"
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

func TestAllowHTTPWithoutTLSCounts(t *testing.T) {
	t.Parallel()
	// Judged: the 2 Ingresses that turn HTTP off ("false"): the one
	// without a certificate fails, the one with a managed certificate
	// passes. allow-http true, none, and an unparsable value turn nothing
	// off: not judged.
	full, partial := specInventories([]networkingv1.Ingress{
		renamed("bare", ingressWith(map[string]string{gke.AnnAllowHTTP: "false"}, nil)),
		renamed("managed", ingressWith(map[string]string{gke.AnnAllowHTTP: "false", gke.AnnManagedCerts: "c"}, nil)),
		renamed("http", ingressWith(map[string]string{gke.AnnAllowHTTP: "true"}, nil)),
		renamed("plain", ingressWith(nil, nil)),
		renamed("odd", ingressWith(map[string]string{gke.AnnAllowHTTP: "nope"}, nil)),
	}, inventory.KubeIngresses)
	ruletest.ExpectCounts(t, full, AllowHTTPWithoutTLS, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	// Cluster edge, holding the same objects, could not be read: one
	// place not checked, its objects not judged.
	expectReason(t, ruletest.ExpectCounts(t, partial, AllowHTTPWithoutTLS, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 1}), inventory.KubeIngresses)
}
