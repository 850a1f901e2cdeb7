package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// The demo project's names the trace tests use.
const (
	demoGC       = "https://www.googleapis.com/compute/v1/projects/acme-shop-prod"
	webLB        = "dmqbrr78-shop-web-kki80rh8"
	intLB        = "dmqbrr78-shop-internal-api-sug7bqcv"
	checkoutNEG  = "k8s1-4f7d2b91-shop-checkout-8080-5d03f6e2"
	frontendNEG  = "k8s1-4f7d2b91-shop-frontend-80-1c2e9a7b"
	gwPrefix     = "gkegw1-7k2p-shop-"
	storeMapName = gwPrefix + "store-gw-4m1d8v0q2x7z"
)

// traceJSON is the trace's JSON contract, as scripts read it.
type traceJSON struct {
	SchemaVersion int    `json:"schemaVersion"`
	Project       string `json:"project"`
	Request       struct {
		URL, Method, Host, Path, Query string
		Headers                        map[string][]string
	} `json:"request"`
	Selection struct {
		Method       string
		Addresses    []string
		ResolveError string
		Others       []struct {
			ForwardingRule struct{ Name string }
			Address        string
		}
	} `json:"selection"`
	Candidates []struct {
		ForwardingRule struct{ Name, SelfLink string }
		TargetProxy    *struct{ Name, SelfLink string }
		URLMap         *struct{ Name, SelfLink string } `json:"urlMap"`
		Match          *struct {
			HostRule          []string `json:"hostRule"`
			PathMatcher       *string  `json:"pathMatcher"`
			PathRule          []string `json:"pathRule"`
			RouteRulePriority *int64   `json:"routeRulePriority"`
			Default           bool     `json:"default"`
		}
		Action *struct {
			Type, BackendService, BackendBucket, Location string
			Code                                          int
			Backends                                      []struct {
				BackendService string
				Weight         int64
				Share          float64
			}
		}
		Hops []struct {
			Kind, Name, SelfLink, Cluster, Verdict, Reason string
			Findings                                       []struct{ Rule, Severity, Message string }
			Branch                                         *int
		}
		Verdict, Answer string
	} `json:"candidates"`
	Answer   string `json:"answer"`
	ExitCode int    `json:"exitCode"`
	Gaps     []struct{ Source, Scope, Status, Error string }
}

func parseTrace(t *testing.T, out string) traceJSON {
	t.Helper()
	return decodeOutput[traceJSON](t, out)
}

// hopKinds lists a candidate's hops as "Kind verdict".
func (r traceJSON) hopKinds(i int) []string {
	var out []string
	for _, h := range r.Candidates[i].Hops {
		out = append(out, h.Kind+" "+h.Verdict)
	}
	return out
}

// hop returns the first hop of a kind (and name prefix).
func (r traceJSON) hop(t *testing.T, i int, kind, name string) (h struct {
	Kind, Name, SelfLink, Cluster, Verdict, Reason string
	Findings                                       []struct{ Rule, Severity, Message string }
	Branch                                         *int
}) {
	t.Helper()
	for _, h := range r.Candidates[i].Hops {
		if h.Kind == kind && strings.HasPrefix(h.Name, name) {
			return h
		}
	}
	b, _ := json.MarshalIndent(r.Candidates[i].Hops, "", " ")
	t.Fatalf("no %s %s hop in %v:\n%s", kind, name, r.hopKinds(i), b)
	return h
}

// aRecords are the A records of a table, for serveZone.
func aRecords(answers map[string][]string) []string {
	var records []string
	for name, ips := range answers {
		for _, ip := range ips {
			records = append(records, name+". 60 IN A "+ip)
		}
	}
	return records
}

// traceProject is the demo project with gets answered, and what a test
// adds to it.
func traceProject(t *testing.T) *fakeProject {
	f := newFakeProject(t)
	f.index = newComputeIndex(t, f.rec)
	return f
}

// trace runs lbdiag trace against the fake project, in JSON.
func (f *fakeProject) trace(t *testing.T, args ...string) (runResult, traceJSON) {
	t.Helper()
	res := f.runCommand(t, "trace", testToken, nil, append([]string{"--format", "json"}, args...)...)
	if res.code == 2 && !strings.Contains(res.stdout, "schemaVersion") {
		t.Fatalf("trace %v: usage error: %s", args, res.stderr)
	}
	return res, parseTrace(t, res.stdout)
}

// requests lists the requests the fake received that contain s.
func (f *fakeProject) requests(s string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.hits {
		if strings.Contains(k, s) {
			out = append(out, k)
		}
	}
	return out
}

// TestTraceIngress follows a URL through the demo's Ingress-rendered map,
// found by resolving the host: every hop from the forwarding rule to the
// Deployment, the Ingress path that rendered the rule, the findings on the
// way, and only the reads the request needs.
func TestTraceIngress(t *testing.T) {
	t.Parallel()
	f := traceProject(t)
	dns := serveZone(t, aRecords(map[string][]string{"shop.example.com": {"34.111.42.7"}})).addr
	res, r := f.trace(t, "--resolver", dns, "https://shop.example.com/checkout/cart?id=7&token=s3cr3t", "-H", "Authorization: Bearer abc.def")
	if r.SchemaVersion != 1 || r.Project != "acme-shop-prod" || r.Selection.Method != "dns" || strings.Join(r.Selection.Addresses, ",") != "34.111.42.7" {
		t.Fatalf("selection: %+v", r.Selection)
	}
	if strings.Contains(res.stdout, "s3cr3t") || strings.Contains(res.stdout, "abc.def") {
		t.Errorf("the trace echoes the request's credentials:\n%s", res.stdout)
	}
	if r.Request.Host != "shop.example.com" || r.Request.Path != "/checkout/cart" || r.Request.Query != "id=7&token=REDACTED" {
		t.Errorf("request: %+v", r.Request)
	}
	if len(r.Candidates) != 1 {
		t.Fatalf("candidates: %d", len(r.Candidates))
	}
	c := r.Candidates[0]
	if c.ForwardingRule.Name != "k8s2-fs-"+webLB || c.TargetProxy == nil || c.TargetProxy.Name != "k8s2-ts-"+webLB || c.URLMap.Name != "k8s2-um-"+webLB {
		t.Errorf("frontend: %+v %+v %+v", c.ForwardingRule, c.TargetProxy, c.URLMap)
	}
	if m := c.Match; m == nil || strings.Join(m.HostRule, ",") != "shop.example.com" || strings.Join(m.PathRule, ",") != "/checkout/*" || m.Default || m.RouteRulePriority != nil || m.PathMatcher == nil {
		t.Errorf("match: %+v", c.Match)
	}
	if c.Action.Type != "service" || c.Action.BackendService != demoGC+"/global/backendServices/"+checkoutNEG {
		t.Errorf("action: %+v", c.Action)
	}
	want := []string{"ForwardingRule ok", "TargetHttpsProxy ok", "SslCertificate ok", "UrlMap ok", "Ingress ok", "BackendService error",
		"NetworkEndpointGroup ok", "NetworkEndpointGroup ok", "NetworkEndpointGroup warning", "Service warning", "Deployment warning"}
	if got := r.hopKinds(0); strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("hops:\n got %v\nwant %v", got, want)
	}
	if h := r.hop(t, 0, "Ingress", "shop/web"); !strings.Contains(h.Reason, "path /checkout (pathType Prefix, rendered as /checkout and /checkout/*): Service checkout port http") || h.Cluster != "europe-west1/shop-eu" {
		t.Errorf("Ingress hop: %+v", h)
	}
	if h := r.hop(t, 0, "BackendService", checkoutNEG); len(h.Findings) == 0 || h.Findings[0].Rule != "backend-unhealthy" {
		t.Errorf("the backend service's findings: %+v", h.Findings)
	}
	if h := r.hop(t, 0, "Service", "shop/checkout"); !strings.Contains(h.Reason, "10.20.12.20:8080 is Ready in Kubernetes but not HEALTHY") {
		t.Errorf("Service hop: %+v", h)
	}
	if res.code != 1 || r.ExitCode != 1 || !strings.HasPrefix(r.Answer, "would reach 2 of 3 endpoints of shop/checkout:8080") || !strings.Contains(r.Answer, "backend-unhealthy") && !strings.Contains(r.Answer, "no healthy endpoint in 1 of its 3") {
		t.Errorf("exit %d, answer %q", res.code, r.Answer)
	}
	// Only what the request meets: the forwarding rules of its address,
	// gets by name, no whole list of backend services, NEGs or health
	// checks.
	if got := f.requests("aggregated/forwardingRules"); len(got) != 1 || !strings.Contains(got[0], "filter=") {
		t.Errorf("forwarding rule lists: %v", got)
	}
	for _, coll := range []string{"aggregated/backendServices", "aggregated/networkEndpointGroups", "aggregated/healthChecks", "aggregated/urlMaps", "aggregated/sslCertificates", "aggregated/securityPolicies"} {
		if got := f.requests(coll); len(got) > 0 {
			t.Errorf("the trace listed %s: %v", coll, got)
		}
	}
	if got := f.requests("GET /compute/v1/projects/acme-shop-prod/global/backendServices/" + checkoutNEG); len(got) != 1 {
		t.Errorf("gets of the backend service: %v", got)
	}
	if got := f.requests("/api/v1/namespaces/kube-system"); len(got) == 0 {
		t.Errorf("the owning cluster was not read")
	}
	if got := f.requests("kubernetes/us-central1-a/ops-us"); len(got) > 0 {
		t.Errorf("a cluster behind no backend of the trace was read: %v", got)
	}
}

// TestTraceUnhealthyBackend: every endpoint of the backend service fails
// its health check, so the classic load balancer answers 502.
func TestTraceUnhealthyBackend(t *testing.T) {
	t.Parallel()
	f := traceProject(t)
	f.rewrite = map[string]func(map[string]any){"/getHealth": func(body map[string]any) {
		sts, _ := body["healthStatus"].([]any)
		for _, st := range sts {
			st.(map[string]any)["healthState"] = "UNHEALTHY"
		}
	}}
	res, r := f.trace(t, "--ip", "34.111.42.7", "https://shop.example.com/checkout")
	if r.Selection.Method != "ip" || len(r.Candidates) != 1 {
		t.Fatalf("selection %+v, %d candidates", r.Selection, len(r.Candidates))
	}
	if h := r.hop(t, 0, "BackendService", checkoutNEG); h.Verdict != "error" || !strings.Contains(h.Reason, "no healthy endpoint in any of its 3 groups (3 endpoints): the load balancer answers 502 (failed_to_pick_backend)") {
		t.Errorf("backend service hop: %+v", h)
	}
	want := "would get 502 (failed_to_pick_backend): 0 of 3 endpoints healthy in backend service " + checkoutNEG + " (shop/checkout:8080)"
	if res.code != 1 || r.Answer != want {
		t.Errorf("exit %d, answer\n %q\nwant\n %q", res.code, r.Answer, want)
	}
	table := f.runCommand(t, "trace", testToken, nil, "--ip", "34.111.42.7", "https://shop.example.com/checkout")
	if !strings.Contains(table.stdout, "[ERROR] BackendService "+checkoutNEG+"  <-- fails here") || !strings.Contains(table.stdout, "Answer: "+want) {
		t.Errorf("table:\n%s", table.stdout)
	}
}

// TestTraceRedirectMap: an HTTP forwarding rule whose proxy points at a
// redirect-only map (GKE's FrontendConfig redirectToHttps): the trace ends
// at the map with the Location and code, and exits 0.
func TestTraceRedirectMap(t *testing.T) {
	t.Parallel()
	f := traceProject(t)
	rm := demoGC + "/global/urlMaps/k8s2-rm-" + webLB
	f.index.put(map[string]any{"kind": "compute#urlMap", "id": "7710002", "name": "k8s2-rm-" + webLB, "selfLink": rm,
		"defaultUrlRedirect": map[string]any{"httpsRedirect": true, "redirectResponseCode": "MOVED_PERMANENTLY_DEFAULT", "stripQuery": false},
		"fingerprint":        "b7xGZ2Ofy4E=", "creationTimestamp": "2026-09-14T08:13:02.118-07:00"})
	f.index.put(map[string]any{"kind": "compute#targetHttpProxy", "id": "7710003", "name": "k8s2-tp-" + webLB,
		"selfLink": demoGC + "/global/targetHttpProxies/k8s2-tp-" + webLB, "urlMap": rm,
		"description": `{"kubernetes.io/ingress-name": "shop/web"}`, "fingerprint": "q8s1Vb0dL2k="})
	dns := serveZone(t, aRecords(map[string][]string{"shop.example.com": {"34.111.42.7"}})).addr
	res, r := f.trace(t, "--resolver", dns, "http://shop.example.com/checkout/cart?lang=de")
	if len(r.Candidates) != 1 || r.Candidates[0].ForwardingRule.Name != "k8s2-fr-"+webLB {
		t.Fatalf("candidates: %+v", r.Candidates)
	}
	c := r.Candidates[0]
	if a := c.Action; a.Type != "redirect" || a.Location != "https://shop.example.com/checkout/cart?lang=de" || a.Code != 301 {
		t.Errorf("action: %+v", a)
	}
	if c.Match == nil || !c.Match.Default || c.Match.HostRule != nil {
		t.Errorf("match: %+v", c.Match)
	}
	if got := strings.Join(r.hopKinds(0), ", "); got != "ForwardingRule ok, TargetHttpProxy ok, UrlMap ok" {
		t.Errorf("hops: %s", got)
	}
	if res.code != 0 || r.Answer != "redirected 301 to https://shop.example.com/checkout/cart?lang=de" {
		t.Errorf("exit %d, answer %q", res.code, r.Answer)
	}
	// A redirect names no backend: no backend service, group or cluster is
	// read.
	if got := append(f.requests("/backendServices/"), f.requests("kubernetes/")...); len(got) > 0 {
		t.Errorf("reads beyond the redirect: %v", got)
	}
}

// addStoreGateway adds to the demo a GKE Gateway shop/store-gw
// (gke-l7-global-external-managed) at 34.120.8.9:80 with an HTTPRoute, as
// GKE renders it: route rules by Gateway precedence, weighted backend
// services, a 404 by fault injection for what no rule matches, and the
// map's own tests.
func addStoreGateway(t *testing.T, f *fakeProject, tests []any) {
	t.Helper()
	gbs := func(svc string) string { return demoGC + "/global/backendServices/" + gwPrefix + svc }
	neg := func(name, zone string) string { return demoGC + "/zones/" + zone + "/networkEndpointGroups/" + name }
	for i, b := range []struct{ name, negName string }{{"checkout-8080-q2w8e4r6t1y3", checkoutNEG}, {"frontend-80-z5x7c9v1b3n6", frontendNEG}} {
		var backends []any
		for _, z := range []string{"europe-west1-b", "europe-west1-c", "europe-west1-d"} {
			backends = append(backends, map[string]any{"group": neg(b.negName, z), "balancingMode": "RATE", "maxRatePerEndpoint": 1e8, "capacityScaler": 1})
		}
		f.index.put(map[string]any{"kind": "compute#backendService", "id": fmt.Sprint(8800100 + i), "name": gwPrefix + b.name, "selfLink": gbs(b.name),
			"backends": backends, "healthChecks": []any{demoGC + "/global/healthChecks/" + gwPrefix + b.name}, "protocol": "HTTP", "timeoutSec": 30, "port": 80,
			"loadBalancingScheme": "EXTERNAL_MANAGED", "connectionDraining": map[string]any{"drainingTimeoutSec": 0}, "logConfig": map[string]any{"enable": false},
			"localityLbPolicy": "ROUND_ROBIN", "description": "", "fingerprint": "3eUDhYbDxSE="})
	}
	f.index.put(map[string]any{"kind": "compute#backendService", "id": "8800404", "name": gwPrefix + "gw-serve404-80-k3j5h7g9f2d4", "selfLink": gbs("gw-serve404-80-k3j5h7g9f2d4"),
		"backends": []any{}, "protocol": "HTTP", "timeoutSec": 30, "loadBalancingScheme": "EXTERNAL_MANAGED"})
	abort := map[string]any{"faultInjectionPolicy": map[string]any{"abort": map[string]any{"httpStatus": 404, "percentage": 100}},
		"weightedBackendServices": []any{map[string]any{"backendService": gbs("gw-serve404-80-k3j5h7g9f2d4"), "weight": 1}}}
	pm := "hostq0v2x8k3m5n7b1c4z6l9j2h4g8f1d3s5"
	um := map[string]any{"kind": "compute#urlMap", "id": "8800001", "name": storeMapName, "selfLink": demoGC + "/global/urlMaps/" + storeMapName,
		"description":        `{"k8sResource":"/namespaces/shop/gateways/store-gw","k8sCluster":"/projects/acme-shop-prod/locations/europe-west1/clusters/shop-eu"}`,
		"defaultRouteAction": abort,
		"hostRules":          []any{map[string]any{"hosts": []any{"store.example.com"}, "pathMatcher": pm}},
		"pathMatchers": []any{map[string]any{"name": pm, "defaultRouteAction": abort, "routeRules": []any{
			// Listed out of order: priority decides.
			map[string]any{"priority": 3, "matchRules": []any{map[string]any{"prefixMatch": "/"}}, "service": gbs("frontend-80-z5x7c9v1b3n6")},
			map[string]any{"priority": 1, "matchRules": []any{map[string]any{"prefixMatch": "/checkout/"}, map[string]any{"fullPathMatch": "/checkout"}},
				"service": gbs("checkout-8080-q2w8e4r6t1y3")},
			map[string]any{"priority": 2, "matchRules": []any{map[string]any{"prefixMatch": "/", "headerMatches": []any{map[string]any{"headerName": "x-env", "exactMatch": "canary"}}}},
				"routeAction": map[string]any{"weightedBackendServices": []any{
					map[string]any{"backendService": gbs("frontend-80-z5x7c9v1b3n6"), "weight": 80},
					map[string]any{"backendService": gbs("checkout-8080-q2w8e4r6t1y3"), "weight": 20}}}},
		}}},
		"fingerprint": "Hk3m0vQ7y2A="}
	if tests != nil {
		um["tests"] = tests
	}
	f.index.put(um)
	f.index.put(map[string]any{"kind": "compute#targetHttpProxy", "id": "8800002", "name": gwPrefix + "store-gw-p8n2c6v4b1x9", "selfLink": demoGC + "/global/targetHttpProxies/" + gwPrefix + "store-gw-p8n2c6v4b1x9",
		"urlMap": demoGC + "/global/urlMaps/" + storeMapName, "description": um["description"]})
	f.index.put(map[string]any{"kind": "compute#forwardingRule", "id": "8800003", "name": gwPrefix + "store-gw-r1t5y9u3i7o2", "selfLink": demoGC + "/global/forwardingRules/" + gwPrefix + "store-gw-r1t5y9u3i7o2",
		"IPAddress": "34.120.8.9", "IPProtocol": "TCP", "portRange": "80-80", "target": demoGC + "/global/targetHttpProxies/" + gwPrefix + "store-gw-p8n2c6v4b1x9",
		"loadBalancingScheme": "EXTERNAL_MANAGED", "networkTier": "PREMIUM", "description": um["description"]})
	gw := map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": "store-gw", "namespace": "shop", "uid": "4c1e6f0a-2b7d-4e93-8a15-9d3c7b2e6f48", "creationTimestamp": "2026-10-02T09:00:00Z", "generation": 1,
			"annotations": map[string]any{"networking.gke.io/url-maps": "/projects/482913376015/global/urlMaps/" + storeMapName,
				"networking.gke.io/forwarding-rules": "/projects/482913376015/global/forwardingRules/" + gwPrefix + "store-gw-r1t5y9u3i7o2"}},
		"spec": map[string]any{"gatewayClassName": "gke-l7-global-external-managed", "listeners": []any{map[string]any{"name": "http", "port": 80, "protocol": "HTTP"}}},
		"status": map[string]any{"addresses": []any{map[string]any{"type": "IPAddress", "value": "34.120.8.9"}},
			"conditions": []any{map[string]any{"type": "Programmed", "status": "True", "reason": "Programmed", "message": "", "lastTransitionTime": "2026-10-02T09:03:00Z", "observedGeneration": 1}}}}
	str := func(s string) any { return s }
	route := map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": "store", "namespace": "shop", "uid": "9a7b3c5d-1e2f-4a6b-8c0d-2e4f6a8b0c1d", "creationTimestamp": "2026-10-02T09:01:00Z", "generation": 1},
		"spec": map[string]any{"parentRefs": []any{map[string]any{"name": "store-gw"}}, "hostnames": []any{"store.example.com"}, "rules": []any{
			map[string]any{"matches": []any{map[string]any{"path": map[string]any{"type": str("PathPrefix"), "value": str("/checkout")}}},
				"backendRefs": []any{map[string]any{"name": "checkout", "port": 8080}}},
			map[string]any{"matches": []any{map[string]any{"path": map[string]any{"type": str("PathPrefix"), "value": str("/")}, "headers": []any{map[string]any{"name": "x-env", "value": "canary"}}}},
				"backendRefs": []any{map[string]any{"name": "frontend", "port": 80, "weight": 80}, map[string]any{"name": "checkout", "port": 8080, "weight": 20}}},
			map[string]any{"backendRefs": []any{map[string]any{"name": "frontend", "port": 80}}},
		}},
		"status": map[string]any{"parents": []any{map[string]any{"parentRef": map[string]any{"name": "store-gw"}, "controllerName": "networking.gke.io/gateway",
			"conditions": []any{map[string]any{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "lastTransitionTime": "2026-10-02T09:03:00Z", "observedGeneration": 1}}}}}}
	f.kubeEdit = func(api, path string, body map[string]any) {
		if !strings.Contains(api, "shop-eu") {
			return
		}
		items, _ := body["items"].([]any)
		switch {
		case strings.HasSuffix(path, "/gateways"):
			body["items"] = append(items, gw)
		case strings.HasSuffix(path, "/httproutes"):
			body["items"] = append(items, route)
		}
	}
}

// TestTraceGatewayRouteRules follows requests through a Gateway-style
// map: route rules by priority, a header match, a weighted split traced
// branch by branch, the 404 of unmatched hosts, and the HTTPRoute rule
// each came from.
func TestTraceGatewayRouteRules(t *testing.T) {
	t.Parallel()
	f := traceProject(t)
	addStoreGateway(t, f, []any{
		map[string]any{"host": "store.example.com", "path": "/checkout", "service": demoGC + "/global/backendServices/" + gwPrefix + "checkout-8080-q2w8e4r6t1y3"},
		map[string]any{"host": "store.example.com", "path": "/", "service": demoGC + "/global/backendServices/" + gwPrefix + "frontend-80-z5x7c9v1b3n6"},
	})

	t.Run("route rule by priority", func(t *testing.T) {
		res, r := f.trace(t, "--ip", "34.120.8.9", "http://store.example.com/checkout/pay")
		c := r.Candidates[0]
		if c.Match.RouteRulePriority == nil || *c.Match.RouteRulePriority != 1 || c.Match.PathRule != nil || c.Action.BackendService != demoGC+"/global/backendServices/"+gwPrefix+"checkout-8080-q2w8e4r6t1y3" {
			t.Errorf("match %+v action %+v", c.Match, c.Action)
		}
		if h := r.hop(t, 0, "Gateway", "shop/store-gw"); h.Cluster != "europe-west1/shop-eu" {
			t.Errorf("Gateway hop: %+v", h)
		}
		if h := r.hop(t, 0, "HTTPRoute", "shop/store"); h.Reason != "rule 0 (match PathPrefix /checkout): checkout:8080" {
			t.Errorf("HTTPRoute hop: %+v", h)
		}
		if h := r.hop(t, 0, "Service", "shop/checkout"); h.Cluster != "europe-west1/shop-eu" {
			t.Errorf("Service hop: %+v", h)
		}
		if !strings.Contains(r.Answer, "of shop/checkout:8080") || res.code == 2 {
			t.Errorf("exit %d answer %q", res.code, r.Answer)
		}
	})
	t.Run("weighted split on a header", func(t *testing.T) {
		_, r := f.trace(t, "--ip", "34.120.8.9", "http://store.example.com/", "-H", "X-Env: canary")
		c := r.Candidates[0]
		if c.Action.Type != "weighted" || len(c.Action.Backends) != 2 || c.Action.Backends[0].Share != 0.8 || c.Action.Backends[1].Weight != 20 {
			t.Fatalf("action: %+v", c.Action)
		}
		branches := map[int][]string{}
		for _, h := range c.Hops {
			if h.Branch != nil {
				branches[*h.Branch] = append(branches[*h.Branch], h.Kind+" "+h.Name)
			}
		}
		if len(branches) != 2 || !strings.HasPrefix(branches[0][0], "BackendService "+gwPrefix+"frontend") || !strings.HasPrefix(branches[1][0], "BackendService "+gwPrefix+"checkout") {
			t.Errorf("branches: %v", branches)
		}
		if h := r.hop(t, 0, "HTTPRoute", "shop/store"); !strings.HasPrefix(h.Reason, "rule 1 (match PathPrefix /, header x-env: canary)") {
			t.Errorf("HTTPRoute hop: %+v", h)
		}
		if !strings.HasPrefix(r.Answer, "would reach 80% to ") || !strings.Contains(r.Answer, "20% to ") {
			t.Errorf("answer %q", r.Answer)
		}
	})
	t.Run("no host rule: the Gateway's 404", func(t *testing.T) {
		res, r := f.trace(t, "--ip", "34.120.8.9", "http://other.example.com/")
		c := r.Candidates[0]
		if c.Action.Type != "abort" || c.Action.Code != 404 || !c.Match.Default {
			t.Errorf("action %+v match %+v", c.Action, c.Match)
		}
		if res.code != 0 || !strings.HasPrefix(r.Answer, "would get 404 from the load balancer itself") {
			t.Errorf("exit %d answer %q", res.code, r.Answer)
		}
	})
}

// TestTraceMapTestsDisagree: a URL map test that lbdiag's matcher answers
// differently (Compute Engine stored the map, so Google passed it) makes
// the map hop and every hop after it unknown, and the trace exits 3.
func TestTraceMapTestsDisagree(t *testing.T) {
	t.Parallel()
	f := traceProject(t)
	addStoreGateway(t, f, []any{map[string]any{"description": "checkout goes to the frontend", "host": "store.example.com", "path": "/checkout",
		"service": demoGC + "/global/backendServices/" + gwPrefix + "frontend-80-z5x7c9v1b3n6"}})
	res, r := f.trace(t, "--ip", "34.120.8.9", "http://store.example.com/checkout/pay")
	h := r.hop(t, 0, "UrlMap", storeMapName)
	if h.Verdict != "unknown" || !strings.Contains(h.Reason, "the URL map's own test (host store.example.com path /checkout (checkout goes to the frontend)) expects service global/backendServices/"+gwPrefix+"frontend") {
		t.Errorf("map hop: %+v", h)
	}
	for _, h := range r.Candidates[0].Hops[3:] {
		if h.Verdict == "ok" {
			t.Errorf("hop %s %s is ok through a map lbdiag cannot match", h.Kind, h.Name)
		}
	}
	if res.code != 3 || r.ExitCode != 3 {
		t.Errorf("exit %d: %v", res.code, r.hopKinds(0))
	}
}

// TestTraceInternalRegional follows a request to the demo's internal
// Application Load Balancer (regional, INTERNAL_MANAGED): its regional
// proxy, map and backend service, and the Envoy-based code a pick failure
// would get.
func TestTraceInternalRegional(t *testing.T) {
	t.Parallel()
	f := traceProject(t)
	res, r := f.trace(t, "--ip", "10.10.0.40", "http://orders.internal/v1/orders")
	if len(r.Candidates) != 1 {
		t.Fatalf("candidates: %+v", r.Candidates)
	}
	c := r.Candidates[0]
	rg := demoGC + "/regions/europe-west1"
	if c.ForwardingRule.SelfLink != rg+"/forwardingRules/k8s2-fr-"+intLB || c.TargetProxy.SelfLink != rg+"/targetHttpProxies/k8s2-tp-"+intLB || c.URLMap.SelfLink != rg+"/urlMaps/k8s2-um-"+intLB {
		t.Errorf("frontend: %+v %+v %+v", c.ForwardingRule, c.TargetProxy, c.URLMap)
	}
	if c.Action.BackendService != rg+"/backendServices/k8s1-4f7d2b91-shop-orders-api-80-9b71c4d0" || !c.Match.Default {
		t.Errorf("action %+v match %+v", c.Action, c.Match)
	}
	if h := r.hop(t, 0, "ForwardingRule", "k8s2-fr-"); h.Reason != "10.10.0.40:80 TCP INTERNAL_MANAGED, europe-west1" {
		t.Errorf("forwarding rule hop: %+v", h)
	}
	if h := r.hop(t, 0, "Ingress", "shop/internal-api"); !strings.Contains(h.Reason, "no rule of the Ingress names host orders.internal: the Ingress's spec.defaultBackend, Service orders-api port 80") {
		t.Errorf("Ingress hop: %+v", h)
	}
	if h := r.hop(t, 0, "Service", "shop/orders-api"); !strings.HasPrefix(h.Reason, "port 80: 3 ready endpoints") {
		t.Errorf("Service hop: %+v", h)
	}
	if !strings.HasPrefix(r.Answer, "would reach 3 healthy endpoints of shop/orders-api:80") || res.code == 2 {
		t.Errorf("exit %d answer %q", res.code, r.Answer)
	}

	// Every endpoint down: an Envoy-based load balancer answers 503.
	f.rewrite = map[string]func(map[string]any){"/getHealth": func(body map[string]any) {
		sts, _ := body["healthStatus"].([]any)
		for _, st := range sts {
			st.(map[string]any)["healthState"] = "UNHEALTHY"
		}
	}}
	_, r = f.trace(t, "--ip", "10.10.0.40", "http://orders.internal/v1/orders")
	if !strings.HasPrefix(r.Answer, "would get 503 (failed_to_pick_backend): 0 of 3 endpoints healthy") {
		t.Errorf("answer %q", r.Answer)
	}
}

// TestTraceUnreadableCluster: the cluster behind the backends refuses
// connections, so the Kubernetes hops are unknown with the reason, never
// ok, and the trace exits 3.
func TestTraceUnreadableCluster(t *testing.T) {
	t.Parallel()
	f := traceProject(t)
	f.kube["shop-eu"].Close()
	res, r := f.trace(t, "--ip", "34.111.42.7", "https://shop.example.com/")
	h := r.hop(t, 0, "Service", "shop/frontend")
	if h.Verdict != "unknown" || !strings.Contains(h.Reason, "its cluster could not be read (europe-west1/shop-eu)") {
		t.Errorf("Service hop: %+v", h)
	}
	if res.code != 3 || r.ExitCode != 3 || !strings.HasPrefix(r.Answer, "could not tell: Service shop/frontend") {
		t.Errorf("exit %d answer %q", res.code, r.Answer)
	}
	found := false
	for _, g := range r.Gaps {
		found = found || (g.Source == "kubernetes.api" && strings.HasSuffix(g.Scope, "/clusters/shop-eu"))
	}
	if !found {
		t.Errorf("gaps: %+v", r.Gaps)
	}
}

// TestTraceNoLoadBalancer: a host that resolves outside the project, a
// host nothing names, and an address with no forwarding rule on the
// port: exit 2, with the answer and the candidates.
func TestTraceNoLoadBalancer(t *testing.T) {
	t.Parallel()
	f := traceProject(t)
	dns := serveZone(t, aRecords(map[string][]string{"shop.example.com": {"203.0.113.9"}, "blog.example.org": {"198.51.100.20"}})).addr

	res, r := f.trace(t, "--resolver", dns, "https://shop.example.com/")
	if res.code != 2 || r.ExitCode != 2 || len(r.Candidates) != 0 ||
		r.Answer != "shop.example.com resolves to 203.0.113.9, which no forwarding rule of project acme-shop-prod has: the DNS record points elsewhere, or the load balancer is in another project; the URL maps naming shop.example.com are behind k8s2-fs-"+webLB+" (34.111.42.7:443) (trace one with --ip)" {
		t.Errorf("exit %d answer %q", res.code, r.Answer)
	}
	if len(r.Selection.Others) != 1 || r.Selection.Others[0].Address != "34.111.42.7" {
		t.Errorf("others: %+v", r.Selection.Others)
	}

	res, r = f.trace(t, "--resolver", dns, "https://unknown.example.net/")
	if res.code != 2 || r.Selection.Method != "host-rule" || !strings.Contains(r.Selection.ResolveError, "unknown.example.net did not resolve") ||
		!strings.HasPrefix(r.Answer, "no load balancer of project acme-shop-prod serves host unknown.example.net") {
		t.Errorf("exit %d selection %+v answer %q", res.code, r.Selection, r.Answer)
	}

	res, r = f.trace(t, "--ip", "34.111.42.7", "http://shop.example.com:8080/")
	if res.code != 2 || !strings.HasPrefix(r.Answer, "no forwarding rule of project acme-shop-prod at 34.111.42.7 takes http on port 8080: the ones there are ") {
		t.Errorf("exit %d answer %q", res.code, r.Answer)
	}
}

// TestTraceHostRuleFallback: the host does not resolve, so the load
// balancers whose URL maps name it are traced; the forwarding rules, maps
// and proxies are then read whole.
func TestTraceHostRuleFallback(t *testing.T) {
	t.Parallel()
	f := traceProject(t)
	dns := serveZone(t, aRecords(map[string][]string{})).addr
	_, r := f.trace(t, "--resolver", dns, "https://shop.example.com/")
	if r.Selection.Method != "host-rule" || len(r.Candidates) != 1 || r.Candidates[0].ForwardingRule.Name != "k8s2-fs-"+webLB {
		t.Fatalf("selection %+v candidates %d", r.Selection, len(r.Candidates))
	}
	if !strings.HasPrefix(r.Answer, "would reach 6 healthy endpoints of shop/frontend:80") {
		t.Errorf("answer %q", r.Answer)
	}
	if got := f.requests("aggregated/urlMaps"); len(got) != 1 {
		t.Errorf("URL map lists: %v", got)
	}
}

// TestTraceLogs counts the window's requests of the traced URL by status
// and statusDetails, from the traced forwarding rule's request logs.
func TestTraceLogs(t *testing.T) {
	t.Parallel()
	f := traceProject(t)
	res := f.runCommand(t, "trace", testToken, nil, "--format", "json", "--ip", "34.111.42.7", "--logs", "1h", "https://shop.example.com/cart")
	var r struct {
		Logs struct {
			URL             string
			ForwardingRules []string
			Total           int
			Counts          []struct {
				Status  int
				Details string `json:"statusDetails"`
				Count   int
			}
		}
	}
	if err := json.Unmarshal([]byte(res.stdout), &r); err != nil {
		t.Fatalf("%v\n%s", err, res.stdout)
	}
	l := r.Logs
	// The demo's logs: 23 502s across six paths, every sixth one /cart.
	if l.URL != "https://shop.example.com/cart" || strings.Join(l.ForwardingRules, ",") != "k8s2-fs-"+webLB || l.Total != 4 ||
		len(l.Counts) != 1 || l.Counts[0].Status != 502 || l.Counts[0].Details != "backend_connection_closed_before_data_sent_to_client" || l.Counts[0].Count != 4 {
		t.Errorf("logs: %+v", l)
	}
	f.logsOnce.Do(func() {}) // the logging fake was built by then
	if got := f.logs.Queries(); len(got) != 1 || !strings.Contains(got[0], `httpRequest.requestUrl:"//shop.example.com/cart"`) || !strings.Contains(got[0], `resource.labels.forwarding_rule_name=("k8s2-fs-`+webLB+`")`) {
		t.Errorf("log queries: %v", got)
	}
	table := f.runCommand(t, "trace", testToken, nil, "--ip", "34.111.42.7", "--logs", "1h", "https://shop.example.com/cart")
	if !strings.Contains(table.stdout, "Logs: 4 requests of https://shop.example.com/cart on k8s2-fs-"+webLB) {
		t.Errorf("table:\n%s", table.stdout)
	}
}

// TestTraceFindingsAgreeWithInspect: a trace reads a part of the project,
// and a part must never make up a problem. Every finding a trace shows on
// its hops is one a full inspect of the same project reports too.
func TestTraceFindingsAgreeWithInspect(t *testing.T) {
	t.Parallel()
	f := traceProject(t)
	full := parseReport(t, f.run(t, "--format", "json", "--health", "all").stdout)
	known := map[string]bool{}
	for _, fd := range full.Findings {
		known[fd.Rule+" "+fd.Message] = true
	}
	n := 0
	for _, args := range [][]string{
		{"--ip", "34.111.42.7", "https://shop.example.com/checkout/cart"},
		{"--ip", "34.111.42.7", "http://shop.example.com/"},
		{"--ip", "10.10.0.40", "http://orders.internal/v1/orders"},
		{"--ip", "34.111.42.7", "https://34.111.42.7/"},
	} {
		_, r := f.trace(t, args...)
		for _, c := range r.Candidates {
			for _, h := range c.Hops {
				for _, fd := range h.Findings {
					n++
					if !known[fd.Rule+" "+fd.Message] {
						t.Errorf("%v: the trace's finding on %s %s is not in the full report: %s: %s", args, h.Kind, h.Name, fd.Rule, fd.Message)
					}
				}
			}
		}
	}
	if n < 5 {
		t.Errorf("only %d findings on the hops of the four traces", n)
	}
}

// addStaticSite adds a load balancer of the project's own, not GKE's:
// 34.120.9.9:80 to a map whose default is a backend bucket.
func addStaticSite(f *fakeProject) {
	f.index.put(map[string]any{"kind": "compute#backendBucket", "id": "8900001", "name": "shop-static", "bucketName": "acme-shop-static",
		"enableCdn": true, "selfLink": demoGC + "/global/backendBuckets/shop-static", "creationTimestamp": "2026-03-02T10:00:00.000-08:00"})
	f.index.put(map[string]any{"kind": "compute#urlMap", "id": "8900002", "name": "static-map", "selfLink": demoGC + "/global/urlMaps/static-map",
		"defaultService": demoGC + "/global/backendBuckets/shop-static"})
	f.index.put(map[string]any{"kind": "compute#targetHttpProxy", "id": "8900003", "name": "static-proxy", "selfLink": demoGC + "/global/targetHttpProxies/static-proxy",
		"urlMap": demoGC + "/global/urlMaps/static-map"})
	f.index.put(map[string]any{"kind": "compute#forwardingRule", "id": "8900004", "name": "static-fr", "selfLink": demoGC + "/global/forwardingRules/static-fr",
		"IPAddress": "34.120.9.9", "IPProtocol": "TCP", "portRange": "80-80", "target": demoGC + "/global/targetHttpProxies/static-proxy",
		"loadBalancingScheme": "EXTERNAL_MANAGED", "networkTier": "PREMIUM"})
}

// TestTraceBackendBucket ends a trace at a backend bucket.
func TestTraceBackendBucket(t *testing.T) {
	t.Parallel()
	f := traceProject(t)
	addStaticSite(f)
	res, r := f.trace(t, "--ip", "34.120.9.9", "http://static.example.com/app.js")
	c := r.Candidates[0]
	if c.Action.Type != "bucket" || c.Action.BackendBucket != demoGC+"/global/backendBuckets/shop-static" {
		t.Errorf("action: %+v", c.Action)
	}
	if got := strings.Join(r.hopKinds(0), ", "); got != "ForwardingRule ok, TargetHttpProxy ok, UrlMap ok, BackendBucket ok" {
		t.Errorf("hops: %s", got)
	}
	if h := r.hop(t, 0, "BackendBucket", "shop-static"); h.Reason != "Cloud Storage bucket gs://acme-shop-static, Cloud CDN on" {
		t.Errorf("bucket hop: %+v", h)
	}
	if res.code != 0 || r.Answer != "would be served from backend bucket shop-static" {
		t.Errorf("exit %d answer %q", res.code, r.Answer)
	}
	// No GKE backend: no cluster is read.
	if got := f.requests("kubernetes/"); len(got) > 0 {
		t.Errorf("cluster reads: %v", got)
	}
}

// traceRequests runs traces of every kind of load balancer the tests know
// (global with a certificate and logs, regional internal, a Gateway's,
// a backend bucket) and returns the requests they sent, as
// "api METHOD path?query".
func traceRequests(t *testing.T) []string {
	f := traceProject(t)
	addStoreGateway(t, f, nil)
	addStaticSite(f)
	for _, args := range [][]string{
		{"--ip", "34.111.42.7", "--logs", "1h", "https://shop.example.com/checkout"},
		{"--ip", "10.10.0.40", "http://orders.internal/"},
		{"--ip", "34.120.8.9", "http://store.example.com/"},
		{"--ip", "34.120.9.9", "http://static.example.com/"},
	} {
		if res := f.runCommand(t, "trace", testToken, nil, args...); res.code == 2 {
			t.Fatalf("trace %v: %s", args, res.stderr)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.hits {
		out = append(out, k)
	}
	return out
}
