package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// servingCase is Service shop/web's NEG backend service with logging on
// or off, and its groups' health by zone (nil: not read).
type servingCase struct {
	name    string
	groups  map[string]*compute.BackendServiceGroupHealth
	logging bool
	want    string
}

// servingInventory is the world of a servingCase.
func servingInventory(groups map[string]*compute.BackendServiceGroupHealth, logging bool) *inventory.Inventory {
	group := func(zone string) string {
		return ruletest.ComputeBase + ruletest.Project + "/zones/" + zone + "/networkEndpointGroups/k8s1-0123abcd-shop-web-80-9f8e7d6c"
	}
	cl, bs := ruletest.NEGService(30, corev1.Container{Name: "web"}, nil)
	cl.Ingresses[0].Annotations[gke.AnnIngressBackends] = `{"` + bs.Name + `":"HEALTHY"}`
	bs.Backends = nil
	bs.LogConfig = &compute.BackendServiceLogConfig{Enable: logging}
	inv := ruletest.Inventory(cl)
	inv.Compute.BackendServices = []*compute.BackendService{bs}
	inv.Compute.BackendHealth = map[string]map[string]*compute.BackendServiceGroupHealth{bs.SelfLink: {}}
	for _, z := range core.SortedKeys(groups) {
		bs.Backends = append(bs.Backends, &compute.Backend{Group: group(z)})
		if h := groups[z]; h != nil {
			inv.Compute.BackendHealth[bs.SelfLink][group(z)] = h
		}
	}
	return inv
}

func runServingCases(t *testing.T, rule *inspect.Rule, tests []servingCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv := servingInventory(tc.groups, tc.logging)
			if tc.want == "" {
				ruletest.Expect(t, ruletest.Run(t, inv, rule))
				return
			}
			ruletest.Expect(t, ruletest.Run(t, inv, rule), tc.want)
		})
	}
}

// health is a group's getHealth answer with endpoints in these states.
func health(states ...string) *compute.BackendServiceGroupHealth {
	h := &compute.BackendServiceGroupHealth{}
	for _, s := range states {
		h.HealthStatus = append(h.HealthStatus, &compute.HealthStatus{HealthState: s})
	}
	return h
}

// TestBackendServicesMatchedByScope gives a regional backend service the
// name of a gce Ingress's global one: the Ingress's annotation names the
// global one (its class's scope), and only that one is judged.
func TestBackendServicesMatchedByScope(t *testing.T) {
	t.Parallel()
	cl, bs := ruletest.NEGService(30, corev1.Container{Name: "web"}, nil)
	cl.Ingresses[0].Annotations[gke.AnnIngressBackends] = `{"` + bs.Name + `":"HEALTHY"}`
	group := ruletest.ComputeBase + ruletest.Project + "/zones/europe-west1-b/networkEndpointGroups/" + bs.Name
	bs.Backends = []*compute.Backend{{Group: group}}
	bs.LogConfig = &compute.BackendServiceLogConfig{Enable: true}
	regional := *bs
	regional.Region = ruletest.ComputeBase + ruletest.Project + "/regions/europe-west1"
	regional.SelfLink = ruletest.ComputeBase + ruletest.Project + "/regions/europe-west1/backendServices/" + bs.Name
	regional.LogConfig = &compute.BackendServiceLogConfig{Enable: false}
	inv := ruletest.Inventory(cl)
	inv.Compute.BackendServices = []*compute.BackendService{bs, &regional}
	sick := &compute.BackendServiceGroupHealth{HealthStatus: []*compute.HealthStatus{{HealthState: "UNHEALTHY"}}}
	well := &compute.BackendServiceGroupHealth{HealthStatus: []*compute.HealthStatus{{HealthState: "HEALTHY"}}}
	inv.Compute.BackendHealth = map[string]map[string]*compute.BackendServiceGroupHealth{bs.SelfLink: {group: well}, regional.SelfLink: {group: sick}}
	ruletest.Expect(t, ruletest.Run(t, inv, BackendUnhealthy))
	ruletest.Expect(t, ruletest.Run(t, inv, BackendLoggingDisabled))
	// A gce-internal Ingress names the regional one.
	cl.Ingresses[0].Annotations[gke.AnnIngressClass] = "gce-internal"
	ruletest.Expect(t, ruletest.Run(t, ruletest.Like(inv), BackendUnhealthy), "BackendService /"+bs.Name)
}
