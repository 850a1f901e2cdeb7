package trace

import (
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

const (
	webNEG = "k8s1-0123abcd-shop-web-80-9f8e7d6c"
	ksUID  = "5b0f7c1e-2d3a-4e8f-9a6b-1c2d3e4f5a6b"
)

var g = ruletest.G

// world is a project as a trace reads it: a global external Application
// Load Balancer at 34.9.9.9 (HTTPS, one certificate), an Ingress-rendered
// map sending shop.example.com to the NEGs of Service shop/web in cluster
// prod, each NEG with one HEALTHY endpoint, and the Service's two ready
// Pods. The collections read by name are partial, as a live trace leaves
// them.
func world() *inventory.Inventory {
	cl := ruletest.ProdCluster()
	cl.KubeSystemUID = ksUID
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", nil)}
	ready := true
	es := discoveryv1.EndpointSlice{AddressType: discoveryv1.AddressTypeIPv4, Endpoints: []discoveryv1.Endpoint{
		{Addresses: []string{"10.20.0.5"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}},
		{Addresses: []string{"10.20.1.5"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}}}
	es.Namespace, es.Name, es.Labels = "shop", "web-x7k2p", map[string]string{discoveryv1.LabelServiceName: "web"}
	cl.EndpointSlices = []discoveryv1.EndpointSlice{es}
	dep := appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}
	dep.Spec.Template.Labels = map[string]string{"app": "web"}
	cl.Deployments = []appsv1.Deployment{dep}
	ing := ruletest.Ingress("shop", "site", "", "web")
	ing.Spec.Rules[0].Host = "shop.example.com"
	ing.Spec.Rules[0].HTTP.Paths[0].Path = "/"
	ing.Annotations["ingress.kubernetes.io/url-map"] = "k8s2-um-site"
	cl.Ingresses = append(cl.Ingresses, ing)

	inv := ruletest.Inventory(cl)
	inv.CollectedAt = ruletest.Now
	inv.Partial = true
	c := &inv.Compute
	c.ForwardingRules = []*compute.ForwardingRule{ruletest.ForwardingRuleTo("k8s2-fs-site", g("global/targetHttpsProxies/k8s2-ts-site"), "34.9.9.9", "443-443")}
	c.ForwardingRules[0].IPProtocol = "TCP"
	px := ruletest.HTTPSProxy("k8s2-ts-site", "shop-cert")
	px.UrlMap = g("global/urlMaps/k8s2-um-site")
	c.TargetHTTPSProxies = []*compute.TargetHttpsProxy{px}
	c.SSLCertificates = []*compute.SslCertificate{{Name: "shop-cert", Type: "SELF_MANAGED", SelfLink: g("global/sslCertificates/shop-cert"),
		SubjectAlternativeNames: []string{"shop.example.com", "*.shop.example.com"}, ExpireTime: "2027-03-01T00:00:00.000-08:00"}}
	bs := g("global/backendServices/" + webNEG)
	c.URLMaps = []*compute.UrlMap{{Name: "k8s2-um-site", SelfLink: g("global/urlMaps/k8s2-um-site"), DefaultService: bs,
		HostRules:    []*compute.HostRule{{Hosts: []string{"shop.example.com"}, PathMatcher: "host1"}},
		PathMatchers: []*compute.PathMatcher{{Name: "host1", DefaultService: bs, PathRules: []*compute.PathRule{{Paths: []string{"/*"}, Service: bs}}}}}}
	var backends []*compute.Backend
	c.BackendHealth = map[string]map[string]*compute.BackendServiceGroupHealth{bs: {}}
	for i, z := range []string{"europe-west1-b", "europe-west1-c"} {
		group := g("zones/" + z + "/networkEndpointGroups/" + webNEG)
		backends = append(backends, &compute.Backend{Group: group})
		c.NEGs = append(c.NEGs, &compute.NetworkEndpointGroup{Name: webNEG, SelfLink: group, NetworkEndpointType: "GCE_VM_IP_PORT",
			Description: `{"cluster-uid":"` + ksUID + `","namespace":"shop","service-name":"web","port":"80"}`})
		c.BackendHealth[bs][group] = &compute.BackendServiceGroupHealth{HealthStatus: []*compute.HealthStatus{
			{IpAddress: []string{"10.20.0.5", "10.20.1.5"}[i], Port: 8080, HealthState: "HEALTHY"}}}
	}
	c.BackendServices = []*compute.BackendService{{Name: webNEG, SelfLink: bs, Protocol: "HTTP", TimeoutSec: 30, LoadBalancingScheme: "EXTERNAL_MANAGED",
		Backends: backends, Description: `{"kubernetes.io/service-name":"shop/web","kubernetes.io/service-port":"80","x-features":["NEG"]}`}}
	for _, s := range []inventory.Source{inventory.ComputeBackendServices, inventory.ComputeNEGs, inventory.ComputeURLMaps, inventory.ComputeTargetHTTPSProxies, inventory.ComputeSSLCertificates} {
		partial(inv, s)
	}
	return inv
}

// partial marks a source as read by name, each object it holds read.
func partial(inv *inventory.Inventory, s inventory.Source) {
	cov := inventory.CoverageSet{}
	for _, c := range inv.Coverage {
		if c.Source == s && c.Scope == inventory.ProjectScope(ruletest.Project) {
			c.Status = inventory.StatusPartial
		}
		cov = append(cov, c)
	}
	inv.Coverage = cov
	for _, link := range selfLinks(inv, s) {
		inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: s, Scope: inventory.RelativeName(link), Status: inventory.StatusOK})
	}
}

func selfLinks(inv *inventory.Inventory, s inventory.Source) []string {
	var out []string
	c := &inv.Compute
	switch s {
	case inventory.ComputeBackendServices:
		for _, o := range c.BackendServices {
			out = append(out, o.SelfLink)
		}
	case inventory.ComputeNEGs:
		for _, o := range c.NEGs {
			out = append(out, o.SelfLink)
		}
	case inventory.ComputeURLMaps:
		for _, o := range c.URLMaps {
			out = append(out, o.SelfLink)
		}
	case inventory.ComputeTargetHTTPSProxies:
		for _, o := range c.TargetHTTPSProxies {
			out = append(out, o.SelfLink)
		}
	case inventory.ComputeSSLCertificates:
		for _, o := range c.SSLCertificates {
			out = append(out, o.SelfLink)
		}
	}
	return out
}

func mustRequest(t *testing.T, raw string, headers ...string) Request {
	t.Helper()
	r, err := ParseRequest(raw, "GET", headers)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func hopOf(t *testing.T, c Candidate, kind string) Hop {
	t.Helper()
	for _, h := range c.Hops {
		if h.Kind == kind {
			return h
		}
	}
	t.Fatalf("no %s hop: %+v", kind, c.Hops)
	return Hop{}
}

func kinds(c Candidate) string {
	var out []string
	for _, h := range c.Hops {
		out = append(out, h.Kind+" "+h.Verdict)
	}
	return strings.Join(out, ", ")
}

// TestTraceHops judges the hops of the world, and each way one can break
// or be unknown.
func TestTraceHops(t *testing.T) {
	cases := []struct {
		name string
		url  string
		edit func(inv *inventory.Inventory)
		// hop is the hop checked, with its verdict and a part of its
		// reason.
		hop, verdict, reason string
		exit                 int
		answer               string
	}{
		{name: "healthy", url: "https://shop.example.com/cart", hop: "Service", verdict: OK, reason: "port 80: 2 ready endpoints (10.20.0.5, 10.20.1.5)",
			exit: ExitReached, answer: "would reach 2 healthy endpoints of shop/web:80"},
		{name: "the Ingress path the rule came from", url: "https://shop.example.com/cart", hop: "Ingress", verdict: OK,
			reason: "the Ingress rule for host shop.example.com, path / (pathType Prefix, rendered as /*): Service web port 80", exit: ExitReached},
		{name: "a wildcard certificate covers a subdomain", url: "https://www.shop.example.com/", hop: "SslCertificate", verdict: OK, reason: "covers www.shop.example.com",
			edit: func(inv *inventory.Inventory) {
				inv.Compute.URLMaps[0].HostRules[0].Hosts = append(inv.Compute.URLMaps[0].HostRules[0].Hosts, "*.shop.example.com")
			}, exit: ExitReached},
		{name: "no certificate covers the host", url: "https://shop.example.org/", hop: "SslCertificate", verdict: Error,
			reason: "no certificate of proxy k8s2-ts-site covers shop.example.org: clients get shop-cert (shop.example.com, *.shop.example.com) and fail TLS with a name mismatch",
			exit:   ExitBroken, answer: "would fail at SslCertificate shop-cert: no certificate"},
		{name: "an expired certificate", url: "https://shop.example.com/", hop: "SslCertificate", verdict: Error, reason: "expired on 2026-01-01",
			edit: func(inv *inventory.Inventory) {
				inv.Compute.SSLCertificates[0].ExpireTime = "2026-01-01T00:00:00.000-08:00"
			}, exit: ExitBroken},
		{name: "a managed certificate still provisioning", url: "https://shop.example.com/", hop: "SslCertificate", verdict: Error,
			reason: "managed certificate shop-cert is PROVISIONING (domain shop.example.com: FAILED_NOT_VISIBLE)",
			edit: func(inv *inventory.Inventory) {
				c := inv.Compute.SSLCertificates[0]
				c.Type, c.SubjectAlternativeNames, c.ExpireTime = "MANAGED", nil, ""
				c.Managed = &compute.SslCertificateManagedSslCertificate{Status: "PROVISIONING", Domains: []string{"shop.example.com"},
					DomainStatus: map[string]string{"shop.example.com": "FAILED_NOT_VISIBLE"}}
			}, exit: ExitBroken},
		{name: "a certificate map is not inspected", url: "https://shop.example.com/", hop: "CertificateMap", verdict: Unknown, reason: "not inspected",
			edit: func(inv *inventory.Inventory) {
				inv.Compute.TargetHTTPSProxies[0].CertificateMap = "//certificatemanager.googleapis.com/projects/acme-test/locations/global/certificateMaps/shop"
			}, exit: ExitUnknown},
		{name: "the backend service does not exist (a get said 404)", url: "https://shop.example.com/", hop: "BackendService", verdict: Error,
			reason: "backend service projects/acme-test/global/backendServices/" + webNEG + " does not exist",
			edit:   func(inv *inventory.Inventory) { inv.Compute.BackendServices = nil }, exit: ExitBroken},
		{name: "the backend service could not be read", url: "https://shop.example.com/", hop: "BackendService", verdict: Unknown,
			reason: "could not be read: googleapi: Error 403",
			edit: func(inv *inventory.Inventory) {
				inv.Compute.BackendServices = nil
				for i := range inv.Coverage {
					if c := &inv.Coverage[i]; c.Source == inventory.ComputeBackendServices && c.Scope != inventory.ProjectScope(ruletest.Project) {
						c.Status, c.Error = inventory.StatusError, "googleapi: Error 403: Required 'compute.backendServices.get' permission, forbidden"
					}
				}
			}, exit: ExitUnknown, answer: "could not tell: BackendService"},
		{name: "no healthy endpoint", url: "https://shop.example.com/", hop: "BackendService", verdict: Error,
			reason: "no healthy endpoint in any of its 2 groups (2 endpoints): the load balancer answers 503 (failed_to_pick_backend)",
			edit: func(inv *inventory.Inventory) {
				for _, h := range inv.Compute.BackendHealth[g("global/backendServices/"+webNEG)] {
					h.HealthStatus[0].HealthState = "UNHEALTHY"
				}
			}, exit: ExitBroken, answer: "would get 503 (failed_to_pick_backend): 0 of 2 endpoints healthy in backend service " + webNEG + " (shop/web:80)"},
		{name: "the classic load balancer answers 502", url: "https://shop.example.com/", hop: "BackendService", verdict: Error, reason: "answers 502",
			edit: func(inv *inventory.Inventory) {
				inv.Compute.ForwardingRules[0].LoadBalancingScheme = "EXTERNAL"
				for _, h := range inv.Compute.BackendHealth[g("global/backendServices/"+webNEG)] {
					h.HealthStatus[0].HealthState = "UNHEALTHY"
				}
			}, exit: ExitBroken, answer: "would get 502 (failed_to_pick_backend)"},
		{name: "health not read is unknown, never healthy", url: "https://shop.example.com/", hop: "NetworkEndpointGroup", verdict: Unknown, reason: "europe-west1-b: its health was not read",
			edit: func(inv *inventory.Inventory) { inv.Compute.BackendHealth = nil }, exit: ExitUnknown},
		{name: "no ready Pod", url: "https://shop.example.com/", hop: "Service", verdict: Error, reason: "0 ready endpoints: no Pod the Service selects is Ready",
			edit: func(inv *inventory.Inventory) { inv.Clusters[0].EndpointSlices = nil }, exit: ExitBroken},
		{name: "a healthy NEG endpoint with no Pod behind it", url: "https://shop.example.com/", hop: "Service", verdict: Error,
			reason: "NEG endpoint 10.20.1.5:8080 is HEALTHY but no Pod of the Service has its address",
			edit: func(inv *inventory.Inventory) {
				inv.Clusters[0].EndpointSlices[0].Endpoints = inv.Clusters[0].EndpointSlices[0].Endpoints[:1]
			}, exit: ExitBroken},
		{name: "a Ready Pod the health check fails", url: "https://shop.example.com/", hop: "Service", verdict: Warning,
			reason: "10.20.1.5:8080 is Ready in Kubernetes but not HEALTHY to the load balancer's health check",
			edit: func(inv *inventory.Inventory) {
				inv.Compute.BackendHealth[g("global/backendServices/"+webNEG)][g("zones/europe-west1-c/networkEndpointGroups/"+webNEG)].HealthStatus[0].HealthState = "UNHEALTHY"
			}, exit: ExitReached, answer: "would reach 1 of 2 endpoints of shop/web:80 (the healthy ones)"},
		{name: "the Service is gone", url: "https://shop.example.com/", hop: "Service", verdict: Error, reason: "the Service does not exist in cluster europe-west1/prod",
			edit: func(inv *inventory.Inventory) { inv.Clusters[0].Services = nil }, exit: ExitBroken},
		{name: "the cluster could not be read", url: "https://shop.example.com/", hop: "Service", verdict: Unknown, reason: "its cluster could not be read (europe-west1/prod)",
			edit: func(inv *inventory.Inventory) {
				ruletest.FailSource(inv, inventory.KubeServices, inv.Clusters[0].Scope())
				inv.Clusters[0].KubeSystemUID = ""
			}, exit: ExitUnknown},
		{name: "a serverless NEG is not inspected", url: "https://shop.example.com/", hop: "NetworkEndpointGroup", verdict: Unknown,
			reason: "serverless NEG " + webNEG + " (Cloud Run service cart): not inspected",
			edit: func(inv *inventory.Inventory) {
				for _, n := range inv.Compute.NEGs {
					n.NetworkEndpointType, n.CloudRun, n.Description = "SERVERLESS", &compute.NetworkEndpointGroupCloudRun{Service: "cart"}, ""
				}
			}, exit: ExitUnknown},
		{name: "a backend bucket", url: "https://shop.example.com/static/app.js", hop: "BackendBucket", verdict: OK, reason: "Cloud Storage bucket gs://acme-static, Cloud CDN on",
			edit: func(inv *inventory.Inventory) {
				pm := inv.Compute.URLMaps[0].PathMatchers[0]
				pm.PathRules = append(pm.PathRules, &compute.PathRule{Paths: []string{"/static/*"}, Service: g("global/backendBuckets/static")})
				inv.Compute.BackendBuckets = []*compute.BackendBucket{{Name: "static", BucketName: "acme-static", EnableCdn: true, SelfLink: g("global/backendBuckets/static")}}
			}, exit: ExitReached, answer: "would be served from backend bucket static"},
		{name: "an Ingress default backend answers 404", url: "https://shop.example.com/", hop: "Ingress", verdict: OK,
			reason: "no rule of the Ingress names host 34.9.9.9: GKE's default backend kube-system/default-http-backend, which answers 404",
			edit:   func(inv *inventory.Inventory) {}, exit: ExitReached},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := world()
			if tc.edit != nil {
				tc.edit(inv)
			}
			url := tc.url
			ip := ""
			if tc.name == "an Ingress default backend answers 404" {
				url, ip = "https://34.9.9.9/", "34.9.9.9"
			}
			res := Trace(Input{Inventory: inv, Request: mustRequest(t, url), IP: ip, Addresses: []string{"34.9.9.9"}})
			if len(res.Candidates) != 1 {
				t.Fatalf("candidates: %+v (%s)", res.Candidates, res.Answer)
			}
			h := hopOf(t, res.Candidates[0], tc.hop)
			if h.Verdict != tc.verdict || !strings.Contains(h.Reason, tc.reason) {
				t.Errorf("%s hop: %s %q\nwant %s containing %q\nhops: %s", tc.hop, h.Verdict, h.Reason, tc.verdict, tc.reason, kinds(res.Candidates[0]))
			}
			if res.ExitCode != tc.exit {
				t.Errorf("exit %d, want %d (%s)", res.ExitCode, tc.exit, kinds(res.Candidates[0]))
			}
			if tc.answer != "" && !strings.HasPrefix(res.Answer, tc.answer) {
				t.Errorf("answer %q\nwant %q", res.Answer, tc.answer)
			}
		})
	}
}

// TestTraceFindingsOnHops: every finding on a hop's resource shows on the
// hop and lowers its verdict; the answer still says where the request
// goes, and names the problem.
func TestTraceFindingsOnHops(t *testing.T) {
	inv := world()
	bs := inv.Compute.BackendServices[0]
	fs := []inspect.Finding{
		{Rule: "neg-drain-timeout-unset", Severity: inspect.Warning, Message: "drain 0", Resource: core.BackendServiceResource(bs)},
		{Rule: "backendconfig-missing", Severity: inspect.Error, Message: "BackendConfig web-bc does not exist", Resource: core.KubeResource(inv.Clusters[0], "Service", core.MetaOf("shop", "web"))},
		{Rule: "unrelated", Severity: inspect.Error, Message: "elsewhere", Resource: core.KubeResource(inv.Clusters[0], "Service", core.MetaOf("shop", "other"))},
	}
	res := Trace(Input{Inventory: inv, Findings: fs, Request: mustRequest(t, "https://shop.example.com/"), Addresses: []string{"34.9.9.9"}})
	c := res.Candidates[0]
	if h := hopOf(t, c, "BackendService"); h.Verdict != Warning || len(h.Findings) != 1 || h.Findings[0].Rule != "neg-drain-timeout-unset" {
		t.Errorf("backend service hop: %+v", h)
	}
	if h := hopOf(t, c, "Service"); h.Verdict != Error || len(h.Findings) != 1 || h.Findings[0].Rule != "backendconfig-missing" {
		t.Errorf("Service hop: %+v", h)
	}
	want := "would reach 2 healthy endpoints of shop/web:80; but lbdiag finds a problem on the way, on Service shop/web: BackendConfig web-bc does not exist (backendconfig-missing)"
	if res.Answer != want || res.ExitCode != ExitBroken {
		t.Errorf("exit %d answer %q\nwant %q", res.ExitCode, res.Answer, want)
	}
}

// TestTraceSelection: --ip, resolved addresses, host rules, passthrough
// forwarding rules, and the "no load balancer" answers.
func TestTraceSelection(t *testing.T) {
	t.Run("several load balancers take the request", func(t *testing.T) {
		inv := world()
		fr2 := *inv.Compute.ForwardingRules[0]
		fr2.Name, fr2.SelfLink, fr2.IPAddress = "k8s2-fs-site-v6", g("global/forwardingRules/k8s2-fs-site-v6"), "2600:1901::1"
		inv.Compute.ForwardingRules = append(inv.Compute.ForwardingRules, &fr2)
		res := Trace(Input{Inventory: inv, Request: mustRequest(t, "https://shop.example.com/"), Addresses: []string{"2600:1901::1", "34.9.9.9"}})
		if len(res.Candidates) != 2 || !strings.HasPrefix(res.Answer, "2 load balancers take the request; at k8s2-fs-site (34.9.9.9:443): would reach") {
			t.Errorf("%d candidates, answer %q", len(res.Candidates), res.Answer)
		}
	})
	t.Run("by host rule, not by *", func(t *testing.T) {
		inv := world()
		inv.Compute.URLMaps[0].HostRules = append(inv.Compute.URLMaps[0].HostRules, &compute.HostRule{Hosts: []string{"*"}, PathMatcher: "host1"})
		res := Trace(Input{Inventory: inv, Request: mustRequest(t, "https://other.example.com/"), ResolveError: "other.example.com did not resolve"})
		if len(res.Candidates) != 0 || res.ExitCode != ExitNoLoadBalancer || len(res.Selection.Others) != 1 {
			t.Errorf("exit %d, %d candidates, others %+v", res.ExitCode, len(res.Candidates), res.Selection.Others)
		}
		res = Trace(Input{Inventory: inv, Request: mustRequest(t, "https://shop.example.com/"), ResolveError: "shop.example.com did not resolve"})
		if len(res.Candidates) != 1 || res.Selection.Method != SelectHostRule {
			t.Errorf("%d candidates, selection %+v", len(res.Candidates), res.Selection)
		}
	})
	t.Run("the forwarding rules could not be listed", func(t *testing.T) {
		inv := world()
		ruletest.FailSource(inv, inventory.ComputeForwardingRules, inventory.ProjectScope(ruletest.Project))
		res := Trace(Input{Inventory: inv, Request: mustRequest(t, "https://shop.example.com/"), Addresses: []string{"34.9.9.9"}})
		if res.ExitCode != ExitUnknown || len(res.Gaps) == 0 {
			t.Errorf("exit %d gaps %+v", res.ExitCode, res.Gaps)
		}
	})
	t.Run("a passthrough load balancer", func(t *testing.T) {
		inv := world()
		inv.Compute.ForwardingRules = []*compute.ForwardingRule{{Name: "l4", SelfLink: g("regions/europe-west1/forwardingRules/l4"), IPAddress: "10.0.0.9",
			IPProtocol: "TCP", Ports: []string{"443"}, BackendService: g("global/backendServices/" + webNEG), LoadBalancingScheme: "INTERNAL", Region: g("regions/europe-west1")}}
		res := Trace(Input{Inventory: inv, Request: mustRequest(t, "https://10.0.0.9/"), IP: "10.0.0.9"})
		if len(res.Candidates) != 1 || res.Candidates[0].URLMap != nil || res.Candidates[0].Action.Type != ActionService {
			t.Fatalf("candidates: %+v", res.Candidates)
		}
		if got := kinds(res.Candidates[0]); !strings.HasPrefix(got, "ForwardingRule ok, BackendService ok, NetworkEndpointGroup ok, NetworkEndpointGroup ok, Service ok") {
			t.Errorf("hops: %s", got)
		}
	})
	t.Run("sensitive request parts are redacted", func(t *testing.T) {
		res := Trace(Input{Inventory: world(), Request: mustRequest(t, "https://shop.example.com/?sig=abc&page=2", "Cookie: session=s3cr3t", "X-Env: canary"), Addresses: []string{"34.9.9.9"}})
		if res.Request.Query != "sig=REDACTED&page=2" || res.Request.Headers["Cookie"][0] != "REDACTED" || res.Request.Headers["X-Env"][0] != "canary" {
			t.Errorf("request: %+v", res.Request)
		}
	})
}
