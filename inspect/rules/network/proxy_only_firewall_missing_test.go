package network

import (
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
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

// TestProxyOnlyFirewallCoversEveryRouteBackend: a regional Gateway's
// proxies must reach the Pod port of every backend its routes name; a
// rule that opens one backend's port leaves the other's closed.
func TestProxyOnlyFirewallCoversEveryRouteBackend(t *testing.T) {
	t.Parallel()
	fw := ruletest.Firewall
	inv, cl := ruletest.FirewallSetup("gce", 8080, fw("proxy", 1000, "10.129.0.0/23", "8080"), fw("hc", 1000, healthCheckSources, "8080", "9090"))
	cl.Services = append(cl.Services, ruletest.Service("shop", "admin", map[string]string{gke.AnnNEG: `{"exposed_ports":{"80":{}}}`},
		corev1.ServicePort{Name: "http", Port: 80, TargetPort: intstr.FromInt(9090)}))
	cl.Gateways = []inventory.Gateway{ruletest.Gateway("shop", "internal", "gke-l7-rilb")}
	var r inventory.HTTPRoute
	r.Namespace, r.Name = "shop", "internal"
	r.Spec.ParentRefs = []inventory.ParentReference{{Name: "internal"}}
	r.Spec.Rules = []inventory.HTTPRouteRule{{BackendRefs: []inventory.BackendRef{{Name: "api", Port: ruletest.Ptr[int32](80)}, {Name: "admin", Port: ruletest.Ptr[int32](80)}}}}
	cl.HTTPRoutes = []inventory.HTTPRoute{r}
	got := ruletest.Run(t, inv, ProxyOnlyFirewallMissing)
	ruletest.Expect(t, got, "Gateway shop/internal")
	// One judged resource, the Gateway, failing for its backend on 9090;
	// the gce Ingress has no proxies.
	ruletest.ExpectCounts(t, inv, ProxyOnlyFirewallMissing, ruletest.Counts{Judged: 1, Failed: 1})
	if !strings.Contains(got[0].Message, "9090") || strings.Contains(got[0].Message, "8080") || !strings.Contains(got[0].Remediation, "--rules=tcp:9090") {
		t.Errorf("finding: %s\n%s", got[0].Message, got[0].Remediation)
	}
}

func TestProxyOnlyFirewallMissingCounts(t *testing.T) {
	t.Parallel()
	// One judged resource: the gce-internal Ingress shop/site, whose
	// proxies must reach Service shop/api's Pod port.
	fw, hc := ruletest.Firewall, healthCheckSources
	inv, _ := firewallInventory(firewallCase{class: "gce-internal", port: 8080, rules: []*compute.Firewall{fw("proxy", 1000, "10.129.0.0/23", "8080"), fw("hc", 1000, hc)}})
	ruletest.ExpectCounts(t, inv, ProxyOnlyFirewallMissing, ruletest.Counts{Judged: 1, Passed: 1})
	inv, _ = firewallInventory(firewallCase{class: "gce-internal", port: 9000, rules: []*compute.Firewall{fw("proxy", 1000, "10.129.0.0/23", "8080"), fw("hc", 1000, hc)}})
	ruletest.ExpectCounts(t, inv, ProxyOnlyFirewallMissing, ruletest.Counts{Judged: 1, Failed: 1})

	// An external Ingress has no proxies: nothing judged, and its
	// unreadable firewall rules leave nothing unchecked.
	inv, _ = firewallInventory(firewallCase{class: "gce", port: 9000, failFW: true})
	ruletest.ExpectCounts(t, inv, ProxyOnlyFirewallMissing, ruletest.Counts{})

	// The nodes, or the subnets, not read: not judged, one place each.
	inv, _ = firewallInventory(firewallCase{class: "gce-internal", port: 9000, noNodes: true})
	expectReason(t, ruletest.ExpectCounts(t, inv, ProxyOnlyFirewallMissing, ruletest.Counts{CouldNotCheck: 1}), inventory.ComputeInstances)
	inv, _ = firewallInventory(firewallCase{class: "gce-internal", port: 9000})
	ruletest.FailSource(inv, inventory.ComputeSubnetworks, inventory.ProjectScope(ruletest.Project))
	expectReason(t, ruletest.ExpectCounts(t, inv, ProxyOnlyFirewallMissing, ruletest.Counts{CouldNotCheck: 1}), inventory.ComputeSubnetworks)
}
