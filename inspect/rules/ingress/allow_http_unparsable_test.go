package ingress

import (
	"testing"

	"github.com/lbdiag/lbdiag/gke"
)

func TestAllowHTTPUnparsable(t *testing.T) {
	t.Parallel()
	runSpecCases(t, AllowHTTPUnparsable, []specCase{
		{name: "allow-http no", ing: ingressWith(map[string]string{gke.AnnAllowHTTP: "no"}, nil), want: []string{`is "no", which is not a boolean`}},
		{name: "allow-http FALSE", ing: ingressWith(map[string]string{gke.AnnAllowHTTP: "FALSE"}, nil)},
	})
}
