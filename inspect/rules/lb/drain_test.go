package lb

import (
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// drainCase is Service shop/web behind a gce Ingress through NEGs: its
// backend service's draining timeout, its Deployment's container and
// grace period; the backend service not built yet, the backend services
// unreadable, or the Service made GKE's default backend; and the findings
// expected.
type drainCase struct {
	name      string
	drain     int64
	container corev1.Container
	grace     *int64
	noBS      bool
	failBS    bool
	defaultBE bool
	want      []string
}

// drainInventory is the world of a drainCase.
func drainInventory(tc drainCase) *inventory.Inventory {
	cl, bs := ruletest.NEGService(tc.drain, tc.container, tc.grace)
	if tc.defaultBE {
		cl.Services[0].Namespace, cl.Services[0].Name = "kube-system", "default-http-backend"
		cl.Ingresses[0].Namespace = "kube-system"
		cl.Ingresses[0].Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name = "default-http-backend"
		bs.Description = strings.ReplaceAll(bs.Description, "shop/web", "kube-system/default-http-backend")
	}
	inv := ruletest.Inventory(cl)
	if !tc.noBS {
		inv.Compute.BackendServices = []*compute.BackendService{bs}
	}
	if tc.failBS {
		ruletest.FailSource(inv, inventory.ComputeBackendServices, inventory.ProjectScope(ruletest.Project))
	}
	return inv
}

func runDrainCases(t *testing.T, rule *inspect.Rule, tests []drainCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ruletest.Expect(t, ruletest.Run(t, drainInventory(tc), rule), tc.want...)
		})
	}
}

// drainCount is a drainCase's world and a rule's counts on it.
type drainCount struct {
	tc   drainCase
	want ruletest.Counts
}

// expectDrainCounts runs a rule on each drainCase's world alone and checks
// its counts.
func expectDrainCounts(t *testing.T, rule *inspect.Rule, tests map[string]drainCount) {
	t.Helper()
	for name, c := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := ruletest.ExpectCounts(t, drainInventory(c.tc), rule, c.want)
			if c.tc.failBS {
				expectReason(t, got, string(inventory.ComputeBackendServices))
			}
		})
	}
}

// sleep is a container whose preStop hook sleeps s seconds.
func sleep(s int64) corev1.Container {
	return corev1.Container{Name: "web", Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: s}}}}
}

// httpHook is a container whose preStop hook is an HTTP GET, of unknown
// duration.
var httpHook = corev1.Container{Name: "web", Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/drain", Port: intstr.FromInt(80)}}}}

// TestGatewayDrainNeedsThePolicies: behind a Gateway whose backend service
// lbdiag cannot name, the draining timeout is the GCPBackendPolicy's; when
// the policies could not be read it is unknown, not 0.
func TestGatewayDrainNeedsThePolicies(t *testing.T) {
	t.Parallel()
	setup := gatewayDrainWorld
	inv, _ := setup()
	ruletest.Expect(t, ruletest.Run(t, inv, NEGDrainTimeoutUnset), "connection draining 0 (GCPBackendPolicy spec.default.connectionDraining.drainingTimeoutSec unset")
	ruletest.Expect(t, ruletest.Run(t, inv, PreStopShorterThanDrain), "draining timeout 0 s + 60 s")

	inv, cl := setup()
	ruletest.FailSource(inv, inventory.KubeGCPBackendPolicies, cl.Scope())
	ruletest.Expect(t, ruletest.Run(t, inv, NEGDrainTimeoutUnset))
	ruletest.Expect(t, ruletest.Run(t, inv, PreStopShorterThanDrain))
}

// gatewayDrainWorld is Service shop/web behind Gateway shop/gw, without a
// backend service lbdiag can name and without a GCPBackendPolicy, and its
// Deployment with a 10 s preStop sleep.
func gatewayDrainWorld() (*inventory.Inventory, *inventory.Cluster) {
	cl := ruletest.ProdCluster()
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", nil)}
	cl.Gateways = []inventory.Gateway{ruletest.Gateway("shop", "gw", "gke-l7-global-external-managed")}
	var r inventory.HTTPRoute
	r.Namespace, r.Name = "shop", "web"
	r.Spec.ParentRefs = []inventory.ParentReference{{Name: "gw"}}
	r.Spec.Rules = append(r.Spec.Rules, inventory.HTTPRouteRule{BackendRefs: []inventory.BackendRef{{Name: "web", Port: ruletest.Ptr[int32](80)}}})
	cl.HTTPRoutes = []inventory.HTTPRoute{r}
	dep := appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}
	dep.Spec.Template.Labels = map[string]string{"app": "web"}
	dep.Spec.Template.Spec.Containers = []corev1.Container{{Name: "web", Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 10}}}}}
	cl.Deployments = []appsv1.Deployment{dep}
	return ruletest.Inventory(cl), cl
}
