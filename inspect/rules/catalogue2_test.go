package rules

import (
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	gwrules "github.com/lbdiag/lbdiag/inspect/rules/gateway"
	"github.com/lbdiag/lbdiag/inspect/rules/ingress"
	lbrules "github.com/lbdiag/lbdiag/inspect/rules/lb"
	"github.com/lbdiag/lbdiag/inspect/rules/network"
	"github.com/lbdiag/lbdiag/inventory"
)

// firewallSetup is a cluster with one node and an internal Ingress to a
// NEG Service whose Pods listen on podPort, with a proxy-only subnet.
func firewallSetup(class string, podPort int, rules ...*compute.Firewall) (*inventory.Inventory, *inventory.Cluster) {
	cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
	svc := service("shop", "api", map[string]string{gke.AnnNEG: `{"ingress":true}`}, corev1.ServicePort{Name: "http", Port: 80, TargetPort: intstr.FromInt(podPort)})
	cl.Services = []corev1.Service{svc}
	cl.Ingresses = []networkingv1.Ingress{newIngress("shop", "site", class, "api")}
	cl.Nodes = []corev1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}}}
	inv := newInventory(cl)
	inv.Compute.Instances = []*compute.Instance{{Name: "node-1", Tags: &compute.Tags{Items: []string{"gke-prod-1234-node"}},
		ServiceAccounts: []*compute.ServiceAccount{{Email: "nodes@acme-test.iam.gserviceaccount.com"}}}}
	inv.Compute.Subnetworks = []*compute.Subnetwork{subnetwork(testProject, "europe-west1", "proxy", "vpc", "10.129.0.0/23", "REGIONAL_MANAGED_PROXY", "ACTIVE")}
	for _, r := range rules {
		r.Network = computeBase + testProject + "/global/networks/vpc"
		r.Direction = "INGRESS"
		r.SelfLink = computeBase + testProject + "/global/firewalls/" + r.Name
	}
	inv.Compute.Firewalls = rules
	return inv, cl
}

func fw(name string, prio int64, sources string, ports ...string) *compute.Firewall {
	return &compute.Firewall{Name: name, Priority: prio, SourceRanges: strings.Split(sources, ","), Allowed: []*compute.FirewallAllowed{{IPProtocol: "tcp", Ports: ports}}}
}

func TestFirewallRules(t *testing.T) {
	t.Parallel()
	hc := "35.191.0.0/16,130.211.0.0/22"
	tests := []struct {
		name      string
		class     string
		port      int
		rules     []*compute.Firewall
		noNodes   bool
		failFW    bool
		policies  bool
		wantProxy string
		wantHC    string
		fix       string
	}{
		{name: "proxies and health checks allowed", class: "gce-internal", port: 8080, rules: []*compute.Firewall{fw("proxy", 1000, "10.128.0.0/9", "8080"), fw("hc", 1000, hc, "8080")}},
		{name: "proxy range not allowed", class: "gce-internal", port: 9000, rules: []*compute.Firewall{fw("proxy", 1000, "10.129.0.0/23", "8080"), fw("hc", 1000, hc)},
			wantProxy: "traffic from the proxy-only subnet proxy is not allowed to 1 of the cluster's 1 nodes: from 10.129.0.0/23 (the implied deny",
			fix:       "gcloud compute firewall-rules create allow-proxy-only-europe-west1-9000 --network=vpc --direction=INGRESS --action=ALLOW --rules=tcp:9000 --source-ranges=10.129.0.0/23 --target-tags=gke-prod-1234-node --project=acme-test"},
		{name: "half the proxy range", class: "gce-internal", port: 8080, rules: []*compute.Firewall{fw("proxy", 1000, "10.129.0.0/24", "8080"), fw("hc", 1000, hc)},
			wantProxy: "from 10.129.0.0/23, the part 10.129.1.0/24 (the implied deny"},
		{name: "external Ingress: no proxy check", class: "gce", port: 9000, rules: []*compute.Firewall{fw("hc", 1000, hc)}},
		{name: "one health-check range blocked", class: "gce", port: 8080, rules: []*compute.Firewall{fw("hc", 1000, "130.211.0.0/22", "8080")},
			wantHC: "but 35.191.0.0/16 cannot reach it"},
		{name: "deny needs a higher priority allow", class: "gce", port: 8080,
			rules:  []*compute.Firewall{fw("hc", 1000, hc, "8080"), {Name: "deny", Priority: 800, SourceRanges: []string{"35.191.0.0/16"}, Denied: []*compute.FirewallDenied{{IPProtocol: "tcp"}}}},
			wantHC: "(firewall rule deny)", fix: "--priority=799"},
		{name: "VPC rules only: said so", class: "gce", port: 8080, rules: []*compute.Firewall{}, wantHC: "lbdiag read the VPC firewall rules only"},
		{name: "policies read: no caveat", class: "gce", port: 8080, policies: true, wantHC: "(the implied deny: no rule allows it). The backends"},
		{name: "nodes unknown: silent", class: "gce-internal", port: 9000, noNodes: true},
		{name: "firewalls unreadable: silent", class: "gce-internal", port: 9000, failFW: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv, cl := firewallSetup(tc.class, tc.port, tc.rules...)
			if tc.noNodes {
				failSource(inv, inventory.ComputeInstances, inventory.ProjectScope(testProject))
			}
			if tc.failFW {
				failSource(inv, inventory.ComputeFirewalls, inventory.ProjectScope(testProject))
			}
			if tc.policies {
				inv.Compute.EffectiveFirewalls = map[string]*compute.NetworksGetEffectiveFirewallsResponse{cl.NetworkURL(): {}}
				inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.ComputeEffectiveFirewalls, Scope: cl.NetworkURL(), Status: inventory.StatusOK})
			}
			for _, c := range []struct {
				got  []string
				want string
			}{{messages(run(t, inv, network.ProxyOnlyFirewallMissing)), tc.wantProxy}, {messages(run(t, inv, network.HealthCheckFirewallMissing)), tc.wantHC}} {
				if c.want == "" {
					if len(c.got) != 0 {
						t.Errorf("unexpected: %v", c.got)
					}
					continue
				}
				if len(c.got) != 1 || !strings.Contains(c.got[0], c.want) {
					t.Errorf("got %v, want one containing %q", c.got, c.want)
				}
			}
			if tc.fix != "" {
				all := append(run(t, inv, network.ProxyOnlyFirewallMissing), run(t, inv, network.HealthCheckFirewallMissing)...)
				if len(all) == 0 || !strings.Contains(all[0].Remediation, tc.fix) {
					t.Errorf("remediation does not contain %q: %+v", tc.fix, all)
				}
			}
			if tc.policies && strings.Contains(strings.Join(messages(run(t, inv, network.HealthCheckFirewallMissing)), ""), "VPC firewall rules only") {
				t.Error("caveat although the policies were read")
			}
		})
	}
}

func TestBackendRules(t *testing.T) {
	t.Parallel()
	group := func(zone string) string {
		return computeBase + testProject + "/zones/" + zone + "/networkEndpointGroups/k8s1-0123abcd-shop-web-80-9f8e7d6c"
	}
	health := func(states ...string) *compute.BackendServiceGroupHealth {
		h := &compute.BackendServiceGroupHealth{}
		for _, s := range states {
			h.HealthStatus = append(h.HealthStatus, &compute.HealthStatus{HealthState: s})
		}
		return h
	}
	tests := []struct {
		name    string
		groups  map[string]*compute.BackendServiceGroupHealth // zone -> health; nil: not read
		logging bool
		want    string
		wantLog bool
	}{
		{name: "all healthy", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY"), "europe-west1-c": health("HEALTHY", "UNHEALTHY")}},
		{name: "one zone down", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY"), "europe-west1-c": health("UNHEALTHY", "UNHEALTHY")},
			want: "no healthy endpoint in 1 of its 2 backend groups: k8s1-0123abcd-shop-web-80-9f8e7d6c (europe-west1-c: 0 of 2 endpoints healthy)"},
		{name: "empty zone is fine", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY"), "europe-west1-c": health()}},
		{name: "nothing anywhere", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health(), "europe-west1-c": health()}, want: "no endpoint at all"},
		{name: "health not read", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": nil, "europe-west1-c": nil}},
		{name: "logging off", groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY")}, wantLog: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl, bs := drainSetup(30, corev1.Container{Name: "web"}, nil)
			cl.Ingresses[0].Annotations[gke.AnnIngressBackends] = `{"` + bs.Name + `":"HEALTHY"}`
			bs.Backends = nil
			bs.LogConfig = &compute.BackendServiceLogConfig{Enable: tc.logging}
			inv := newInventory(cl)
			inv.Compute.BackendServices = []*compute.BackendService{bs}
			inv.Compute.BackendHealth = map[string]map[string]*compute.BackendServiceGroupHealth{bs.SelfLink: {}}
			for _, z := range core.SortedKeys(tc.groups) {
				bs.Backends = append(bs.Backends, &compute.Backend{Group: group(z)})
				if h := tc.groups[z]; h != nil {
					inv.Compute.BackendHealth[bs.SelfLink][group(z)] = h
				}
			}
			got := messages(run(t, inv, lbrules.BackendUnhealthy))
			if (tc.want == "") != (len(got) == 0) || (tc.want != "" && !strings.Contains(got[0], tc.want)) {
				t.Errorf("backend-unhealthy: %v, want %q", got, tc.want)
			}
			if logs := run(t, inv, lbrules.BackendLoggingDisabled); (len(logs) == 1) != tc.wantLog {
				t.Errorf("backend-logging-disabled: %v", messages(logs))
			}
		})
	}
}

func TestLBResourceMissing(t *testing.T) {
	t.Parallel()
	um := func(name string) *compute.UrlMap {
		return &compute.UrlMap{Name: name, SelfLink: computeBase + testProject + "/global/urlMaps/" + name}
	}
	setup := func() *inventory.Inventory {
		cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
		ing := newIngress("shop", "site", "", "web")
		ing.Annotations["ingress.kubernetes.io/url-map"] = "k8s2-um-abc-shop-site-xyz"
		cl.Ingresses = []networkingv1.Ingress{ing}
		cl.Services = []corev1.Service{service("shop", "web", nil)}
		return newInventory(cl)
	}
	inv := setup()
	inv.Compute.URLMaps = []*compute.UrlMap{um("k8s2-um-abc-shop-site-xyz")}
	expect(t, run(t, inv, lbrules.LBResourceMissing))
	inv = setup()
	inv.Compute.URLMaps = []*compute.UrlMap{um("hand-made-map")}
	expect(t, run(t, inv, lbrules.LBResourceMissing), "ingress.kubernetes.io/url-map names global/urlMaps/k8s2-um-abc-shop-site-xyz")
	// URL maps unreadable: cannot tell.
	inv = setup()
	failSource(inv, inventory.ComputeURLMaps, inventory.ProjectScope(testProject))
	expect(t, run(t, inv, lbrules.LBResourceMissing))
}

// TestLBResourceOrphaned decides ownership the way GKE's names and
// descriptions encode it (kubernetes/ingress-gce pkg/utils/namer,
// pkg/utils/negdescription.go, pkg/firewalls): from the cluster list,
// never from instances.
func TestLBResourceOrphaned(t *testing.T) {
	t.Parallel()
	const prodUID, goneUID = "8b0d6f3e-prod-kube-system", "1c2d3e4f-gone-kube-system"
	lb := func(ksUID, ns, name string) string { return gke.V2LoadBalancerName(ksUID, ns, name) }
	um := func(name string) *compute.UrlMap {
		return &compute.UrlMap{Name: name, SelfLink: computeBase + testProject + "/global/urlMaps/" + name}
	}
	fwRule := func(name string, tags ...string) *compute.Firewall {
		return &compute.Firewall{Name: name, Description: "GCE L7 firewall rule", TargetTags: tags, Network: computeBase + testProject + "/global/networks/vpc",
			SelfLink: computeBase + testProject + "/global/firewalls/" + name}
	}
	neg := func(name, clusterUID, svc string) *compute.NetworkEndpointGroup {
		return &compute.NetworkEndpointGroup{Name: name, Description: `{"cluster-uid":"` + clusterUID + `","namespace":"shop","service-name":"` + svc + `","port":"80"}`,
			SelfLink: computeBase + testProject + "/zones/europe-west1-b/networkEndpointGroups/" + name}
	}
	bsOf := func(name, svc string) *compute.BackendService {
		return &compute.BackendService{Name: name, Description: `{"kubernetes.io/service-name":"shop/` + svc + `","kubernetes.io/service-port":"80"}`,
			SelfLink: computeBase + testProject + "/global/backendServices/" + name}
	}
	tests := []struct {
		name    string
		edit    func(inv *inventory.Inventory, cl *inventory.Cluster)
		want    string // "" for no finding
		failure inventory.Status
	}{
		{name: "the URL map of a live Ingress, even unannotated", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.URLMaps = []*compute.UrlMap{um("k8s2-um-" + lb(prodUID, "shop", "site"))}
		}},
		{name: "a listed cluster's URL map for an Ingress it no longer has", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.URLMaps = []*compute.UrlMap{um("k8s2-um-" + lb(prodUID, "shop", "old"))}
		}, want: "none of that cluster's Ingresses has the load balancer name " + lb(prodUID, "shop", "old")},
		{name: "the URL map of a cluster that is gone", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.URLMaps = []*compute.UrlMap{um("k8s2-um-" + lb(goneUID, "shop", "site"))}
		}, want: "its name carries the kube-system UID hash " + gke.ClusterHash(goneUID) + ", which no listed cluster has (the project's clusters are europe-west1/prod)"},
		{name: "a firewall rule of a listed cluster scaled to zero (no instance carries its tag)", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.Instances = nil
			inv.Compute.Firewalls = []*compute.Firewall{fwRule("k8s-fw-l7--9f3c2a71b4d05e68", "gke-prod-1234abcd-node")}
		}},
		{name: "a firewall rule whose cluster is gone", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.Firewalls = []*compute.Firewall{fwRule("k8s-fw-l7--0a1b2c3d4e5f6a7b", "gke-old-deadbeef-node")}
		}, want: "it targets the node tag gke-old-deadbeef-node, and no listed cluster's nodes carry it"},
		{name: "a cluster recreated under the same name", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.Firewalls = []*compute.Firewall{fwRule("k8s-fw-l7--0a1b2c3d4e5f6a7b", "gke-prod-00000000-node")}
		}, want: "it targets the node tag gke-prod-00000000-node"},
		{name: "a NEG of a live Service", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.NEGs = []*compute.NetworkEndpointGroup{neg("k8s1-1234abcd-shop-web-80-aaaaaaaa", prodUID, "web")}
		}},
		{name: "a NEG of a Service the cluster no longer has", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.NEGs = []*compute.NetworkEndpointGroup{neg("k8s1-1234abcd-shop-old-80-aaaaaaaa", prodUID, "old")}
		}, want: "its description names Service shop/old, and cluster europe-west1/prod, which made it, has no such Service"},
		{name: "a NEG of a cluster that is gone, same namespace and Service", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.NEGs = []*compute.NetworkEndpointGroup{neg("k8s1-77777777-shop-web-80-bbbbbbbb", goneUID, "web")}
		}, want: "its description names cluster UID " + goneUID + ", which no listed cluster has"},
		{name: "a k8s1 backend service when no cluster shows its prefix: undecided", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.BackendServices = []*compute.BackendService{bsOf("k8s1-77777777-shop-web-80-bbbbbbbb", "web")}
		}},
		{name: "a k8s1 backend service of a prefix no listed cluster uses", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			cl.Services[0].Annotations = map[string]string{gke.AnnNEGStatus: `{"network_endpoint_groups":{"80":"k8s1-1234abcd-shop-web-80-aaaaaaaa"},"zones":["europe-west1-b"]}`}
			inv.Compute.BackendServices = []*compute.BackendService{bsOf("k8s1-77777777-shop-web-80-bbbbbbbb", "web")}
		}, want: "its name carries the cluster prefix 77777777, which no listed cluster's Services or Ingresses use"},
		{name: "--cluster: skipped by request", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.ClustersSelected = true
			inv.Compute.URLMaps = []*compute.UrlMap{um("k8s2-um-" + lb(goneUID, "shop", "site"))}
		}, failure: inventory.StatusSkipped},
		{name: "a location GKE could not list: unknown", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.GKEClusters, Scope: inventory.ProjectScope(testProject) + "/locations/asia-east1-a", Status: inventory.StatusError})
			inv.Compute.URLMaps = []*compute.UrlMap{um("k8s2-um-" + lb(goneUID, "shop", "site"))}
		}, failure: inventory.StatusUnknown},
		{name: "the kube-system UID not read: unknown", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			failSource(inv, inventory.KubeNamespaces, cl.Scope())
			inv.Compute.URLMaps = []*compute.UrlMap{um("k8s2-um-" + lb(goneUID, "shop", "site"))}
		}, failure: inventory.StatusUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
			cl.Info.Id = "1234abcd9f8e7d6c5b4a39281706f5e4d3c2b1a0"
			cl.KubeSystemUID = prodUID
			cl.Ingresses = []networkingv1.Ingress{newIngress("shop", "site", "", "web")}
			cl.Services = []corev1.Service{service("shop", "web", nil)}
			inv := newInventory(cl)
			tc.edit(inv, cl)
			res := runAll(inv, lbrules.LBResourceOrphaned)
			switch {
			case tc.failure != "":
				if len(res.Findings) != 0 || len(res.Failures) != 1 || res.Failures[0].Status != tc.failure {
					t.Errorf("want no finding and a %s entry: %+v", tc.failure, res)
				}
			case tc.want == "":
				expect(t, res.Findings)
			default:
				expect(t, res.Findings, tc.want)
			}
		})
	}
}

func TestNEGMissing(t *testing.T) {
	t.Parallel()
	cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
	cl.Services = []corev1.Service{service("shop", "web", map[string]string{gke.AnnNEGStatus: `{"network_endpoint_groups":{"80":"k8s1-x-shop-web-80-y"},"zones":["europe-west1-b","europe-west1-c"]}`})}
	inv := newInventory(cl)
	inv.Compute.NEGs = []*compute.NetworkEndpointGroup{{Name: "k8s1-x-shop-web-80-y", SelfLink: computeBase + testProject + "/zones/europe-west1-b/networkEndpointGroups/k8s1-x-shop-web-80-y"}}
	expect(t, run(t, inv, ingress.NEGMissing), "k8s1-x-shop-web-80-y in europe-west1-c (port 80)")
	failSource(inv, inventory.ComputeNEGs, inventory.ProjectScope(testProject))
	expect(t, run(t, inv, ingress.NEGMissing))
}

func TestGatewayRules(t *testing.T) {
	t.Parallel()
	cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
	cl.Services = []corev1.Service{service("shop", "web", nil)}
	stuck := newGateway("shop", "stuck", "gke-l7-regional-external-managed")
	stuck.Status.Conditions = []metav1.Condition{{Type: "Programmed", Status: metav1.ConditionFalse, Reason: "Invalid",
		Message: "An active proxy-only subnetwork is required in the same region and VPC as the forwarding rule."}}
	fine := newGateway("shop", "fine", "gke-l7-global-external-managed")
	fine.Status.Conditions = []metav1.Condition{{Type: "Programmed", Status: metav1.ConditionTrue}}
	other := newGateway("shop", "istio", "istio")
	other.Status.Conditions = stuck.Status.Conditions
	cl.Gateways = []inventory.Gateway{stuck, fine, other}
	var pol inventory.GCPBackendPolicy
	pol.Namespace, pol.Name = "shop", "web-policy"
	pol.Spec.TargetRef = inventory.PolicyTargetReference{Kind: "Service", Name: "webb"}
	var ok inventory.GCPBackendPolicy
	ok.Namespace, ok.Name = "shop", "ok"
	ok.Spec.TargetRef = inventory.PolicyTargetReference{Kind: "Service", Name: "web"}
	ok.Status.Conditions = []metav1.Condition{{Type: "Attached", Status: metav1.ConditionTrue}}
	cl.GCPBackendPolicies = []inventory.GCPBackendPolicy{pol, ok}
	inv := newInventory(cl)
	inv.Compute.Subnetworks = []*compute.Subnetwork{subnetwork(testProject, "europe-west1", "nodes", "vpc", "10.0.0.0/20", "PRIVATE", "")}
	expect(t, run(t, inv, gwrules.GatewayNotProgrammed), "Programmed is False (reason Invalid): An active proxy-only subnetwork is required")
	expect(t, run(t, inv, gwrules.GatewayPolicyNotAttached), `Service shop/webb, which does not exist: the policy applies to nothing; "web" exists there (a typo?)`)
	// The Gateway's condition is folded into the proxy-only finding.
	res := runAll(inv, gwrules.GatewayNotProgrammed, network.ProxyOnlySubnetMissing)
	if len(res.Findings) != 1 || res.Findings[0].Rule != "proxy-only-subnet-missing" || res.Findings[0].Evidence["gateway-not-programmed"] == nil {
		t.Errorf("not folded: %v", messages(res.Findings))
	}
}

func TestIGExternalTrafficLocal(t *testing.T) {
	t.Parallel()
	cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
	svc := service("shop", "web", nil)
	svc.Spec.Type, svc.Spec.ExternalTrafficPolicy = corev1.ServiceTypeNodePort, corev1.ServiceExternalTrafficPolicyLocal
	cl.Services = []corev1.Service{svc}
	cl.Ingresses = []networkingv1.Ingress{newIngress("shop", "site", "", "web")}
	for _, n := range []string{"n1", "n2", "n3"} {
		cl.Nodes = append(cl.Nodes, corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}})
	}
	node := "n2"
	cl.EndpointSlices = []discoveryv1.EndpointSlice{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", Labels: map[string]string{"kubernetes.io/service-name": "web"}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}, NodeName: &node}}}}
	inv := newInventory(cl)
	expect(t, run(t, inv, ingress.IGExternalTrafficLocal), "1 of the cluster's 3 nodes run a serving Pod")
	cl.Services[0].Annotations = map[string]string{gke.AnnNEG: `{"ingress":true}`}
	expect(t, run(t, inv, ingress.IGExternalTrafficLocal))
}

// TestGatewayDrainNeedsThePolicies: behind a Gateway whose backend service
// lbdiag cannot name, the draining timeout is the GCPBackendPolicy's; when
// the policies could not be read it is unknown, not 0.
func TestGatewayDrainNeedsThePolicies(t *testing.T) {
	t.Parallel()
	setup := func() (*inventory.Inventory, *inventory.Cluster) {
		cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
		cl.Services = []corev1.Service{service("shop", "web", nil)}
		cl.Gateways = []inventory.Gateway{newGateway("shop", "gw", "gke-l7-global-external-managed")}
		var r inventory.HTTPRoute
		r.Namespace, r.Name = "shop", "web"
		r.Spec.ParentRefs = []inventory.ParentReference{{Name: "gw"}}
		r.Spec.Rules = append(r.Spec.Rules, struct {
			BackendRefs []inventory.BackendRef `json:"backendRefs,omitempty"`
		}{BackendRefs: []inventory.BackendRef{{Name: "web", Port: ptr[int32](80)}}})
		cl.HTTPRoutes = []inventory.HTTPRoute{r}
		dep := appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}
		dep.Spec.Template.Labels = map[string]string{"app": "web"}
		dep.Spec.Template.Spec.Containers = []corev1.Container{{Name: "web", Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 10}}}}}
		cl.Deployments = []appsv1.Deployment{dep}
		return newInventory(cl), cl
	}
	inv, _ := setup()
	expect(t, run(t, inv, lbrules.NEGDrainTimeoutUnset), "connection draining 0 (GCPBackendPolicy spec.default.connectionDraining.drainingTimeoutSec unset")
	expect(t, run(t, inv, lbrules.PreStopShorterThanDrain), "draining timeout 0 s + 60 s")

	inv, cl := setup()
	failSource(inv, inventory.KubeGCPBackendPolicies, cl.Scope())
	expect(t, run(t, inv, lbrules.NEGDrainTimeoutUnset))
	expect(t, run(t, inv, lbrules.PreStopShorterThanDrain))
}

// TestDrainFixNamesTheBackendConfig: the fix points at the BackendConfig the
// annotation names, and never claims the Service has none because the
// BackendConfig list could not be read.
func TestDrainFixNamesTheBackendConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name               string
		exists, unreadable bool
		want, fix          string
	}{
		{name: "exists", exists: true, want: "of BackendConfig shop/web-bc, which this port uses", fix: "kubectl patch backendconfig web-bc -n shop"},
		{name: "missing", want: "which this port names but which does not exist", fix: "name: web-bc"},
		{name: "unreadable", unreadable: true, want: "of BackendConfig shop/web-bc, which this port uses", fix: "kubectl patch backendconfig web-bc -n shop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl, bs := drainSetup(0, corev1.Container{Name: "web"}, nil)
			cl.Services[0].Annotations[gke.AnnBackendConfig] = `{"default":"web-bc"}`
			if tc.exists {
				cl.BackendConfigs = []inventory.BackendConfig{backendConfig("shop", "web-bc", inventory.BackendConfigSpec{})}
			}
			inv := newInventory(cl)
			inv.Compute.BackendServices = []*compute.BackendService{bs}
			if tc.unreadable {
				failSource(inv, inventory.KubeBackendConfigs, cl.Scope())
			}
			got := run(t, inv, lbrules.NEGDrainTimeoutUnset)
			expect(t, got, tc.want)
			if !strings.Contains(got[0].Remediation, tc.fix) || strings.Contains(got[0].Message, "name none") {
				t.Errorf("remediation %q", got[0].Remediation)
			}
		})
	}
}

// TestBackendServicesMatchedByScope gives a regional backend service the
// name of a gce Ingress's global one: the Ingress's annotation names the
// global one (its class's scope), and only that one is judged.
func TestBackendServicesMatchedByScope(t *testing.T) {
	t.Parallel()
	cl, bs := drainSetup(30, corev1.Container{Name: "web"}, nil)
	cl.Ingresses[0].Annotations[gke.AnnIngressBackends] = `{"` + bs.Name + `":"HEALTHY"}`
	group := computeBase + testProject + "/zones/europe-west1-b/networkEndpointGroups/" + bs.Name
	bs.Backends = []*compute.Backend{{Group: group}}
	bs.LogConfig = &compute.BackendServiceLogConfig{Enable: true}
	regional := *bs
	regional.Region = computeBase + testProject + "/regions/europe-west1"
	regional.SelfLink = computeBase + testProject + "/regions/europe-west1/backendServices/" + bs.Name
	regional.LogConfig = &compute.BackendServiceLogConfig{Enable: false}
	inv := newInventory(cl)
	inv.Compute.BackendServices = []*compute.BackendService{bs, &regional}
	sick := &compute.BackendServiceGroupHealth{HealthStatus: []*compute.HealthStatus{{HealthState: "UNHEALTHY"}}}
	well := &compute.BackendServiceGroupHealth{HealthStatus: []*compute.HealthStatus{{HealthState: "HEALTHY"}}}
	inv.Compute.BackendHealth = map[string]map[string]*compute.BackendServiceGroupHealth{bs.SelfLink: {group: well}, regional.SelfLink: {group: sick}}
	expect(t, run(t, inv, lbrules.BackendUnhealthy))
	expect(t, run(t, inv, lbrules.BackendLoggingDisabled))
	// A gce-internal Ingress names the regional one.
	cl.Ingresses[0].Annotations[gke.AnnIngressClass] = "gce-internal"
	expect(t, run(t, newInventoryLike(inv), lbrules.BackendUnhealthy), "BackendService /"+bs.Name)
}

// newInventoryLike copies an inventory, so that its derived indexes are
// rebuilt after an edit of its clusters.
func newInventoryLike(inv *inventory.Inventory) *inventory.Inventory {
	out := newInventory(inv.Clusters...)
	out.Compute = inv.Compute
	return out
}
