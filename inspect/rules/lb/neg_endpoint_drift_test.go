package lb

import (
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// driftInventory is Service shop/web behind its NEG in europe-west1-b;
// the NEG holds negIPs (as getHealth lists them), and the Service's
// EndpointSlice, last changed at changed, has the Pods of pods (ip, zone,
// ready).
func driftInventory(negIPs []string, changed time.Time, pods ...[3]string) *inventory.Inventory {
	cl, bs := ruletest.NEGService(30, corev1.Container{Name: "web"}, nil)
	es := discoveryv1.EndpointSlice{AddressType: discoveryv1.AddressTypeIPv4}
	es.Namespace, es.Name = "shop", "web-x7k2p"
	es.Labels = map[string]string{discoveryv1.LabelServiceName: "web"}
	at := metav1.NewTime(changed)
	es.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "endpointslice-controller.k8s.io", Operation: metav1.ManagedFieldsOperationUpdate, Time: &at}}
	for _, pod := range pods {
		zone, ready := pod[1], pod[2] == "ready"
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{Addresses: []string{pod[0]}, Zone: &zone, Conditions: discoveryv1.EndpointConditions{Ready: &ready}})
	}
	cl.EndpointSlices = []discoveryv1.EndpointSlice{es}
	inv := ruletest.Inventory(cl)
	inv.CollectedAt = ruletest.Now
	inv.Compute.BackendServices = []*compute.BackendService{bs}
	h := &compute.BackendServiceGroupHealth{}
	for _, ip := range negIPs {
		h.HealthStatus = append(h.HealthStatus, &compute.HealthStatus{IpAddress: ip, Port: 8080, HealthState: "HEALTHY"})
	}
	inv.Compute.BackendHealth = map[string]map[string]*compute.BackendServiceGroupHealth{bs.SelfLink: {bs.Backends[0].Group: h}}
	return inv
}

func TestNEGEndpointDrift(t *testing.T) {
	t.Parallel()
	hourAgo, justNow := ruletest.Now.Add(-time.Hour), ruletest.Now.Add(-time.Minute)
	b, c := "europe-west1-b", "europe-west1-c"
	tests := []struct {
		name string
		inv  *inventory.Inventory
		want []string
	}{
		{"in step", driftInventory([]string{"10.8.0.5", "10.8.0.6"}, hourAgo, [3]string{"10.8.0.5", b, "ready"}, [3]string{"10.8.0.6", b, "ready"}, [3]string{"10.8.1.7", c, "ready"}), nil},
		{"a Pod gone, its endpoint left", driftInventory([]string{"10.8.0.5", "10.8.0.9"}, hourAgo, [3]string{"10.8.0.5", b, "ready"}),
			[]string{"NEG k8s1-0123abcd-shop-web-80-9f8e7d6c (europe-west1-b) of Service shop/web port http (80) holds 2 endpoints, but 1 endpoint with no Pod of the Service behind it (10.8.0.9)"}},
		{"a Pod gone a minute ago: the controller is removing it", driftInventory([]string{"10.8.0.5", "10.8.0.9"}, justNow, [3]string{"10.8.0.5", b, "ready"}), nil},
		{"a not-ready Pod is still the Service's", driftInventory([]string{"10.8.0.5", "10.8.0.6"}, hourAgo, [3]string{"10.8.0.5", b, "ready"}, [3]string{"10.8.0.6", b, "not"}), nil},
		{"a ready Pod missing an hour after the slice changed", driftInventory([]string{"10.8.0.5"}, hourAgo, [3]string{"10.8.0.5", b, "ready"}, [3]string{"10.8.0.6", b, "ready"}),
			[]string{"1 of its 2 ready Pods in europe-west1-b are missing (10.8.0.6), 1h0m0s after the EndpointSlices last changed"}},
		{"a ready Pod missing a minute after the slice changed: syncing", driftInventory([]string{"10.8.0.5"}, justNow, [3]string{"10.8.0.5", b, "ready"}, [3]string{"10.8.0.6", b, "ready"}), nil},
		{"a Pod of another zone is another NEG's", driftInventory([]string{"10.8.0.5"}, hourAgo, [3]string{"10.8.0.5", b, "ready"}, [3]string{"10.8.1.7", c, "ready"}), nil},
		{"many gone: a few named", driftInventory([]string{"10.8.0.1", "10.8.0.2", "10.8.0.3", "10.8.0.4", "10.8.0.5"}, hourAgo, [3]string{"10.8.0.5", b, "ready"}),
			[]string{"4 endpoints with no Pod of the Service behind them (10.8.0.1, 10.8.0.2, 10.8.0.3 and 1 more)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ruletest.Expect(t, ruletest.Run(t, tc.inv, NEGEndpointDrift), tc.want...)
		})
	}
}

func TestNEGEndpointDriftCounts(t *testing.T) {
	t.Parallel()
	// One NEG whose health was read: the Service is judged, and fails with
	// a gone Pod.
	inv := driftInventory([]string{"10.8.0.5", "10.8.0.9"}, ruletest.Now.Add(-time.Hour), [3]string{"10.8.0.5", "europe-west1-b", "ready"})
	ruletest.ExpectCounts(t, inv, NEGEndpointDrift, ruletest.Counts{Judged: 1, Failed: 1})
	// The slices changed a minute ago: too soon to compare, so neither
	// passed nor failed.
	recent := driftInventory([]string{"10.8.0.5"}, ruletest.Now.Add(-time.Minute), [3]string{"10.8.0.5", "europe-west1-b", "ready"})
	ruletest.ExpectCounts(t, recent, NEGEndpointDrift, ruletest.Counts{})
	// Its health not read: not judged, no drift is invented, and the
	// unread health is a place it could not check.
	inv.Compute.BackendHealth = nil
	c := ruletest.ExpectCounts(t, inv, NEGEndpointDrift, ruletest.Counts{CouldNotCheck: 1})
	if !strings.Contains(strings.Join(c.Reasons, " "), "compute.backendServices.getHealth") {
		t.Errorf("reasons %q", c.Reasons)
	}
	// The EndpointSlices not read: the cluster is a place it could not
	// check.
	inv = driftInventory([]string{"10.8.0.5"}, ruletest.Now.Add(-time.Hour), [3]string{"10.8.0.5", "europe-west1-b", "ready"})
	ruletest.FailSource(inv, inventory.KubeEndpointSlices, inv.Clusters[0].Scope())
	c = ruletest.ExpectCounts(t, inv, NEGEndpointDrift, ruletest.Counts{CouldNotCheck: 1})
	if !strings.Contains(strings.Join(c.Reasons, " "), "kubernetes.endpointslices") {
		t.Errorf("reasons %q", c.Reasons)
	}
}
