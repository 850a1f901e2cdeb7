package network

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
)

func TestProxyOnlyFirewallMissing(t *testing.T) {
	t.Parallel()
	fw, hc := ruletest.Firewall, healthCheckSources
	runFirewallCases(t, ProxyOnlyFirewallMissing, []firewallCase{
		{name: "proxies and health checks allowed", class: "gce-internal", port: 8080, rules: []*compute.Firewall{fw("proxy", 1000, "10.128.0.0/9", "8080"), fw("hc", 1000, hc, "8080")}},
		{name: "proxy range not allowed", class: "gce-internal", port: 9000, rules: []*compute.Firewall{fw("proxy", 1000, "10.129.0.0/23", "8080"), fw("hc", 1000, hc)},
			want: "traffic from the proxy-only subnet proxy is not allowed to 1 of the cluster's 1 nodes: from 10.129.0.0/23 (the implied deny",
			fix:  "gcloud compute firewall-rules create allow-proxy-only-europe-west1-9000 --network=vpc --direction=INGRESS --action=ALLOW --rules=tcp:9000 --source-ranges=10.129.0.0/23 --target-tags=gke-prod-1234-node --project=acme-test"},
		{name: "half the proxy range", class: "gce-internal", port: 8080, rules: []*compute.Firewall{fw("proxy", 1000, "10.129.0.0/24", "8080"), fw("hc", 1000, hc)},
			want: "from 10.129.0.0/23, the part 10.129.1.0/24 (the implied deny"},
		{name: "external Ingress: no proxy check", class: "gce", port: 9000, rules: []*compute.Firewall{fw("hc", 1000, hc)}},
		{name: "nodes unknown: silent", class: "gce-internal", port: 9000, noNodes: true},
		{name: "firewalls unreadable: silent", class: "gce-internal", port: 9000, failFW: true},
	})
}
