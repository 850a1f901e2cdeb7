package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	evrules "github.com/lbdiag/lbdiag/inspect/rules/events"
	ingrules "github.com/lbdiag/lbdiag/inspect/rules/ingress"
	lbrules "github.com/lbdiag/lbdiag/inspect/rules/lb"
	netrules "github.com/lbdiag/lbdiag/inspect/rules/network"
	"github.com/lbdiag/lbdiag/inventory"
)

// The tests below cover the rules that judge every load balancer of a
// project, GKE's or not: each case fires its rule or is a near miss, and a
// list lbdiag could not read makes the rule silent, never wrong.

var testNow = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

func g(path string) string { return computeBase + testProject + "/" + path }

// lbProject is an inventory without clusters, read completely, at testNow.
func lbProject() *inventory.Inventory {
	inv := newInventory()
	inv.CollectedAt = testNow
	return inv
}

func managedCert(name, created string, domains map[string]string) *compute.SslCertificate {
	status := "ACTIVE"
	for _, s := range domains {
		if s != "ACTIVE" {
			status = "PROVISIONING"
		}
	}
	return &compute.SslCertificate{Name: name, Type: "MANAGED", CreationTimestamp: created, SelfLink: g("global/sslCertificates/" + name),
		Managed: &compute.SslCertificateManagedSslCertificate{Status: status, DomainStatus: domains}}
}

func httpsProxy(name string, certs ...string) *compute.TargetHttpsProxy {
	p := &compute.TargetHttpsProxy{Name: name, SelfLink: g("global/targetHttpsProxies/" + name), UrlMap: g("global/urlMaps/m")}
	for _, c := range certs {
		p.SslCertificates = append(p.SslCertificates, g("global/sslCertificates/"+c))
	}
	return p
}

func frTo(name, target, ip, ports string) *compute.ForwardingRule {
	return &compute.ForwardingRule{Name: name, Target: target, IPAddress: ip, PortRange: ports, LoadBalancingScheme: "EXTERNAL_MANAGED", SelfLink: g("global/forwardingRules/" + name)}
}

func TestCertificateRules(t *testing.T) {
	t.Parallel()
	threeDays := testNow.Add(-72 * time.Hour).Format(time.RFC3339)
	anHour := testNow.Add(-time.Hour).Format(time.RFC3339)
	stuck := map[string]string{"www.example.com": "FAILED_NOT_VISIBLE", "example.com": "ACTIVE"}
	tests := []struct {
		name  string
		build func(inv *inventory.Inventory)
		rule  *inspect.Rule
		want  []string
	}{
		{"not active, presented", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{managedCert("www", threeDays, stuck)}
			inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{httpsProxy("p", "www")}
			inv.Compute.ForwardingRules = []*compute.ForwardingRule{frTo("fr", g("global/targetHttpsProxies/p"), "34.1.1.1", "443-443")}
		}, lbrules.SSLCertificateNotActive, []string{"www.example.com: FAILED_NOT_VISIBLE, its DNS records do not point at 34.1.1.1"}},
		{"provisioning for an hour: normal", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{managedCert("www", anHour, map[string]string{"www.example.com": "PROVISIONING"})}
			inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{httpsProxy("p", "www")}
		}, lbrules.SSLCertificateNotActive, nil},
		{"provisioning for three days", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{managedCert("www", threeDays, map[string]string{"www.example.com": "PROVISIONING"})}
			inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{httpsProxy("p", "www")}
		}, lbrules.SSLCertificateNotActive, []string{"is PROVISIONING 3 days after its creation"}},
		{"active", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{managedCert("www", threeDays, map[string]string{"www.example.com": "ACTIVE"})}
			inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{httpsProxy("p", "www")}
		}, lbrules.SSLCertificateNotActive, nil},
		{"not active, proxies unreadable: a warning that says so", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{managedCert("www", threeDays, stuck)}
			failSource(inv, inventory.ComputeTargetSSLProxies, inventory.ProjectScope(testProject))
		}, lbrules.SSLCertificateNotActive, []string{"lbdiag could not read every target proxy"}},
		{"unattached", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{managedCert("old", threeDays, stuck)}
		}, lbrules.SSLCertificateUnattached, []string{"presented by no target HTTPS or SSL proxy; it is Google-managed and PROVISIONING"}},
		{"presented by an SSL proxy: attached", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{managedCert("tls", threeDays, map[string]string{"db.example.com": "ACTIVE"})}
			inv.Compute.TargetSSLProxies = []*compute.TargetSslProxy{{Name: "sp", SelfLink: g("global/targetSslProxies/sp"), SslCertificates: []string{g("global/sslCertificates/tls")}}}
			inv.Compute.ForwardingRules = []*compute.ForwardingRule{frTo("fr", g("global/targetSslProxies/sp"), "34.1.1.2", "443-443")}
		}, lbrules.SSLCertificateUnattached, nil},
		{"SSL proxies unreadable: silent", func(inv *inventory.Inventory) {
			inv.Compute.SSLCertificates = []*compute.SslCertificate{managedCert("tls", threeDays, map[string]string{"db.example.com": "ACTIVE"})}
			failSource(inv, inventory.ComputeTargetSSLProxies, inventory.ProjectScope(testProject))
		}, lbrules.SSLCertificateUnattached, nil},
		{"certificate map and certificates", func(inv *inventory.Inventory) {
			p := httpsProxy("api", "api-cert")
			p.CertificateMap = "//certificatemanager.googleapis.com/projects/acme-test/locations/global/certificateMaps/api"
			inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{p}
		}, lbrules.TargetProxyCertificateMapOverrides, []string{"the map wins, so api-cert is never presented"}},
		{"certificate map alone", func(inv *inventory.Inventory) {
			p := httpsProxy("api")
			p.CertificateMap = "//certificatemanager.googleapis.com/projects/acme-test/locations/global/certificateMaps/api"
			inv.Compute.TargetHTTPSProxies = []*compute.TargetHttpsProxy{p}
		}, lbrules.TargetProxyCertificateMapOverrides, nil},
		{"HTTPS on port 80 only", func(inv *inventory.Inventory) {
			inv.Compute.ForwardingRules = []*compute.ForwardingRule{frTo("https-80", g("global/targetHttpsProxies/p"), "34.1.1.3", "80-80")}
		}, lbrules.HTTPSForwardingRulePort, []string{"Forwarding rule https-80 (34.1.1.3, port 80)"}},
		{"HTTPS on 8443 and 443", func(inv *inventory.Inventory) {
			inv.Compute.ForwardingRules = []*compute.ForwardingRule{frTo("a", g("global/targetHttpsProxies/p"), "34.1.1.3", "8443-8443"),
				frTo("b", g("global/targetHttpsProxies/p"), "34.1.1.3", "443-443")}
		}, lbrules.HTTPSForwardingRulePort, nil},
		{"HTTP proxy on 80", func(inv *inventory.Inventory) {
			inv.Compute.ForwardingRules = []*compute.ForwardingRule{frTo("a", g("global/targetHttpProxies/p"), "34.1.1.3", "80-80")}
		}, lbrules.HTTPSForwardingRulePort, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv := lbProject()
			tc.build(inv)
			expect(t, run(t, inv, tc.rule), tc.want...)
		})
	}
}

// hcBackend is a proxy backend service on an instance group with a named
// port, and its health check.
func hcBackend(protocol string, namedPort int64, hcType string, spec *compute.HTTPHealthCheck) *inventory.Inventory {
	inv := lbProject()
	bs := &compute.BackendService{Name: "web", SelfLink: g("global/backendServices/web"), LoadBalancingScheme: "EXTERNAL_MANAGED", Protocol: protocol, PortName: "http",
		Backends: []*compute.Backend{{Group: g("zones/us-east1-b/instanceGroups/web-ig"), BalancingMode: "RATE"}}, HealthChecks: []string{g("global/healthChecks/web-hc")}}
	hc := &compute.HealthCheck{Name: "web-hc", Type: hcType, SelfLink: g("global/healthChecks/web-hc")}
	switch hcType {
	case "HTTP":
		hc.HttpHealthCheck = spec
	case "TCP":
		hc.TcpHealthCheck = &compute.TCPHealthCheck{Port: spec.Port, PortSpecification: spec.PortSpecification}
	}
	inv.Compute.BackendServices = []*compute.BackendService{bs}
	inv.Compute.HealthChecks = []*compute.HealthCheck{hc}
	inv.Compute.InstanceGroups = []*compute.InstanceGroup{{Name: "web-ig", SelfLink: g("zones/us-east1-b/instanceGroups/web-ig"),
		NamedPorts: []*compute.NamedPort{{Name: "http", Port: namedPort}}}}
	return inv
}

func TestHealthCheckRules(t *testing.T) {
	t.Parallel()
	fixed := func(port int64) *compute.HTTPHealthCheck {
		return &compute.HTTPHealthCheck{Port: port, PortSpecification: "USE_FIXED_PORT", RequestPath: "/healthz"}
	}
	serving := &compute.HTTPHealthCheck{PortSpecification: "USE_SERVING_PORT", RequestPath: "/"}
	tests := []struct {
		name string
		inv  func() *inventory.Inventory
		rule *inspect.Rule
		want []string
	}{
		{"fixed port that the group does not serve", func() *inventory.Inventory { return hcBackend("HTTP", 80, "HTTP", fixed(8080)) },
			lbrules.HealthCheckPortMismatch, []string{`probes fixed port 8080, but instance group web-ig's named port "http" is 80`}},
		{"fixed port that the group serves", func() *inventory.Inventory { return hcBackend("HTTP", 8080, "HTTP", fixed(8080)) },
			lbrules.HealthCheckPortMismatch, nil},
		{"serving port", func() *inventory.Inventory { return hcBackend("HTTP", 80, "HTTP", serving) }, lbrules.HealthCheckPortMismatch, nil},
		{"named port the group lacks", func() *inventory.Inventory {
			return hcBackend("HTTP", 80, "HTTP", &compute.HTTPHealthCheck{PortName: "health", PortSpecification: "USE_NAMED_PORT"})
		}, lbrules.HealthCheckPortMismatch, []string{`instance group web-ig has no named port "health"`}},
		{"a passthrough load balancer has no serving port", func() *inventory.Inventory {
			inv := hcBackend("TCP", 80, "TCP", fixed(5432))
			inv.Compute.BackendServices[0].LoadBalancingScheme = "INTERNAL"
			inv.Compute.BackendServices[0].Region = g("regions/us-east1")
			return inv
		}, lbrules.HealthCheckPortMismatch, nil},
		{"instance groups unreadable", func() *inventory.Inventory {
			inv := hcBackend("HTTP", 80, "HTTP", fixed(8080))
			failSource(inv, inventory.ComputeInstanceGroups, inventory.ProjectScope(testProject))
			return inv
		}, lbrules.HealthCheckPortMismatch, nil},
		{"plain HTTP probe on a TLS port", func() *inventory.Inventory { return hcBackend("HTTPS", 443, "HTTP", serving) },
			lbrules.HealthCheckProtocolMismatch, []string{"it speaks plain text to a port that speaks TLS"}},
		{"plain HTTP probe on another port", func() *inventory.Inventory { return hcBackend("HTTPS", 443, "HTTP", fixed(8081)) },
			lbrules.HealthCheckProtocolMismatch, nil},
		{"TCP probe of a TLS port", func() *inventory.Inventory { return hcBackend("HTTPS", 443, "TCP", serving) },
			lbrules.HealthCheckProtocolMismatch, nil},
		{"unhealthy and no probe logs", func() *inventory.Inventory {
			inv := hcBackend("HTTP", 80, "HTTP", serving)
			inv.Compute.BackendHealth = map[string]map[string]*compute.BackendServiceGroupHealth{g("global/backendServices/web"): {
				g("zones/us-east1-b/instanceGroups/web-ig"): {HealthStatus: []*compute.HealthStatus{{HealthState: "UNHEALTHY"}, {HealthState: "HEALTHY"}}}}}
			return inv
		}, lbrules.HealthCheckLoggingDisabled, []string{"Health check web-hc does not log its probes, and backend service web has unhealthy backends (web-ig (us-east1-b): 1 of 2 healthy)"}},
		{"unhealthy, with probe logs", func() *inventory.Inventory {
			inv := hcBackend("HTTP", 80, "HTTP", serving)
			inv.Compute.HealthChecks[0].LogConfig = &compute.HealthCheckLogConfig{Enable: true}
			inv.Compute.BackendHealth = map[string]map[string]*compute.BackendServiceGroupHealth{g("global/backendServices/web"): {
				g("zones/us-east1-b/instanceGroups/web-ig"): {HealthStatus: []*compute.HealthStatus{{HealthState: "UNHEALTHY"}}}}}
			return inv
		}, lbrules.HealthCheckLoggingDisabled, nil},
		{"health not read", func() *inventory.Inventory { return hcBackend("HTTP", 80, "HTTP", serving) }, lbrules.HealthCheckLoggingDisabled, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expect(t, run(t, tc.inv(), tc.rule), tc.want...)
		})
	}
}

func TestBackendSettingRules(t *testing.T) {
	t.Parallel()
	bs := func(edit func(*compute.BackendService)) func() *inventory.Inventory {
		return func() *inventory.Inventory {
			inv := lbProject()
			b := &compute.BackendService{Name: "web", SelfLink: g("global/backendServices/web"), LoadBalancingScheme: "EXTERNAL_MANAGED", Protocol: "HTTP",
				SessionAffinity: "NONE", TimeoutSec: 30, ConnectionDraining: &compute.ConnectionDraining{DrainingTimeoutSec: 60},
				Backends: []*compute.Backend{{Group: g("zones/us-east1-b/instanceGroups/web-ig"), BalancingMode: "RATE"}}}
			edit(b)
			inv.Compute.BackendServices = []*compute.BackendService{b}
			return inv
		}
	}
	tests := []struct {
		name string
		inv  func() *inventory.Inventory
		rule *inspect.Rule
		want []string
	}{
		{"affinity with UTILIZATION", bs(func(b *compute.BackendService) {
			b.SessionAffinity, b.Backends[0].BalancingMode = "CLIENT_IP", "UTILIZATION"
		}), lbrules.SessionAffinityUtilization, []string{"has session affinity CLIENT_IP, but web-ig (us-east1-b) uses the UTILIZATION balancing mode"}},
		{"affinity with RATE", bs(func(b *compute.BackendService) { b.SessionAffinity = "CLIENT_IP" }), lbrules.SessionAffinityUtilization, nil},
		{"UTILIZATION without affinity", bs(func(b *compute.BackendService) { b.Backends[0].BalancingMode = "UTILIZATION" }), lbrules.SessionAffinityUtilization, nil},
		{"Envoy affinity with ROUND_ROBIN", bs(func(b *compute.BackendService) { b.SessionAffinity = "GENERATED_COOKIE" }),
			lbrules.SessionAffinityLocalityPolicy, []string{"its localityLbPolicy is unset (ROUND_ROBIN): the affinity does not take effect"}},
		{"Envoy affinity with RING_HASH", bs(func(b *compute.BackendService) { b.SessionAffinity, b.LocalityLbPolicy = "HTTP_COOKIE", "RING_HASH" }),
			lbrules.SessionAffinityLocalityPolicy, nil},
		{"classic affinity: the policy does not apply", bs(func(b *compute.BackendService) {
			b.SessionAffinity, b.LoadBalancingScheme = "GENERATED_COOKIE", "EXTERNAL"
		}),
			lbrules.SessionAffinityLocalityPolicy, nil},
		{"instance groups without draining", bs(func(b *compute.BackendService) { b.ConnectionDraining = nil }),
			lbrules.ConnectionDrainingDisabled, []string{"has connectionDraining.drainingTimeoutSec 0 and instance-group backends (web-ig)"}},
		{"NEGs without draining: neg-drain-timeout-unset's case", bs(func(b *compute.BackendService) {
			b.ConnectionDraining, b.Backends[0].Group = nil, g("zones/us-east1-b/networkEndpointGroups/web-neg")
		}), lbrules.ConnectionDrainingDisabled, nil},
		{"passthrough without draining", bs(func(b *compute.BackendService) {
			b.ConnectionDraining, b.LoadBalancingScheme, b.Protocol, b.Region = nil, "INTERNAL", "TCP", g("regions/us-east1")
		}), lbrules.ConnectionDrainingDisabled, nil},
		{"two days of timeout", bs(func(b *compute.BackendService) { b.TimeoutSec = 172800 }), lbrules.BackendTimeoutTooLong, []string{"has timeoutSec 172800"}},
		{"a day of timeout", bs(func(b *compute.BackendService) { b.TimeoutSec = 86400 }), lbrules.BackendTimeoutTooLong, nil},
		{"internal, two days", bs(func(b *compute.BackendService) { b.TimeoutSec, b.LoadBalancingScheme = 172800, "INTERNAL_MANAGED" }), lbrules.BackendTimeoutTooLong, nil},
		{"backend services unreadable", func() *inventory.Inventory {
			inv := bs(func(b *compute.BackendService) { b.TimeoutSec = 172800 })()
			failSource(inv, inventory.ComputeBackendServices, inventory.ProjectScope(testProject))
			return inv
		}, lbrules.BackendTimeoutTooLong, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expect(t, run(t, tc.inv(), tc.rule), tc.want...)
		})
	}
}

func TestInstanceGroupDuplicateNamedPort(t *testing.T) {
	t.Parallel()
	inv := lbProject()
	inv.Compute.InstanceGroups = []*compute.InstanceGroup{
		{Name: "twice", SelfLink: g("zones/europe-west4-a/instanceGroups/twice"), NamedPorts: []*compute.NamedPort{{Name: "http", Port: 8443}, {Name: "http", Port: 8080}}},
		{Name: "distinct", SelfLink: g("zones/europe-west4-a/instanceGroups/distinct"), NamedPorts: []*compute.NamedPort{{Name: "http", Port: 8080}, {Name: "https", Port: 8443}}},
	}
	got := run(t, inv, lbrules.InstanceGroupDuplicateNamedPort)
	expect(t, got, `Instance group twice defines named port "http" on ports 8080 and 8443`)
	if !strings.Contains(got[0].Remediation, "--named-ports=http:8443 --zone europe-west4-a") {
		t.Errorf("remediation %q", got[0].Remediation)
	}
}

// l4Cluster is a cluster with one LoadBalancer Service.
func l4Cluster(ip string, created time.Time, internal bool) (*inventory.Inventory, *inventory.Cluster) {
	cl := gkeCluster("edge", "us-east1-b", testProject, "vpc", "nodes")
	svc := service("pay", "gateway", nil, corev1.ServicePort{Name: "https", Port: 443, TargetPort: intstr.FromInt(8443), NodePort: 31443})
	svc.Spec.Type = corev1.ServiceTypeLoadBalancer
	svc.CreationTimestamp = metav1.NewTime(created)
	if internal {
		svc.Annotations = map[string]string{"networking.gke.io/load-balancer-type": "Internal"}
	}
	if ip != "" {
		svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
	}
	cl.Services = []corev1.Service{svc}
	inv := newInventory(cl)
	inv.CollectedAt = testNow
	return inv, cl
}

func TestL4Rules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		build func() *inventory.Inventory
		rule  *inspect.Rule
		want  []string
	}{
		{"pending for an hour", func() *inventory.Inventory {
			inv, _ := l4Cluster("", testNow.Add(-time.Hour), true)
			return inv
		}, lbrules.L4ServicePending, []string{"LoadBalancer Service pay/gateway (internal) has had no address for 1h0m0s"}},
		{"pending for two minutes", func() *inventory.Inventory {
			inv, _ := l4Cluster("", testNow.Add(-2*time.Minute), true)
			return inv
		}, lbrules.L4ServicePending, nil},
		{"another controller's class", func() *inventory.Inventory {
			inv, cl := l4Cluster("", testNow.Add(-time.Hour), false)
			cl.Services[0].Spec.LoadBalancerClass = ptr("example.com/metallb")
			return inv
		}, lbrules.L4ServicePending, nil},
		{"an address no forwarding rule has", func() *inventory.Inventory {
			inv, _ := l4Cluster("34.75.1.9", testNow.Add(-time.Hour), false)
			return inv
		}, lbrules.L4ForwardingRuleMissing, []string{"has address 34.75.1.9, but no forwarding rule of project acme-test has it"}},
		{"its forwarding rule exists", func() *inventory.Inventory {
			inv, _ := l4Cluster("34.75.1.9", testNow.Add(-time.Hour), false)
			inv.Compute.ForwardingRules = []*compute.ForwardingRule{{Name: "a0123", IPAddress: "34.75.1.9", SelfLink: g("regions/us-east1/forwardingRules/a0123")}}
			return inv
		}, lbrules.L4ForwardingRuleMissing, nil},
		{"forwarding rules unreadable", func() *inventory.Inventory {
			inv, _ := l4Cluster("34.75.1.9", testNow.Add(-time.Hour), false)
			failSource(inv, inventory.ComputeForwardingRules, inventory.ProjectScope(testProject))
			return inv
		}, lbrules.L4ForwardingRuleMissing, nil},
		{"Services unreadable", func() *inventory.Inventory {
			inv, cl := l4Cluster("34.75.1.9", testNow.Add(-time.Hour), false)
			failSource(inv, inventory.KubeServices, cl.Scope())
			return inv
		}, lbrules.L4ForwardingRuleMissing, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expect(t, run(t, tc.build(), tc.rule), tc.want...)
		})
	}
}

func TestL4HealthCheckFirewall(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		etp      corev1.ServiceExternalTrafficPolicy
		internal bool
		allow    []string
		want     []string
	}{
		{"Local, its node port blocked", corev1.ServiceExternalTrafficPolicyLocal, false, []string{"10256"},
			[]string{"probes the nodes on spec.healthCheckNodePort 32111 (externalTrafficPolicy Local), but 209.85.152.0/22 and 209.85.204.0/22 and 35.191.0.0/16 cannot reach it"}},
		{"Local, allowed", corev1.ServiceExternalTrafficPolicyLocal, false, []string{"32111"}, nil},
		{"Cluster, kube-proxy's port blocked", corev1.ServiceExternalTrafficPolicyCluster, true, []string{"32111"},
			[]string{"probes the nodes on port 10256, kube-proxy's health server (externalTrafficPolicy Cluster), but 130.211.0.0/22 and 35.191.0.0/16 cannot reach it"}},
		{"Cluster, allowed", corev1.ServiceExternalTrafficPolicyCluster, true, []string{"10256"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv, cl := firewallSetup("gce", 8080, fw("allow-hc", 1000, "35.191.0.0/16,130.211.0.0/22,209.85.152.0/22,209.85.204.0/22", tc.allow...))
			svc := service("pay", "gateway", nil, corev1.ServicePort{Name: "https", Port: 443, TargetPort: intstr.FromInt(8443), NodePort: 31443})
			svc.Spec.Type, svc.Spec.ExternalTrafficPolicy, svc.Spec.HealthCheckNodePort = corev1.ServiceTypeLoadBalancer, tc.etp, 32111
			if tc.internal {
				svc.Annotations = map[string]string{"networking.gke.io/load-balancer-type": "Internal"}
			}
			svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "10.60.0.50"}}
			cl.Services = append(cl.Services, svc)
			expect(t, run(t, inv, netrules.L4HealthCheckFirewallMissing), tc.want...)
		})
	}
}

func TestQuotaAndAddressRules(t *testing.T) {
	t.Parallel()
	inv := lbProject()
	inv.Compute.Project = &compute.Project{Name: testProject, Quotas: []*compute.Quota{
		{Metric: "FORWARDING_RULES", Usage: 12, Limit: 15}, {Metric: "BACKEND_SERVICES", Usage: 75, Limit: 75},
		{Metric: "URL_MAPS", Usage: 5, Limit: 75}, {Metric: "CPUS_ALL_REGIONS", Usage: 32, Limit: 32}, {Metric: "SSL_POLICIES", Usage: 0, Limit: 0}}}
	inv.Compute.Regions = []*compute.Region{
		{Name: "us-east1", Quotas: []*compute.Quota{{Metric: "IN_USE_ADDRESSES", Usage: 8, Limit: 8}}},
		// Exhausted, but nothing of the project is there.
		{Name: "asia-east1", Quotas: []*compute.Quota{{Metric: "IN_USE_ADDRESSES", Usage: 8, Limit: 8}}}}
	inv.Compute.Addresses = []*compute.Address{address("spare", "us-east1", "RESERVED"), address("vip", "", "IN_USE", g("global/forwardingRules/fr")),
		address("asked-for", "us-east1", "RESERVED")}
	peering := address("google-managed-services", "", "RESERVED")
	peering.Purpose, peering.AddressType = "VPC_PEERING", "INTERNAL"
	inv.Compute.Addresses = append(inv.Compute.Addresses, peering)
	got := run(t, inv, netrules.QuotaLimit)
	expect(t, got, "Quota BACKEND_SERVICES of project acme-test is exhausted: 75 of 75 used (100 %)",
		"Quota IN_USE_ADDRESSES of region us-east1 is exhausted: 8 of 8 used (100 %)",
		"Quota FORWARDING_RULES of project acme-test is nearly exhausted: 12 of 15 used (80 %)")
	if got[0].Severity != inspect.Error || got[2].Severity != inspect.Warning || !strings.Contains(got[2].Remediation, "compute.googleapis.com/forwarding_rules") {
		t.Errorf("severities %v %v, remediation %q", got[0].Severity, got[2].Severity, got[2].Remediation)
	}

	// An address a Service asks for is not unused.
	cl := gkeCluster("edge", "us-east1-b", testProject, "vpc", "nodes")
	svc := service("pay", "edge", nil)
	svc.Spec.Type, svc.Spec.LoadBalancerIP = corev1.ServiceTypeLoadBalancer, "34.1.2.3"
	withCluster := newInventory(cl)
	withCluster.Compute = inv.Compute
	expect(t, run(t, inv, netrules.AddressUnused), "Reserved external address asked-for (34.1.2.3, us-east1) is used by nothing", "Reserved external address spare")
	cl.Services = []corev1.Service{svc}
	expect(t, run(t, withCluster, netrules.AddressUnused))
	// ...and a cluster whose Services could not be read may ask for any.
	cl.Services = nil
	failSource(withCluster, inventory.KubeServices, cl.Scope())
	expect(t, run(t, withCluster, netrules.AddressUnused))
}

func TestL4SyncError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		msg, cause string
	}{
		{`Error syncing load balancer: failed to ensure load balancer: requested ip "34.118.9.20" is neither static nor assigned to the LB`, "loadBalancerIP not reserved or in use"},
		{"Error syncing load balancer: failed to ensure load balancer: googleapi: Error 404: The resource 'projects/p/regions/us-east1/subnetworks/ilb' was not found, notFound", "subnet not found"},
		{"Error syncing load balancer: failed to ensure load balancer: googleapi: Error 403: Quota 'FORWARDING_RULES' exceeded.  Limit: 15.0 globally., quotaExceeded", "quota exhausted"},
		{"Error syncing load balancer: googleapi: Error 412: Constraint constraints/compute.restrictLoadBalancerCreationForTypes violated for projects/p.", "organization policy forbids this load balancer type"},
		{"Error syncing load balancer: googleapi: Error 400: Exceeded limit 'INTERNAL_FORWARDING_RULES_WITH_TARGET_INSTANCE' on resource 'vpc'", "internal forwarding-rule limit"},
		{"Error syncing load balancer: googleapi: Error 400: Invalid value for field 'resource.ipVersion': 'IPV6'. Subnetwork 'nodes' does not have an IPv6 range., invalid", "dual-stack Service without an IPv6 range"},
		{"Error syncing load balancer: googleapi: Error 400: Invalid value for field 'resource.subnetwork': 'proxy'. The subnetwork purpose must be PRIVATE, got REGIONAL_MANAGED_PROXY., invalid", "subnet of the wrong purpose"},
		{"Error syncing load balancer: something new", "unknown"},
	} {
		t.Run(tc.cause, func(t *testing.T) {
			t.Parallel()
			inv, cl := l4Cluster("34.75.1.20", testNow.Add(-time.Hour), false)
			cl.Events = []corev1.Event{{ObjectMeta: metav1.ObjectMeta{Namespace: "pay", Name: "gateway.1"}, Type: "Warning", Reason: "SyncLoadBalancerFailed",
				Message: tc.msg, Source: corev1.EventSource{Component: "service-controller"}, Count: 3, LastTimestamp: metav1.NewTime(testNow.Add(-time.Minute)),
				InvolvedObject: corev1.ObjectReference{Kind: "Service", Namespace: "pay", Name: "gateway"}}}
			got := run(t, inv, evrules.L4SyncError)
			expect(t, got, "Warning SyncLoadBalancerFailed from service-controller (3×")
			if got[0].Evidence["cause"] != tc.cause {
				t.Errorf("cause %v, want %s", got[0].Evidence["cause"], tc.cause)
			}
		})
	}
}

func TestManagedCertificateRules(t *testing.T) {
	t.Parallel()
	mc := func(name, status string, created time.Time, domains ...string) inventory.ManagedCertificate {
		var m inventory.ManagedCertificate
		m.Namespace, m.Name, m.CreationTimestamp = "shop", name, metav1.NewTime(created)
		m.Status.CertificateStatus = status
		for _, d := range domains {
			dom, st, _ := strings.Cut(d, "=")
			m.Status.DomainStatus = append(m.Status.DomainStatus, struct {
				Domain string `json:"domain"`
				Status string `json:"status"`
			}{dom, st})
		}
		return m
	}
	setup := func(annotation string, mcs ...inventory.ManagedCertificate) (*inventory.Inventory, *inventory.Cluster) {
		cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
		cl.Services = []corev1.Service{service("shop", "web", nil)}
		ing := newIngress("shop", "site", "", "web")
		if annotation != "" {
			ing.Annotations[gke.AnnManagedCerts] = annotation
		}
		ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "34.117.80.41"}}
		cl.Ingresses = []networkingv1.Ingress{ing}
		cl.ManagedCertificates = mcs
		inv := newInventory(cl)
		inv.CollectedAt = testNow
		return inv, cl
	}
	old := testNow.Add(-10 * 24 * time.Hour)
	t.Run("missing, with a near name", func(t *testing.T) {
		t.Parallel()
		inv, _ := setup("shop-crt", mc("shop-cert", "Active", old))
		got := run(t, inv, ingrules.ManagedCertificateMissing)
		expect(t, got, `names ManagedCertificate "shop-crt", which does not exist in namespace shop`)
		if !strings.Contains(got[0].Remediation, "kind: ManagedCertificate\nmetadata:\n  name: shop-crt\n  namespace: shop\nspec:\n  domains:\n  - example.com") {
			t.Errorf("remediation %q", got[0].Remediation)
		}
	})
	t.Run("present", func(t *testing.T) {
		t.Parallel()
		inv, _ := setup("shop-cert", mc("shop-cert", "Active", old))
		expect(t, run(t, inv, ingrules.ManagedCertificateMissing))
	})
	t.Run("ManagedCertificates unreadable", func(t *testing.T) {
		t.Parallel()
		inv, cl := setup("shop-crt")
		failSource(inv, inventory.KubeManagedCertificates, cl.Scope())
		expect(t, run(t, inv, ingrules.ManagedCertificateMissing))
	})
	t.Run("stuck, used", func(t *testing.T) {
		t.Parallel()
		inv, _ := setup("shop-cert", mc("shop-cert", "Provisioning", old, "shop.example.com=FailedNotVisible"))
		got := run(t, inv, ingrules.ManagedCertificateNotActive)
		expect(t, got, "ManagedCertificate shop/shop-cert (used by Ingress shop/site) is Provisioning after 10 days: shop.example.com: FailedNotVisible")
		if got[0].Severity != inspect.Error || !strings.Contains(got[0].Remediation, "A/AAAA records to 34.117.80.41") {
			t.Errorf("%v %q", got[0].Severity, got[0].Remediation)
		}
	})
	t.Run("stuck, unused: a warning", func(t *testing.T) {
		t.Parallel()
		inv, _ := setup("", mc("shop-cert", "Provisioning", old, "shop.example.com=FailedNotVisible"))
		got := run(t, inv, ingrules.ManagedCertificateNotActive)
		expect(t, got, "used by no Ingress")
		if got[0].Severity != inspect.Warning {
			t.Errorf("severity %v", got[0].Severity)
		}
	})
	t.Run("provisioning for an hour", func(t *testing.T) {
		t.Parallel()
		inv, _ := setup("shop-cert", mc("shop-cert", "Provisioning", testNow.Add(-time.Hour), "shop.example.com=Provisioning"))
		expect(t, run(t, inv, ingrules.ManagedCertificateNotActive))
	})
}

func TestPreSharedCertMissing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		class, annotation string
		want              []string
	}{
		{"", "wildcard, legacy", []string{`names SslCertificate "legacy", which project acme-test does not have in scope global (class gce)`}},
		{"", "wildcard", nil},
		{"gce-internal", "wildcard", []string{"a certificate of that name exists in global, the wrong scope for this class"}},
		{"gce-internal", "regional", nil},
	} {
		t.Run(fmt.Sprint(tc.class, tc.annotation), func(t *testing.T) {
			t.Parallel()
			cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
			ing := newIngress("shop", "site", tc.class, "web")
			ing.Annotations[gke.AnnPreSharedCert] = tc.annotation
			cl.Ingresses = []networkingv1.Ingress{ing}
			inv := newInventory(cl)
			inv.Compute.SSLCertificates = []*compute.SslCertificate{{Name: "wildcard", SelfLink: g("global/sslCertificates/wildcard")},
				{Name: "regional", SelfLink: g("regions/europe-west1/sslCertificates/regional"), Region: g("regions/europe-west1")}}
			expect(t, run(t, inv, ingrules.PreSharedCertMissing), tc.want...)
		})
	}
}

func TestInternalForwardingRuleGlobalAccess(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		global bool
		region string
		want   []string
	}{
		{"a client in another region", false, "us-west1-a", []string{"does not allow global access, but Service reports/db in cluster us-west1-a/analytics (region us-west1) sends to it"}},
		{"global access", true, "us-west1-a", nil},
		{"a client in the same region", false, "us-east1-c", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := gkeCluster("analytics", tc.region, testProject, "vpc", "nodes")
			var es = newSlice("reports", "db", "10.60.1.10")
			cl.EndpointSlices = append(cl.EndpointSlices, es)
			inv := newInventory(cl)
			inv.Compute.ForwardingRules = []*compute.ForwardingRule{{Name: "db-ilb", IPAddress: "10.60.1.10", LoadBalancingScheme: "INTERNAL", AllowGlobalAccess: tc.global,
				Region: g("regions/us-east1"), Network: g("global/networks/vpc"), SelfLink: g("regions/us-east1/forwardingRules/db-ilb")}}
			expect(t, run(t, inv, lbrules.InternalForwardingRuleGlobalAccess), tc.want...)
		})
	}
}

// newSlice is an EndpointSlice of a selector-less Service with one address.
func newSlice(ns, svc, ip string) discoveryv1.EndpointSlice {
	es := discoveryv1.EndpointSlice{AddressType: discoveryv1.AddressTypeIPv4, Endpoints: []discoveryv1.Endpoint{{Addresses: []string{ip}}}}
	es.Namespace, es.Name = ns, svc+"-manual"
	es.Labels = map[string]string{"kubernetes.io/service-name": svc}
	return es
}
