package rules

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/events"
	"github.com/lbdiag/lbdiag/inspect/rules/gateway"
	"github.com/lbdiag/lbdiag/inspect/rules/ingress"
	"github.com/lbdiag/lbdiag/inspect/rules/lb"
	"github.com/lbdiag/lbdiag/inspect/rules/network"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// The tests below run rules of different families together: a finding of
// one folds into another's (inspect.Finding.AttachTo), which only a run of
// both shows.

// TestSyncErrorFoldsIntoItsCause: a controller's sync failure whose cause a
// configuration rule reports becomes that finding's evidence, not a second
// row.
func TestSyncErrorFoldsIntoItsCause(t *testing.T) {
	t.Parallel()
	collected := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	cl := ruletest.ProdCluster()
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", map[string]string{gke.AnnBackendConfig: `{"default":"gone"}`})}
	cl.Ingresses = []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")}
	cl.Events = []corev1.Event{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "site.1"},
		InvolvedObject: corev1.ObjectReference{Kind: "Ingress", Namespace: "shop", Name: "site"}, Type: "Warning", Reason: "Translate",
		Message: `Translation failed: invalid ingress spec: error getting BackendConfig for port "&ServiceBackendPort{Name:,Number:80,}" on service "shop/web", err: no BackendConfig for service port exists.`,
		Count:   3, Source: corev1.EventSource{Component: "loadbalancer-controller"}, LastTimestamp: metav1.NewTime(collected.Add(-time.Minute))}}
	inv := ruletest.Inventory(cl)
	inv.CollectedAt = collected
	res := ruletest.RunAll(inv, ingress.BackendConfigMissing, events.LBSyncError)
	if len(res.Findings) != 1 || res.Findings[0].Rule != "backendconfig-missing" {
		t.Fatalf("findings: %v", ruletest.Messages(res.Findings))
	}
	attached, _ := res.Findings[0].Evidence["lb-sync-error"].([]map[string]any)
	if len(attached) != 1 || attached[0]["reason"] != "Translate" || attached[0]["count"] != int32(3) {
		t.Errorf("attached evidence = %v", attached)
	}
}

// TestGatewayConditionFoldsIntoProxyOnlySubnet: a Gateway's Programmed
// condition quoting the missing proxy-only subnet is evidence of
// proxy-only-subnet-missing.
func TestGatewayConditionFoldsIntoProxyOnlySubnet(t *testing.T) {
	t.Parallel()
	cl := ruletest.ProdCluster()
	stuck := ruletest.Gateway("shop", "stuck", "gke-l7-regional-external-managed")
	stuck.Status.Conditions = []metav1.Condition{{Type: "Programmed", Status: metav1.ConditionFalse, Reason: "Invalid",
		Message: "An active proxy-only subnetwork is required in the same region and VPC as the forwarding rule."}}
	cl.Gateways = []inventory.Gateway{stuck}
	inv := ruletest.Inventory(cl)
	inv.Compute.Subnetworks = []*compute.Subnetwork{ruletest.Subnetwork(ruletest.Project, "europe-west1", "nodes", "vpc", "10.0.0.0/20", "PRIVATE", "")}
	res := ruletest.RunAll(inv, gateway.GatewayNotProgrammed, network.ProxyOnlySubnetMissing)
	if len(res.Findings) != 1 || res.Findings[0].Rule != "proxy-only-subnet-missing" || res.Findings[0].Evidence["gateway-not-programmed"] == nil {
		t.Errorf("not folded: %v", ruletest.Messages(res.Findings))
	}
}

// TestGatewayEchoesFoldIntoStaticRules: a route naming a Service that does
// not exist is route-backend-missing's, statically; the controller's
// ResolvedRefs condition on the route and its GWCER102 event on the
// Gateway are added to that finding as evidence, not rows of their own.
func TestGatewayEchoesFoldIntoStaticRules(t *testing.T) {
	t.Parallel()
	collected := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	cl := ruletest.ProdCluster()
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", nil)}
	cl.Gateways = []inventory.Gateway{ruletest.Gateway("shop", "store", "gke-l7-global-external-managed")}
	var r inventory.HTTPRoute
	if err := json.Unmarshal([]byte(`{"metadata":{"name":"web","namespace":"shop"},"spec":{"parentRefs":[{"name":"store"}],
	  "rules":[{"backendRefs":[{"name":"wbe","port":80}]}]},
	  "status":{"parents":[{"parentRef":{"name":"store"},"controllerName":"networking.gke.io/gateway","conditions":[
	    {"type":"Accepted","status":"True","reason":"Accepted","message":"","lastTransitionTime":"2026-11-20T11:00:00Z"},
	    {"type":"ResolvedRefs","status":"False","reason":"BackendNotFound","message":"Object reference of HTTPRoute \"shop/web\" failed to be resolved: Error GWCER102: services shop/wbe not found","lastTransitionTime":"2026-11-20T11:00:00Z"}]}]}}`), &r); err != nil {
		t.Fatal(err)
	}
	cl.HTTPRoutes = []inventory.HTTPRoute{r}
	cl.Events = []corev1.Event{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web.1"}, Type: "Warning", Reason: "UPDATE",
		Message: `Error GWCER104: HTTPRoute "shop/web" is misconfigured, err: Error GWCER102: services shop/wbe not found`, Count: 2,
		Source: corev1.EventSource{Component: "sc-gateway-controller"}, LastTimestamp: metav1.NewTime(collected.Add(-time.Minute)),
		InvolvedObject: corev1.ObjectReference{Kind: "HTTPRoute", Namespace: "shop", Name: "web"}}}
	inv := ruletest.Inventory(cl)
	inv.CollectedAt = collected
	res := ruletest.RunAll(inv, gateway.RouteBackendMissing, gateway.GatewayNotProgrammed, events.GatewaySyncError)
	if len(res.Findings) != 1 || res.Findings[0].Rule != "route-backend-missing" {
		t.Fatalf("findings: %v", ruletest.Messages(res.Findings))
	}
	if ev := res.Findings[0].Evidence; ev["gateway-not-programmed"] == nil || ev["gateway-sync-error"] == nil {
		t.Errorf("evidence: %v", ev)
	}
}

// TestNoRuleCrashesOnResourceBackends runs every rule over Ingresses whose
// backends are resources, not Services.
func TestNoRuleCrashesOnResourceBackends(t *testing.T) {
	t.Parallel()
	cl := ruletest.ProdCluster()
	for _, class := range []string{"", "gce-internal", "gce-regional-external"} {
		ing := ruletest.Ingress("shop", "site-"+class, class, "web")
		ing.Spec.DefaultBackend = &networkingv1.IngressBackend{Resource: &corev1.TypedLocalObjectReference{Kind: "StorageBucket", Name: "static"}}
		ing.Spec.Rules[0].HTTP.Paths[0].Backend = networkingv1.IngressBackend{Resource: &corev1.TypedLocalObjectReference{Kind: "ConfigMap", Name: "x"}}
		ing.Spec.Rules = append(ing.Spec.Rules, networkingv1.IngressRule{Host: "no-http.example.com"})
		cl.Ingresses = append(cl.Ingresses, ing)
	}
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", map[string]string{gke.AnnBackendConfig: `{"default":"x"}`})}
	res := inspect.Run(ruletest.Inventory(cl), All())
	for _, f := range res.Failures {
		if f.Status == inventory.StatusError {
			t.Errorf("%s crashed: %s", f.Source, f.Error)
		}
	}
	n := 0
	for _, f := range res.Findings {
		if f.Rule == "ingress-backend-not-service" {
			n++
		}
	}
	if n != 6 {
		t.Errorf("%d resource-backend findings, want 6", n)
	}
}

// TestUnhealthyBackendFoldsIntoItsCause: a backend service of VMs whose
// health checkers the firewall blocks is one row, the firewall finding,
// with getHealth's verdict as its evidence; without the cause, the
// unhealthy backend stands on its own.
func TestUnhealthyBackendFoldsIntoItsCause(t *testing.T) {
	t.Parallel()
	build := func(ports ...string) *inventory.Inventory {
		inv := ruletest.LBProject()
		c := &inv.Compute
		hc := &compute.HealthCheck{Name: "web-hc", SelfLink: ruletest.G("global/healthChecks/web-hc"), Type: "HTTP",
			HttpHealthCheck: &compute.HTTPHealthCheck{PortSpecification: "USE_SERVING_PORT", RequestPath: "/healthz"}}
		ig := ruletest.G("zones/us-central1-a/instanceGroups/web-ig")
		bs := &compute.BackendService{Name: "web", SelfLink: ruletest.G("global/backendServices/web"), LoadBalancingScheme: "EXTERNAL_MANAGED",
			Protocol: "HTTP", PortName: "http", HealthChecks: []string{hc.SelfLink}, Backends: []*compute.Backend{{Group: ig}}}
		vm := &compute.Instance{Name: "web-1", SelfLink: ruletest.G("zones/us-central1-a/instances/web-1"), Tags: &compute.Tags{Items: []string{"web"}},
			NetworkInterfaces: []*compute.NetworkInterface{{Network: ruletest.G("global/networks/prod-vpc"), NetworkIP: "10.0.0.2"}}}
		c.HealthChecks, c.BackendServices, c.Instances = []*compute.HealthCheck{hc}, []*compute.BackendService{bs}, []*compute.Instance{vm}
		c.InstanceGroups = []*compute.InstanceGroup{{Name: "web-ig", SelfLink: ig, Zone: ruletest.G("zones/us-central1-a"), Network: ruletest.G("global/networks/prod-vpc"),
			NamedPorts: []*compute.NamedPort{{Name: "http", Port: 8080}}}}
		c.URLMaps = []*compute.UrlMap{{Name: "web-map", SelfLink: ruletest.G("global/urlMaps/web-map"), DefaultService: bs.SelfLink}}
		c.BackendHealth = map[string]map[string]*compute.BackendServiceGroupHealth{bs.SelfLink: {ig: {HealthStatus: []*compute.HealthStatus{
			{Instance: vm.SelfLink, IpAddress: "10.0.0.2", Port: 8080, HealthState: "UNHEALTHY"}}}}}
		fw := ruletest.Firewall("allow-hc", 1000, "35.191.0.0/16,130.211.0.0/22", ports...)
		fw.Network, fw.Direction = ruletest.G("global/networks/prod-vpc"), "INGRESS"
		c.Firewalls = []*compute.Firewall{fw}
		return inv
	}
	res := ruletest.RunAll(build("80"), network.HealthCheckFirewallMissing, lb.BackendUnhealthy)
	if len(res.Findings) != 1 || res.Findings[0].Rule != "health-check-firewall-missing" {
		t.Fatalf("findings: %v", ruletest.Messages(res.Findings))
	}
	f := res.Findings[0]
	if ev, _ := f.Evidence["backend-unhealthy"].([]map[string]any); len(ev) != 1 || !strings.Contains(f.Message, "getHealth: no healthy endpoint in 1 of the 1 backend groups of web") {
		t.Errorf("backend-unhealthy not folded in: %q %v", f.Message, f.Evidence)
	}
	// The firewall admits the port: the backend is unhealthy for a reason
	// lbdiag does not see, and says so on its own.
	res = ruletest.RunAll(build("8080"), network.HealthCheckFirewallMissing, lb.BackendUnhealthy)
	if len(res.Findings) != 1 || res.Findings[0].Rule != "backend-unhealthy" {
		t.Fatalf("findings: %v", ruletest.Messages(res.Findings))
	}
}

// TestXPNEventFoldsIntoFirewallFinding: the command GKE's XPN event asks
// the host project's security admin to run joins the firewall finding on
// the same Ingress.
func TestXPNEventFoldsIntoFirewallFinding(t *testing.T) {
	t.Parallel()
	inv, cl := ruletest.FirewallSetup("gce", 8080)
	inv.CollectedAt = ruletest.Now
	cmd := "gcloud compute firewall-rules create k8s-fw-l7--0123456789abcdef --network vpc --description \"GCE L7 firewall rule\" --allow tcp:30000-32767,tcp:8080 --source-ranges 130.211.0.0/22,35.191.0.0/16 --target-tags gke-prod-1234-node --project acme-test"
	cl.Events = []corev1.Event{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "site.1"}, Type: "Normal", Reason: "XPN",
		Message: "Firewall change required by security admin: `" + cmd + "`", Count: 4, Source: corev1.EventSource{Component: "loadbalancer-controller"},
		LastTimestamp: metav1.NewTime(ruletest.Now.Add(-time.Minute)), InvolvedObject: corev1.ObjectReference{Kind: "Ingress", Namespace: "shop", Name: "site"}}}
	res := ruletest.RunAll(inv, network.HealthCheckFirewallMissing, events.FirewallChangeRequired)
	if len(res.Findings) != 1 || res.Findings[0].Rule != "health-check-firewall-missing" {
		t.Fatalf("findings: %v", ruletest.Messages(res.Findings))
	}
	f := res.Findings[0]
	if !strings.Contains(f.Message, "GKE asks the host project's security admin (event XPN") || !strings.Contains(f.Message, cmd) {
		t.Errorf("message lacks the event's command: %q", f.Message)
	}
	if ev, _ := f.Evidence["firewall-change-required"].([]map[string]any); len(ev) != 1 || ev[0]["command"] != cmd {
		t.Errorf("evidence = %v", f.Evidence["firewall-change-required"])
	}
}
