package core

import "testing"

// TestGatewayBackendOf reads GKE Gateway backend service names, whose
// namespace and Service GKE shortens to fit 63 characters.
func TestGatewayBackendOf(t *testing.T) {
	for _, tc := range []struct {
		name, ns, svc string
		port          int32
		want          bool
	}{
		{"gkegw1-7k2p-shop-web-80-q2w8e4r6t1y3", "shop", "web", 80, true},
		{"gkegw1-7k2p-shop-web-80-q2w8e4r6t1y3", "shop", "web", 8080, false},
		{"gkegw1-7k2p-shop-web-80-q2w8e4r6t1y3", "shop", "webapp", 80, false},
		{"gkegw1-7k2p-shop-web-api-80-q2w8e4r6t1y3", "shop", "web-api", 80, true},
		{"gkegw1-7k2p-shop-web-api-80-q2w8e4r6t1y3", "shop-web", "api", 80, true},
		// Cut to fit: observed gkegw1-h5cw-defaul-unified-recml-pool-ips-d2-54321-6qvws6sxbhfq.
		{"gkegw1-h5cw-defaul-unified-recml-pool-ips-d2-54321-6qvws6sxbhfq", "default", "unified-recml-pool-ips-d2", 54321, true},
		{"gkegw1-r3k9-gateway-security-policy-not-ap-web-80-h4x6c8v0b2n5", "gateway-security-policy-not-applied", "web", 80, true},
		{"gkegw1-r3k9-gateway-security-policy-not-ap-web-80-h4x6c8v0b2n5", "gateway-security-policy-not-applied", "webhook", 80, false},
		{"gkegw1-r3k9-shop-gw-serve404-80-h4x6c8v0b2n5", "shop", "web", 80, false},
	} {
		if got := gatewayBackendOf(tc.name, tc.ns, tc.svc, tc.port); got != tc.want {
			t.Errorf("gatewayBackendOf(%s, %s/%s:%d) = %v", tc.name, tc.ns, tc.svc, tc.port, got)
		}
	}
}
