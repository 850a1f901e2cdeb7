package ingress

import (
	"testing"
)

func TestHTTPLBAddonDisabled(t *testing.T) {
	t.Parallel()
	runClusterCases(t, HTTPLBAddonDisabled, []clusterCase{
		{name: "addon disabled with an Ingress", disabled: true, want: true},
		{name: "addon disabled, another controller's Ingress", disabled: true, class: "nginx"},
		{name: "addon disabled, Ingresses unreadable", disabled: true, failIngresses: true},
		{name: "addon enabled"},
	})
}
