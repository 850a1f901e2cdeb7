package network

import (
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// The backends of load balancers GKE did not build: instance groups and
// zonal NEGs of VMs, behind VPC rules, hierarchical and network firewall
// policies.

const vmNet = "projects/" + ruletest.Project + "/global/networks/prod-vpc"

// vmLB is a project with one load balancer in front of VMs: a URL map
// sending to backend service bs, health-checked by hc, whose groups are
// given with the getHealth answer of each (nil: not read).
type vmLB struct {
	bs     *compute.BackendService
	hc     *compute.HealthCheck
	groups map[string][]*compute.HealthStatus // group self link -> statuses
	// effective, when set, is the VPC's getEffectiveFirewalls answer; else
	// only the VPC rules were read.
	effective *compute.NetworksGetEffectiveFirewallsResponse
	vpc       []*compute.Firewall
	// legacySubnet makes the region's proxy-only subnet a legacy
	// INTERNAL_HTTPS_LOAD_BALANCER one.
	legacySubnet bool
}

func vmInstance(zone, name string, tags ...string) *compute.Instance {
	return &compute.Instance{Name: name, SelfLink: ruletest.G("zones/" + zone + "/instances/" + name), Zone: ruletest.G("zones/" + zone),
		Tags:              &compute.Tags{Items: tags},
		ServiceAccounts:   []*compute.ServiceAccount{{Email: "web@" + ruletest.Project + ".iam.gserviceaccount.com"}},
		NetworkInterfaces: []*compute.NetworkInterface{{Network: ruletest.ComputeBase + ruletest.Project + "/global/networks/prod-vpc", NetworkIP: "10.0.0.2"}}}
}

func statusOf(in *compute.Instance, port int64, state string) *compute.HealthStatus {
	return &compute.HealthStatus{Instance: in.SelfLink, IpAddress: in.NetworkInterfaces[0].NetworkIP, Port: port, HealthState: state}
}

func (l vmLB) inventory() *inventory.Inventory {
	inv := ruletest.LBProject()
	c := &inv.Compute
	c.BackendServices = []*compute.BackendService{l.bs}
	c.HealthChecks = []*compute.HealthCheck{l.hc}
	c.URLMaps = []*compute.UrlMap{{Name: "web-map", SelfLink: ruletest.G("global/urlMaps/web-map"), DefaultService: l.bs.SelfLink}}
	if l.bs.Region != "" {
		c.URLMaps[0].SelfLink = ruletest.G("regions/us-central1/urlMaps/web-map")
		c.URLMaps[0].Region = ruletest.G("regions/us-central1")
	}
	c.BackendHealth = map[string]map[string]*compute.BackendServiceGroupHealth{l.bs.SelfLink: {}}
	purpose := "REGIONAL_MANAGED_PROXY"
	if l.legacySubnet {
		purpose = "INTERNAL_HTTPS_LOAD_BALANCER"
	}
	c.Subnetworks = []*compute.Subnetwork{ruletest.Subnetwork(ruletest.Project, "us-central1", "proxy-only-uc1", "prod-vpc", "10.129.0.0/23", purpose, "ACTIVE")}
	seen := map[string]bool{}
	for group, statuses := range l.groups {
		l.bs.Backends = append(l.bs.Backends, &compute.Backend{Group: group, BalancingMode: "UTILIZATION"})
		zone := inventory.LocationOf(group)
		if strings.Contains(group, "/instanceGroups/") {
			c.InstanceGroups = append(c.InstanceGroups, &compute.InstanceGroup{Name: inventory.LastSegment(group), SelfLink: group, Zone: ruletest.G("zones/" + zone),
				Network: ruletest.ComputeBase + ruletest.Project + "/global/networks/prod-vpc", Size: int64(len(statuses)),
				NamedPorts: []*compute.NamedPort{{Name: "http", Port: 8080}}})
		} else {
			c.NEGs = append(c.NEGs, &compute.NetworkEndpointGroup{Name: inventory.LastSegment(group), SelfLink: group, Zone: ruletest.G("zones/" + zone),
				Network: ruletest.ComputeBase + ruletest.Project + "/global/networks/prod-vpc", NetworkEndpointType: "GCE_VM_IP_PORT", Size: int64(len(statuses))})
		}
		if statuses != nil {
			c.BackendHealth[l.bs.SelfLink][group] = &compute.BackendServiceGroupHealth{HealthStatus: statuses, Kind: "compute#backendServiceGroupHealth"}
		}
		for _, st := range statuses {
			if !seen[st.Instance] {
				seen[st.Instance] = true
				parts := strings.Split(st.Instance, "/")
				c.Instances = append(c.Instances, vmInstance(zone, parts[len(parts)-1], "web"))
			}
		}
	}
	// Copies: a rule may be shared by parallel cases.
	var vpc []*compute.Firewall
	for _, r := range l.vpc {
		r := *r
		r.Network = ruletest.ComputeBase + ruletest.Project + "/global/networks/prod-vpc"
		r.Direction = "INGRESS"
		r.SelfLink = ruletest.G("global/firewalls/" + r.Name)
		vpc = append(vpc, &r)
	}
	c.Firewalls = vpc
	if l.effective != nil {
		l.effective.Firewalls = vpc
		c.EffectiveFirewalls = map[string]*compute.NetworksGetEffectiveFirewallsResponse{vmNet: l.effective}
		inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.ComputeEffectiveFirewalls, Scope: vmNet, Status: inventory.StatusOK})
	}
	return inv
}

func globalBS(name string, hc *compute.HealthCheck) *compute.BackendService {
	return &compute.BackendService{Name: name, SelfLink: ruletest.G("global/backendServices/" + name), LoadBalancingScheme: "EXTERNAL_MANAGED",
		Protocol: "HTTP", PortName: "http", HealthChecks: []string{hc.SelfLink}}
}

func httpHC(name, spec string, port int64) *compute.HealthCheck {
	return &compute.HealthCheck{Name: name, SelfLink: ruletest.G("global/healthChecks/" + name), Type: "HTTP",
		HttpHealthCheck: &compute.HTTPHealthCheck{PortSpecification: spec, Port: port, RequestPath: "/healthz"}}
}

func orgDeny(prio int64, src string) *compute.NetworksGetEffectiveFirewallsResponse {
	return &compute.NetworksGetEffectiveFirewallsResponse{FirewallPolicys: []*compute.NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy{
		{Name: "123456789012", ShortName: "org-baseline", DisplayName: "org-baseline", Type: "HIERARCHY", Rules: []*compute.FirewallPolicyRule{
			{Priority: prio, Direction: "INGRESS", Action: "deny", RuleName: "block-google-ranges", Match: &compute.FirewallPolicyRuleMatcher{SrcIpRanges: []string{src},
				Layer4Configs: []*compute.FirewallPolicyRuleMatcherLayer4Config{{IpProtocol: "all"}}}}}}}}
}

func TestHealthCheckFirewallVMBackends(t *testing.T) {
	t.Parallel()
	igA := ruletest.G("zones/us-central1-a/instanceGroups/web-ig-a")
	igB := ruletest.G("zones/us-central1-b/instanceGroups/web-ig-b")
	negA := ruletest.G("zones/us-central1-a/networkEndpointGroups/web-neg-a")
	web1, web2, web3 := vmInstance("us-central1-a", "web-1"), vmInstance("us-central1-a", "web-2"), vmInstance("us-central1-b", "web-3")
	hcAllow := ruletest.Firewall("allow-hc", 1000, strings.Join(healthCheckRanges, ","), "8080")
	hcAllow.TargetTags = []string{"web"}
	serving := httpHC("web-hc", "USE_SERVING_PORT", 0)
	tests := []struct {
		name string
		lb   func() vmLB
		want []string // substrings of the one finding's message, or none
		fix  string
		// counts
		judged, failed, unknown int
		// proxy runs proxy-only-firewall-missing instead.
		proxy bool
	}{
		{name: "VPC rule admits the health checkers to the named port", judged: 1,
			lb: func() vmLB {
				return vmLB{bs: globalBS("web", serving), hc: serving, groups: map[string][]*compute.HealthStatus{igA: {statusOf(web1, 8080, "HEALTHY")}},
					vpc: []*compute.Firewall{ruletest.Firewall("allow-hc", 1000, strings.Join(healthCheckRanges, ","), "8080")}}
			}},
		{name: "no rule admits the named port: implied deny", judged: 1, failed: 1,
			lb: func() vmLB {
				return vmLB{bs: globalBS("web", serving), hc: serving, groups: map[string][]*compute.HealthStatus{igA: {statusOf(web1, 8080, "UNHEALTHY"), statusOf(web2, 8080, "UNHEALTHY")}},
					vpc: []*compute.Firewall{ruletest.Firewall("allow-hc", 1000, strings.Join(healthCheckRanges, ","), "80")}}
			},
			want: []string{"Backend service web sends to instance group web-ig-a (us-central1-a)", `instance group web-ig-a's named port "http" 8080`, "cannot reach 2 of their 2 instances (web-1, web-2)", "lbdiag read the VPC firewall rules only"},
			fix:  "gcloud compute firewall-rules create allow-health-checks-web-8080 --network=prod-vpc --direction=INGRESS --action=ALLOW --rules=tcp:8080 --source-ranges=130.211.0.0/22,35.191.0.0/16 --target-tags=web --project=acme-test"},
		{name: "hierarchical policy denies what a VPC rule allows", judged: 1, failed: 1,
			lb: func() vmLB {
				return vmLB{bs: globalBS("web", serving), hc: serving, groups: map[string][]*compute.HealthStatus{igA: {statusOf(web1, 8080, "UNHEALTHY")}, igB: {statusOf(web3, 8080, "UNHEALTHY")}},
					vpc: []*compute.Firewall{hcAllow}, effective: orgDeny(1000, "35.191.0.0/16")}
			},
			want: []string{"instance group web-ig-a (us-central1-a), instance group web-ig-b (us-central1-b)", `(health check web-hc, the groups' named port "http" 8080)`, "cannot reach 2 of their 2 instances (web-1, web-3)",
				"from 35.191.0.0/16 (hierarchical firewall policy org-baseline (organization or folder level), rule priority 1000 (block-google-ranges))"}},
		{name: "network firewall policy before classic rules allows", judged: 1,
			lb: func() vmLB {
				return vmLB{bs: globalBS("web", serving), hc: serving, groups: map[string][]*compute.HealthStatus{igA: {statusOf(web1, 8080, "HEALTHY")}},
					effective: &compute.NetworksGetEffectiveFirewallsResponse{FirewallPolicys: []*compute.NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy{
						{Name: "web-policy", ShortName: "web-policy", Type: "NETWORK", Rules: []*compute.FirewallPolicyRule{
							{Priority: 100, Direction: "INGRESS", Action: "allow", Match: &compute.FirewallPolicyRuleMatcher{SrcIpRanges: healthCheckRanges,
								Layer4Configs: []*compute.FirewallPolicyRuleMatcherLayer4Config{{IpProtocol: "tcp", Ports: []string{"8080"}}}},
								TargetServiceAccounts: []string{"web@acme-test.iam.gserviceaccount.com"}}}}}}}
			}},
		{name: "fixed port probes what no rule admits", judged: 1, failed: 1,
			lb: func() vmLB {
				hc := httpHC("web-hc", "USE_FIXED_PORT", 9000)
				return vmLB{bs: globalBS("web", hc), hc: hc, groups: map[string][]*compute.HealthStatus{igA: {statusOf(web1, 8080, "UNHEALTHY")}},
					vpc: []*compute.Firewall{hcAllow}, effective: &compute.NetworksGetEffectiveFirewallsResponse{}}
			},
			want: []string{"(health check web-hc, the health check's fixed port 9000)", "(the implied deny: no rule allows it)"}},
		{name: "regional internal load balancer: the proxy-only subnet is blocked", judged: 1, failed: 1, proxy: true,
			lb: func() vmLB {
				hc := &compute.HealthCheck{Name: "web-hc", SelfLink: ruletest.G("regions/us-central1/healthChecks/web-hc"), Region: ruletest.G("regions/us-central1"), Type: "HTTP",
					HttpHealthCheck: &compute.HTTPHealthCheck{PortSpecification: "USE_SERVING_PORT"}}
				bs := &compute.BackendService{Name: "web", SelfLink: ruletest.G("regions/us-central1/backendServices/web"), Region: ruletest.G("regions/us-central1"),
					LoadBalancingScheme: "INTERNAL_MANAGED", Protocol: "HTTP", HealthChecks: []string{hc.SelfLink}}
				return vmLB{bs: bs, hc: hc, groups: map[string][]*compute.HealthStatus{negA: {statusOf(web1, 8443, "UNHEALTHY")}},
					vpc: []*compute.Firewall{func() *compute.Firewall {
						f := ruletest.Firewall("allow-hc", 1000, strings.Join(healthCheckRanges, ","), "8443")
						return f
					}()},
					effective: &compute.NetworksGetEffectiveFirewallsResponse{}}
			},
			want: []string{"the load balancer's proxies (proxy-only subnet proxy-only-uc1, to the endpoints' ports in NEG web-neg-a 8443)", "from 10.129.0.0/23"},
			fix:  "--source-ranges=10.129.0.0/23"},
		{name: "regional external load balancer: a legacy internal subnet is not its proxies'", proxy: true,
			lb: func() vmLB {
				hc := &compute.HealthCheck{Name: "web-hc", SelfLink: ruletest.G("regions/us-central1/healthChecks/web-hc"), Region: ruletest.G("regions/us-central1"), Type: "HTTP",
					HttpHealthCheck: &compute.HTTPHealthCheck{PortSpecification: "USE_SERVING_PORT"}}
				bs := &compute.BackendService{Name: "web", SelfLink: ruletest.G("regions/us-central1/backendServices/web"), Region: ruletest.G("regions/us-central1"),
					LoadBalancingScheme: "EXTERNAL_MANAGED", Protocol: "HTTP", HealthChecks: []string{hc.SelfLink}}
				return vmLB{bs: bs, hc: hc, groups: map[string][]*compute.HealthStatus{negA: {statusOf(web1, 8443, "UNHEALTHY")}}, legacySubnet: true,
					vpc: []*compute.Firewall{}, effective: &compute.NetworksGetEffectiveFirewallsResponse{}}
			}},
		{name: "health not read: could not check", unknown: 1,
			lb: func() vmLB {
				return vmLB{bs: globalBS("web", serving), hc: serving, groups: map[string][]*compute.HealthStatus{igA: nil}, vpc: []*compute.Firewall{}}
			}},
		{name: "a backend service GKE built is judged from its cluster",
			lb: func() vmLB {
				bs := globalBS("k8s1-0123abcd-shop-web-80-9f8e7d6c", serving)
				bs.Description = `{"kubernetes.io/service-name":"shop/web","kubernetes.io/service-port":"80","x-features":["NEG"]}`
				return vmLB{bs: bs, hc: serving, groups: map[string][]*compute.HealthStatus{igA: {statusOf(web1, 8080, "UNHEALTHY")}}, vpc: []*compute.Firewall{}}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv := tc.lb().inventory()
			rule := HealthCheckFirewallMissing
			if tc.proxy {
				rule = ProxyOnlyFirewallMissing
			}
			fs := ruletest.Run(t, inv, rule)
			if len(tc.want) == 0 {
				if len(fs) != 0 {
					t.Fatalf("findings: %v", ruletest.Messages(fs))
				}
			} else {
				if len(fs) != 1 {
					t.Fatalf("want one finding, got %v", ruletest.Messages(fs))
				}
				for _, w := range tc.want {
					if !strings.Contains(fs[0].Message, w) {
						t.Errorf("message %q\nlacks %q", fs[0].Message, w)
					}
				}
				if fs[0].Resource.Kind != "BackendService" || fs[0].Resource.Name != "web" {
					t.Errorf("resource = %+v", fs[0].Resource)
				}
				if tc.fix != "" && !strings.Contains(fs[0].Remediation, tc.fix) {
					t.Errorf("remediation %q lacks %q", fs[0].Remediation, tc.fix)
				}
			}
			c := ruletest.ExpectCounts(t, inv, rule, ruletest.Counts{Judged: tc.judged, Passed: tc.judged - tc.failed, Failed: tc.failed, CouldNotCheck: tc.unknown})
			if tc.unknown > 0 {
				expectReason(t, c, inventory.ComputeBackendHealth)
			}
		})
	}
}
