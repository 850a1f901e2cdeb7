package gke

import (
	"testing"
)

// The vectors are the controller's own (kubernetes/ingress-gce
// pkg/utils/namer/frontendnamer_test.go, namer_test.go).
func TestGKENames(t *testing.T) {
	t.Parallel()
	if got := V2LoadBalancerName("kubesystem-uid1", "namespace", "name"); got != "7kpbhpki-namespace-name-uhmwf5xi" {
		t.Errorf("V2LoadBalancerName = %q", got)
	}
	if got := TrimFieldsEvenly(10, "aaaaaaaaaa", "bbbbbbbbbb"); got[0]+got[1] != "aaaaabbbbb" {
		t.Errorf("TrimFieldsEvenly = %v", got)
	}
	if got := TrimFieldsEvenly(36, "a-very-long-namespace-name-for-testing", "an-ingress-with-a-long-name-too"); len(got[0])+len(got[1]) != 36 {
		t.Errorf("TrimFieldsEvenly total = %d", len(got[0])+len(got[1]))
	}
	if got := NodeTag("shop-eu", "4f7d2b91c05ea3d8aa"); got != "gke-shop-eu-4f7d2b91-node" {
		t.Errorf("NodeTag = %q", got)
	}
}
