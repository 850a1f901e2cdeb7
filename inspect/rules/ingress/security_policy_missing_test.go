package ingress

import (
	"encoding/json"
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestSecurityPolicyMissing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		policy   *inventory.BackendConfigSecurityPolicy
		policies []*compute.SecurityPolicy
		fail     inventory.Source
		failKube bool
		want     string
		wantFix  string
	}{
		{name: "global policy exists", policy: &inventory.BackendConfigSecurityPolicy{Name: "edge-waf"},
			policies: []*compute.SecurityPolicy{ruletest.SecurityPolicy("edge-waf", "")}},
		{name: "typo", policy: &inventory.BackendConfigSecurityPolicy{Name: "edge-wafs"},
			policies: []*compute.SecurityPolicy{ruletest.SecurityPolicy("edge-waf", ""), ruletest.SecurityPolicy("office-only", "")},
			want:     `"edge-wafs", but project acme-test has no global Cloud Armor security policy of that name; the project has "edge-waf" (a typo?)`,
			wantFix:  `kubectl patch backendconfig web-bc -n shop --type merge -p '{"spec":{"securityPolicy":{"name":"edge-waf"}}}'`},
		{name: "only a regional policy of that name", policy: &inventory.BackendConfigSecurityPolicy{Name: "edge-waf"},
			policies: []*compute.SecurityPolicy{ruletest.SecurityPolicy("edge-waf", "europe-west1")},
			want:     "a regional policy of that name exists in europe-west1; GKE Ingress attaches only global policies",
			wantFix:  "gcloud compute security-policies create edge-waf --project acme-test"},
		{name: "no policy at all", policy: &inventory.BackendConfigSecurityPolicy{Name: "edge-waf"},
			want: "the project has no global security policy at all"},
		{name: "empty name removes the policy", policy: &inventory.BackendConfigSecurityPolicy{Name: ""}},
		{name: "no securityPolicy section"},
		{name: "policy list failed: silent", policy: &inventory.BackendConfigSecurityPolicy{Name: "edge-waf"},
			fail: inventory.ComputeSecurityPolicies},
		{name: "BackendConfig list failed: silent", policy: &inventory.BackendConfigSecurityPolicy{Name: "edge-waf"},
			failKube: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := ruletest.ProdCluster()
			cl.BackendConfigs = []inventory.BackendConfig{ruletest.BackendConfig("shop", "web-bc", inventory.BackendConfigSpec{SecurityPolicy: tc.policy})}
			cl.Services = []corev1.Service{ruletest.Service("shop", "web", map[string]string{"cloud.google.com/backend-config": `{"default":"web-bc"}`})}
			inv := ruletest.Inventory(cl)
			inv.Compute.SecurityPolicies = tc.policies
			if tc.fail != "" {
				ruletest.FailSource(inv, tc.fail, inventory.ProjectScope(ruletest.Project))
			}
			if tc.failKube {
				ruletest.FailSource(inv, inventory.KubeBackendConfigs, cl.Scope())
			}
			got := ruletest.Run(t, inv, SecurityPolicyMissing)
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("want no finding, got %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want 1 finding, got %+v", got)
			}
			f := got[0]
			if !strings.Contains(f.Message, tc.want) {
				t.Errorf("message %q does not contain %q", f.Message, tc.want)
			}
			if !strings.Contains(f.Message, "Services using this BackendConfig: shop/web") {
				t.Errorf("message %q does not name the Service", f.Message)
			}
			if !strings.Contains(f.Remediation, tc.wantFix) {
				t.Errorf("remediation %q does not contain %q", f.Remediation, tc.wantFix)
			}
			if f.Resource.Kind != "BackendConfig" || f.Resource.Namespace != "shop" || f.Resource.Name != "web-bc" {
				t.Errorf("resource = %+v", f.Resource)
			}
		})
	}
}

func TestSecurityPolicyMissingCounts(t *testing.T) {
	t.Parallel()
	backendPolicy := func(name, spec string) inventory.GCPBackendPolicy {
		var pol inventory.GCPBackendPolicy
		if err := json.Unmarshal([]byte(`{"metadata":{"namespace":"shop","name":"`+name+`"},"spec":{"targetRef":{"kind":"Service","name":"web"}`+spec+`}}`), &pol); err != nil {
			t.Fatal(err)
		}
		return pol
	}
	objects := func(cl *inventory.Cluster) {
		cl.BackendConfigs = []inventory.BackendConfig{
			ruletest.BackendConfig("shop", "a", inventory.BackendConfigSpec{SecurityPolicy: &inventory.BackendConfigSecurityPolicy{Name: "edge-waf"}}),  // exists: passes
			ruletest.BackendConfig("shop", "b", inventory.BackendConfigSpec{SecurityPolicy: &inventory.BackendConfigSecurityPolicy{Name: "edge-wafs"}}), // fails
			ruletest.BackendConfig("shop", "c", inventory.BackendConfigSpec{SecurityPolicy: &inventory.BackendConfigSecurityPolicy{Name: ""}}),          // removes it: not judged
			ruletest.BackendConfig("shop", "d", inventory.BackendConfigSpec{}),                                                                          // none: not judged
		}
		cl.GCPBackendPolicies = []inventory.GCPBackendPolicy{
			backendPolicy("p1", `,"default":{"securityPolicy":"gone"}`),     // fails
			backendPolicy("p2", `,"default":{"securityPolicy":"edge-waf"}`), // passes
			backendPolicy("p3", ``), // none: not judged
		}
	}
	cl := ruletest.ProdCluster()
	objects(cl)
	edge := edgeCluster()
	objects(edge)
	inv := ruletest.Inventory(cl, edge)
	inv.Compute.SecurityPolicies = []*compute.SecurityPolicy{ruletest.SecurityPolicy("edge-waf", "")}
	// Cluster edge's BackendConfigs and GCPBackendPolicies could not be
	// read: 2 places not checked, its objects not judged.
	ruletest.FailSource(inv, inventory.KubeBackendConfigs, edge.Scope())
	ruletest.FailSource(inv, inventory.KubeGCPBackendPolicies, edge.Scope())
	c := ruletest.ExpectCounts(t, inv, SecurityPolicyMissing, ruletest.Counts{Judged: 4, Passed: 2, Failed: 2, CouldNotCheck: 2})
	expectReason(t, c, inventory.KubeBackendConfigs)
	expectReason(t, c, inventory.KubeGCPBackendPolicies)

	// The policies could not be listed: nothing judged.
	ruletest.FailSource(inv, inventory.ComputeSecurityPolicies, inventory.ProjectScope(ruletest.Project))
	c = ruletest.ExpectCounts(t, inv, SecurityPolicyMissing, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, inventory.ComputeSecurityPolicies)
}
