package gateway

import (
	"encoding/json"
	"testing"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// decode builds an object from the JSON an API server returns for it.
func decode[T any](t *testing.T, raw string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatalf("%v in %s", err, raw)
	}
	return v
}

// gkeClasses are the GatewayClasses GKE installs with the Gateway API.
func gkeClasses(t *testing.T) []inventory.GatewayClass {
	var out []inventory.GatewayClass
	for _, c := range []string{"gke-l7-global-external-managed", "gke-l7-gxlb", "gke-l7-regional-external-managed", "gke-l7-rilb"} {
		out = append(out, decode[inventory.GatewayClass](t, `{"apiVersion":"gateway.networking.k8s.io/v1","kind":"GatewayClass",
		  "metadata":{"name":"`+c+`","labels":{"addonmanager.kubernetes.io/mode":"Reconcile"}},
		  "spec":{"controllerName":"networking.gke.io/gateway"},
		  "status":{"conditions":[{"type":"Accepted","status":"True","reason":"Accepted","message":"","lastTransitionTime":"2025-02-03T18:52:10Z","observedGeneration":1}]}}`))
	}
	return out
}

func namespace(name string, labels map[string]string) corev1.Namespace {
	ns := corev1.Namespace{}
	ns.Name = name
	ns.Labels = map[string]string{"kubernetes.io/metadata.name": name}
	for k, v := range labels {
		ns.Labels[k] = v
	}
	return ns
}

// storeGateway is a healthy global external Gateway shop/store, as GKE
// leaves it after a successful sync: an HTTP listener for *.example.com
// open to every namespace, an HTTPS one with a pre-shared certificate for
// the shop's namespace only, a reserved address, and the annotations GKE
// writes.
const storeGateway = `{"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway",
  "metadata":{"name":"store","namespace":"shop","uid":"9d4c6a1e-0f2b-4b8e-a7d3-5c1e2f3a4b6d","generation":2,"creationTimestamp":"2026-06-02T09:14:51Z",
    "annotations":{"networking.gke.io/addresses":"/projects/123456789012/global/addresses/gkegw1-7k2p-shop-store-a1b2c3d4e5f6",
      "networking.gke.io/forwarding-rules":"/projects/123456789012/global/forwardingRules/gkegw1-7k2p-shop-store-r1t5y9u3i7o2, /projects/123456789012/global/forwardingRules/gkegw1-7k2p-shop-store-s2u6z0v4j8p3",
      "networking.gke.io/backend-services":"/projects/123456789012/global/backendServices/gkegw1-7k2p-shop-web-80-q2w8e4r6t1y3, /projects/123456789012/global/backendServices/gkegw1-7k2p-shop-gw-serve404-80-k3j5h7g9f2d4",
      "networking.gke.io/url-maps":"/projects/123456789012/global/urlMaps/gkegw1-7k2p-shop-store-4m1d8v0q2x7z"},
    "finalizers":["gateway.finalizer.networking.gke.io"]},
  "spec":{"gatewayClassName":"gke-l7-global-external-managed",
    "addresses":[{"type":"NamedAddress","value":"store-ip"}],
    "listeners":[
      {"name":"http","protocol":"HTTP","port":80,"hostname":"*.example.com","allowedRoutes":{"namespaces":{"from":"All"}}},
      {"name":"https","protocol":"HTTPS","port":443,"tls":{"mode":"Terminate","options":{"networking.gke.io/pre-shared-certs":"store-cert"}},"allowedRoutes":{"namespaces":{"from":"Same"}}}]},
  "status":{"addresses":[{"type":"IPAddress","value":"34.120.8.9"}],
    "conditions":[{"type":"Accepted","status":"True","reason":"Accepted","message":"","lastTransitionTime":"2026-06-02T09:16:03Z","observedGeneration":2},
      {"type":"Programmed","status":"True","reason":"Programmed","message":"","lastTransitionTime":"2026-06-02T09:16:03Z","observedGeneration":2},
      {"type":"networking.gke.io/GatewayHealthy","status":"True","reason":"Healthy","message":"","lastTransitionTime":"2026-06-02T09:16:03Z","observedGeneration":2}],
    "listeners":[{"name":"http","conditions":[{"type":"Accepted","status":"True","reason":"Accepted","message":"","lastTransitionTime":"2026-06-02T09:16:03Z"}]}]}}`

// webRoute is a healthy HTTPRoute shop/web on both listeners of the store.
const webRoute = `{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
  "metadata":{"name":"web","namespace":"shop","uid":"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d","generation":1,"creationTimestamp":"2026-06-02T09:15:10Z"},
  "spec":{"parentRefs":[{"group":"gateway.networking.k8s.io","kind":"Gateway","name":"store"}],
    "hostnames":["shop.example.com"],
    "rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/"}}],"backendRefs":[{"group":"","kind":"Service","name":"web","port":80,"weight":1}]}]},
  "status":{"parents":[{"parentRef":{"group":"gateway.networking.k8s.io","kind":"Gateway","name":"store"},"controllerName":"networking.gke.io/gateway",
    "conditions":[{"type":"Accepted","status":"True","reason":"Accepted","message":"","lastTransitionTime":"2026-06-02T09:16:03Z","observedGeneration":1},
      {"type":"ResolvedRefs","status":"True","reason":"ResolvedRefs","message":"","lastTransitionTime":"2026-06-02T09:16:03Z","observedGeneration":1}]}]}}`

// storeWorld is a project with the store Gateway, its route, Services
// shop/web and shop/api, namespaces shop and web-team (labelled
// team=web), the reserved address and the certificate: nothing wrong.
func storeWorld(t *testing.T) (*inventory.Inventory, *inventory.Cluster) {
	cl := ruletest.ProdCluster()
	cl.GatewayClasses = gkeClasses(t)
	cl.Gateways = []inventory.Gateway{decode[inventory.Gateway](t, storeGateway)}
	cl.HTTPRoutes = []inventory.HTTPRoute{decode[inventory.HTTPRoute](t, webRoute)}
	cl.Services = []corev1.Service{
		ruletest.Service("shop", "web", nil, corev1.ServicePort{Name: "http", Port: 80, TargetPort: intstr.FromInt(8080), Protocol: corev1.ProtocolTCP}),
		ruletest.Service("shop", "api", nil, corev1.ServicePort{Name: "grpc", Port: 8080, TargetPort: intstr.FromInt(9000), Protocol: corev1.ProtocolTCP}),
		ruletest.Service("web-team", "frontend", nil),
	}
	cl.Namespaces = []corev1.Namespace{namespace("default", nil), namespace("shop", nil), namespace("web-team", map[string]string{"team": "web"}), namespace("kube-system", nil)}
	inv := ruletest.Inventory(cl)
	inv.CollectedAt = ruletest.Now
	inv.Compute.Addresses = []*compute.Address{{Name: "store-ip", Address: "34.120.8.9", AddressType: "EXTERNAL", Status: "IN_USE", SelfLink: ruletest.G("global/addresses/store-ip"),
		Users: []string{ruletest.G("global/forwardingRules/gkegw1-7k2p-shop-store-r1t5y9u3i7o2")}}}
	inv.Compute.SSLCertificates = []*compute.SslCertificate{{Name: "store-cert", Type: "SELF_MANAGED", SelfLink: ruletest.G("global/sslCertificates/store-cert")}}
	return inv, cl
}

// gatewayRules are this family's rules.
var gatewayRules = []*inspect.Rule{GatewayClassMissing, RouteParentMissing, RouteNotAllowed, RouteHostnameMismatch, RouteBackendMissing,
	RouteBackendNotPermitted, GatewayAddressMissing, GatewayCertificateMissing, GatewayPolicyTargetMissing, GatewaySecurityPolicyNotApplied,
	GatewayClassFeatureUnsupported, GatewayNotProgrammed, GatewayPolicyNotAttached}

// TestHealthyGatewayHasNoFinding: a Gateway set up right gets nothing
// from any rule of the family.
func TestHealthyGatewayHasNoFinding(t *testing.T) {
	t.Parallel()
	inv, _ := storeWorld(t)
	res := ruletest.RunAll(inv, gatewayRules...)
	if len(res.Findings) > 0 || len(res.Failures) > 0 {
		t.Errorf("findings %v, failures %+v", ruletest.Messages(res.Findings), res.Failures)
	}
}

// TestNoGatewayCRDs: a cluster without the Gateway API gets no finding and
// no gap from the family.
func TestNoGatewayCRDs(t *testing.T) {
	t.Parallel()
	cl := ruletest.ProdCluster()
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", nil)}
	inv := ruletest.Inventory(cl)
	for i := range inv.Coverage {
		switch inv.Coverage[i].Source {
		case inventory.KubeGatewayClasses, inventory.KubeGateways, inventory.KubeHTTPRoutes, inventory.KubeGRPCRoutes, inventory.KubeReferenceGrants,
			inventory.KubeGCPBackendPolicies, inventory.KubeHealthCheckPolicies, inventory.KubeGCPGatewayPolicies, inventory.KubeTrafficPolicies:
			inv.Coverage[i].Status, inv.Coverage[i].Detail = inventory.StatusNotInstalled, "not installed"
		}
	}
	res := ruletest.RunAll(inv, gatewayRules...)
	if len(res.Findings) > 0 || len(res.Failures) > 0 {
		t.Errorf("findings %v, failures %+v", ruletest.Messages(res.Findings), res.Failures)
	}
}
