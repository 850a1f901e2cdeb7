package gcp

import (
	"encoding/base64"
	"strings"
	"testing"

	"cloud.google.com/go/container/apiv1/containerpb"

	"github.com/lbdiag/lbdiag/inventory"
)

// TestClusterPaths reads the paths to a cluster from the Cluster resource
// as gcloud and GKE's docs define them, and refuses endpoints that would
// send lbdiag's token somewhere else than the cluster.
func TestClusterPaths(t *testing.T) {
	t.Parallel()
	ca := base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	yes, no := true, false
	base := func() *containerpb.Cluster {
		return &containerpb.Cluster{Name: "c", Location: "us-central1", Endpoint: "35.1.2.3", Status: containerpb.Cluster_RUNNING,
			MasterAuth: &containerpb.MasterAuth{ClusterCaCertificate: ca}}
	}
	modern := func(ip *containerpb.ControlPlaneEndpointsConfig_IPEndpointsConfig, dns string, external *bool) *containerpb.Cluster {
		cl := base()
		cl.ControlPlaneEndpointsConfig = &containerpb.ControlPlaneEndpointsConfig{IpEndpointsConfig: ip,
			DnsEndpointConfig: &containerpb.ControlPlaneEndpointsConfig_DNSEndpointConfig{Endpoint: dns, AllowExternalTraffic: external}}
		return cl
	}
	tests := []struct {
		name string
		cl   *containerpb.Cluster
		// want: per path, "endpoint" when usable, or "!reason part".
		want map[string]string
	}{
		{"a legacy public cluster", base(), map[string]string{
			inventory.ViaPublic: "35.1.2.3", inventory.ViaDNS: "!no DNS endpoint", inventory.ViaConnectGateway: "!not a fleet member", inventory.ViaPrivate: "!no private IP endpoint"}},
		{"a legacy private-endpoint-only cluster", func() *containerpb.Cluster {
			cl := base()
			cl.Endpoint = "10.0.0.2"
			cl.PrivateClusterConfig = &containerpb.PrivateClusterConfig{EnablePrivateEndpoint: true, PrivateEndpoint: "10.0.0.2"}
			return cl
		}(), map[string]string{inventory.ViaPublic: "!private endpoint only", inventory.ViaPrivate: "10.0.0.2"}},
		{"IP endpoints off, DNS open", modern(&containerpb.ControlPlaneEndpointsConfig_IPEndpointsConfig{Enabled: &no}, "gke-abc-1.us-central1.gke.goog", &yes),
			map[string]string{inventory.ViaPublic: "!IP endpoints are disabled", inventory.ViaDNS: "gke-abc-1.us-central1.gke.goog", inventory.ViaPrivate: "!no private IP endpoint"}},
		{"public endpoint off, DNS closed", modern(&containerpb.ControlPlaneEndpointsConfig_IPEndpointsConfig{EnablePublicEndpoint: &no, PublicEndpoint: "35.1.2.3", PrivateEndpoint: "10.0.0.2"}, "gke-abc-1.us-central1.gke.goog", &no),
			map[string]string{inventory.ViaPublic: "!public endpoint is disabled", inventory.ViaDNS: "!refuses user traffic", inventory.ViaPrivate: "10.0.0.2"}},
		{"DNS with allowExternalTraffic unset is closed", modern(nil, "gke-abc-1.us-central1.gke.goog", nil), map[string]string{inventory.ViaDNS: "!refuses user traffic"}},
		{"a DNS endpoint outside gke.goog", modern(nil, "api.evil.example", &yes), map[string]string{inventory.ViaDNS: "!not a *.gke.goog name"}},
		{"a DNS endpoint with a path", modern(nil, "x.gke.goog/@evil.example", &yes), map[string]string{inventory.ViaDNS: "!not a *.gke.goog name"}},
		{"a public endpoint that is a host name", func() *containerpb.Cluster {
			cl := base()
			cl.Endpoint = "evil.example"
			return cl
		}(), map[string]string{inventory.ViaPublic: "!not an IP address"}},
		{"no CA", func() *containerpb.Cluster {
			cl := base()
			cl.MasterAuth = nil
			return cl
		}(), map[string]string{inventory.ViaPublic: "!clusterCaCertificate is missing"}},
		{"a fleet member", func() *containerpb.Cluster {
			cl := base()
			cl.Fleet = &containerpb.Fleet{Membership: "//gkehub.googleapis.com/projects/482913376015/locations/global/memberships/c"}
			return cl
		}(), map[string]string{inventory.ViaConnectGateway: "connectgateway.googleapis.com (membership c)"}},
		{"a membership whose location would change the host", func() *containerpb.Cluster {
			cl := base()
			cl.Fleet = &containerpb.Fleet{Membership: "//gkehub.googleapis.com/projects/p/locations/evil.example#/memberships/c"}
			return cl
		}(), map[string]string{inventory.ViaConnectGateway: "!is not //gkehub.googleapis.com/projects/P/locations/L/memberships/M"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newCollector(Options{})
			got := map[string]clusterPath{}
			var order []string
			for _, p := range c.clusterPaths(tc.cl, "p") {
				got[p.via] = p
				order = append(order, p.via)
			}
			if strings.Join(order, " ") != "public dns connect-gateway private" {
				t.Errorf("order %v", order)
			}
			for via, want := range tc.want {
				p := got[via]
				if reason, ok := strings.CutPrefix(want, "!"); ok {
					if p.skip == "" || !strings.Contains(p.skip, reason) {
						t.Errorf("%s: skip %q, want %q", via, p.skip, reason)
					}
				} else if p.skip != "" || p.endpoint != want {
					t.Errorf("%s: endpoint %q (skip %q), want %q", via, p.endpoint, p.skip, want)
				}
			}
		})
	}
	if u := GatewayURL("482913376015", "us-central1", "c"); u != "https://us-central1-connectgateway.googleapis.com/v1/projects/482913376015/locations/us-central1/gkeMemberships/c" {
		t.Errorf("GatewayURL = %s", u)
	}
}
