package ingress

import (
	"testing"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestSecurityPolicyNotApplied(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, bsPolicy string
		regional, fail bool
		want           []string
	}{
		{name: "not applied", want: []string{"carries no security policy"}},
		{name: "another policy", bsPolicy: "old-waf", want: []string{`carries security policy "old-waf"`}},
		{name: "applied", bsPolicy: "edge-waf"},
		{name: "backend services unreadable", fail: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl, bs := ruletest.NEGService(30, corev1.Container{Name: "web"}, nil)
			cl.Services[0].Annotations[gke.AnnBackendConfig] = `{"default":"armored"}`
			cl.BackendConfigs = []inventory.BackendConfig{ruletest.BackendConfig("shop", "armored", inventory.BackendConfigSpec{SecurityPolicy: &inventory.BackendConfigSecurityPolicy{Name: "edge-waf"}})}
			if tc.bsPolicy != "" {
				bs.SecurityPolicy = ruletest.ComputeBase + ruletest.Project + "/global/securityPolicies/" + tc.bsPolicy
			}
			inv := ruletest.Inventory(cl)
			inv.Compute.BackendServices = []*compute.BackendService{bs}
			inv.Compute.SecurityPolicies = []*compute.SecurityPolicy{ruletest.SecurityPolicy("edge-waf", "")}
			if tc.fail {
				ruletest.FailSource(inv, inventory.ComputeBackendServices, inventory.ProjectScope(ruletest.Project))
			}
			got := ruletest.Run(t, inv, SecurityPolicyNotApplied)
			ruletest.Expect(t, got, tc.want...)
			if len(got) == 1 && got[0].Resource.Kind != "BackendService" {
				t.Errorf("resource %+v", got[0].Resource)
			}
		})
	}
}

func TestSecurityPolicyNotAppliedCounts(t *testing.T) {
	t.Parallel()
	// Service shop/web uses BackendConfig armored (edge-waf) and has one
	// backend service: judged, failing unless it carries edge-waf.
	setup := func(bsPolicy string) (*inventory.Inventory, *inventory.Cluster) {
		cl, bs := ruletest.NEGService(30, corev1.Container{Name: "web"}, nil)
		cl.Services[0].Annotations[gke.AnnBackendConfig] = `{"default":"armored"}`
		cl.BackendConfigs = []inventory.BackendConfig{ruletest.BackendConfig("shop", "armored", inventory.BackendConfigSpec{SecurityPolicy: &inventory.BackendConfigSecurityPolicy{Name: "edge-waf"}})}
		if bsPolicy != "" {
			bs.SecurityPolicy = ruletest.G("global/securityPolicies/" + bsPolicy)
		}
		inv := ruletest.Inventory(cl)
		inv.Compute.BackendServices = []*compute.BackendService{bs}
		inv.Compute.SecurityPolicies = []*compute.SecurityPolicy{ruletest.SecurityPolicy("edge-waf", "")}
		return inv, cl
	}
	inv, _ := setup("")
	ruletest.ExpectCounts(t, inv, SecurityPolicyNotApplied, ruletest.Counts{Judged: 1, Failed: 1})
	inv, _ = setup("edge-waf")
	ruletest.ExpectCounts(t, inv, SecurityPolicyNotApplied, ruletest.Counts{Judged: 1, Passed: 1})

	// BackendConfigs or backend services not read: nothing judged, one
	// place not checked.
	inv, cl := setup("")
	ruletest.FailSource(inv, inventory.KubeBackendConfigs, cl.Scope())
	expectReason(t, ruletest.ExpectCounts(t, inv, SecurityPolicyNotApplied, ruletest.Counts{CouldNotCheck: 1}), inventory.KubeBackendConfigs)
	inv, _ = setup("")
	ruletest.FailSource(inv, inventory.ComputeBackendServices, inventory.ProjectScope(ruletest.Project))
	expectReason(t, ruletest.ExpectCounts(t, inv, SecurityPolicyNotApplied, ruletest.Counts{CouldNotCheck: 1}), inventory.ComputeBackendServices)
}
