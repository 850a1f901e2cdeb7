package network

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestHealthCheckFirewallMissing(t *testing.T) {
	t.Parallel()
	fw, hc := ruletest.Firewall, healthCheckSources
	runFirewallCases(t, HealthCheckFirewallMissing, []firewallCase{
		{name: "proxies and health checks allowed", class: "gce-internal", port: 8080, rules: []*compute.Firewall{fw("proxy", 1000, "10.128.0.0/9", "8080"), fw("hc", 1000, hc, "8080")}},
		{name: "health checks allowed on every port", class: "gce-internal", port: 9000, rules: []*compute.Firewall{fw("hc", 1000, hc)}},
		{name: "one health-check range blocked", class: "gce", port: 8080, rules: []*compute.Firewall{fw("hc", 1000, "130.211.0.0/22", "8080")},
			want: "but 35.191.0.0/16 cannot reach it"},
		{name: "deny needs a higher priority allow", class: "gce", port: 8080,
			rules: []*compute.Firewall{fw("hc", 1000, hc, "8080"), {Name: "deny", Priority: 800, SourceRanges: []string{"35.191.0.0/16"}, Denied: []*compute.FirewallDenied{{IPProtocol: "tcp"}}}},
			want:  "(firewall rule deny)", fix: "--priority=799"},
		{name: "a deny at priority 0 cannot be outranked: it moves to 1, the allow takes 0", class: "gce", port: 8080,
			rules: []*compute.Firewall{fw("hc", 1000, hc, "8080"), {Name: "deny0", Priority: 0, SourceRanges: []string{"35.191.0.0/16"}, Denied: []*compute.FirewallDenied{{IPProtocol: "tcp"}}}},
			want:  "(firewall rule deny0)", fix: "gcloud compute firewall-rules update deny0 --priority=1 --project=acme-test && gcloud compute firewall-rules create "},
		{name: "VPC rules only: said so", class: "gce", port: 8080, rules: []*compute.Firewall{}, want: "lbdiag read the VPC firewall rules only"},
		{name: "policies read: no caveat", class: "gce", port: 8080, policies: true, want: "(the implied deny: no rule allows it). The backends"},
		{name: "nodes unknown: silent", class: "gce-internal", port: 9000, noNodes: true},
		{name: "firewalls unreadable: silent", class: "gce-internal", port: 9000, failFW: true},
	})
}

func TestHealthCheckFirewallMissingCounts(t *testing.T) {
	t.Parallel()
	// One judged resource: Ingress shop/site, the owner of the one
	// backend (Service shop/api, health-checked on its Pod port).
	fw, hc := ruletest.Firewall, healthCheckSources
	inv, _ := firewallInventory(firewallCase{class: "gce-internal", port: 9000, rules: []*compute.Firewall{fw("hc", 1000, hc)}})
	ruletest.ExpectCounts(t, inv, HealthCheckFirewallMissing, ruletest.Counts{Judged: 1, Passed: 1})
	inv, _ = firewallInventory(firewallCase{class: "gce", port: 8080, rules: []*compute.Firewall{fw("hc", 1000, "130.211.0.0/22", "8080")}})
	ruletest.ExpectCounts(t, inv, HealthCheckFirewallMissing, ruletest.Counts{Judged: 1, Failed: 1})

	// Neither the nodes nor the firewall rules read: not judged, both
	// counted as not checked.
	inv, _ = firewallInventory(firewallCase{class: "gce", port: 8080, noNodes: true, failFW: true})
	c := ruletest.ExpectCounts(t, inv, HealthCheckFirewallMissing, ruletest.Counts{CouldNotCheck: 2})
	expectReason(t, c, inventory.ComputeInstances)
	expectReason(t, c, inventory.ComputeFirewalls)

	// A cluster without load-balanced backends needs no firewall rule:
	// nothing judged, and nothing left unchecked.
	inv, cl := firewallInventory(firewallCase{class: "gce", port: 8080, failFW: true})
	cl.Ingresses = nil
	ruletest.ExpectCounts(t, inv, HealthCheckFirewallMissing, ruletest.Counts{})
}
