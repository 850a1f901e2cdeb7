package rules

import (
	"strings"
	"testing"

	"github.com/lbdiag/lbdiag/inventory"
)

func TestBackendConfigMissing(t *testing.T) {
	t.Parallel()
	const ga, beta = "cloud.google.com/backend-config", "beta.cloud.google.com/backend-config"
	tests := []struct {
		name        string
		services    map[string]map[string]string // ns/name -> annotations
		configs     []string                     // ns/name
		noConfigCRD bool
		fail        inventory.Source
		ingress     bool
		want        []string // substrings, one per expected finding, in order
		wantFix     string
	}{
		{name: "exists in the namespace", services: map[string]map[string]string{"shop/web": {ga: `{"default":"web-bc"}`}},
			configs: []string{"shop/web-bc"}},
		{name: "only in another namespace", services: map[string]map[string]string{"shop/web": {ga: `{"default":"web-bc"}`}},
			configs: []string{"default/web-bc"}, ingress: true,
			want:    []string{`BackendConfig "web-bc" (as default), which does not exist in namespace shop; a BackendConfig of that name exists in namespace default`},
			wantFix: "kubectl get backendconfig web-bc -n default -o json"},
		{name: "typo of an existing name", services: map[string]map[string]string{"shop/web": {ga: `{"ports":{"http":"web-backendconfig"}}`}},
			configs: []string{"shop/web-backend-config"},
			want:    []string{`"web-backend-config" exists there (a typo?)`},
			wantFix: `kubectl annotate service web -n shop cloud.google.com/backend-config='{"ports":{"http":"web-backend-config"}}' --overwrite`},
		{name: "one finding per missing name", services: map[string]map[string]string{"shop/web": {ga: `{"default":"a","ports":{"http":"a","443":"b"}}`}},
			want: []string{`"a" (as default and ports[http])`, `"b" (as ports[443])`}},
		{name: "beta key read when GA absent", services: map[string]map[string]string{"shop/web": {beta: `{"default":"old-bc"}`}},
			want: []string{"Annotation beta.cloud.google.com/backend-config names BackendConfig \"old-bc\""}},
		{name: "GA key wins over beta", services: map[string]map[string]string{"shop/web": {ga: `{"default":"web-bc"}`, beta: `{"default":"gone"}`}},
			configs: []string{"shop/web-bc"}},
		{name: "CRD not installed: nothing can exist", services: map[string]map[string]string{"shop/web": {ga: `{"default":"web-bc"}`}},
			noConfigCRD: true, want: []string{`"web-bc"`}},
		{name: "BackendConfig list failed: unknown, silent", services: map[string]map[string]string{"shop/web": {ga: `{"default":"web-bc"}`}},
			fail: inventory.KubeBackendConfigs},
		{name: "Service list failed: silent", services: map[string]map[string]string{"shop/web": {ga: `{"default":"web-bc"}`}},
			fail: inventory.KubeServices},
		{name: "invalid JSON is another rule's", services: map[string]map[string]string{"shop/web": {ga: `{"default":`}}},
		{name: "no annotation", services: map[string]map[string]string{"shop/web": {}}},
		{name: "ingress named in the message", services: map[string]map[string]string{"shop/web": {ga: `{"default":"nope"}`}},
			ingress: true, want: []string{"Until it is fixed, Ingress shop/site cannot sync"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := gkeCluster("prod", "europe-west1", testProject, "vpc", "nodes")
			for key, ann := range tc.services {
				ns, name, _ := strings.Cut(key, "/")
				cl.Services = append(cl.Services, service(ns, name, ann))
			}
			for _, key := range tc.configs {
				ns, name, _ := strings.Cut(key, "/")
				cl.BackendConfigs = append(cl.BackendConfigs, backendConfig(ns, name, inventory.BackendConfigSpec{}))
			}
			if tc.ingress {
				cl.Ingresses = append(cl.Ingresses, ingress("shop", "site", "", "web"))
			}
			inv := newInventory(cl)
			if tc.noConfigCRD {
				for i := range inv.Coverage {
					if inv.Coverage[i].Source == inventory.KubeBackendConfigs {
						inv.Coverage[i].Status = inventory.StatusNotInstalled
					}
				}
			}
			if tc.fail != "" {
				failSource(inv, tc.fail, cl.Scope())
			}
			got := run(t, inv, BackendConfigMissing)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d findings, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, f := range got {
				if !strings.Contains(f.Message, tc.want[i]) {
					t.Errorf("finding %d message %q does not contain %q", i, f.Message, tc.want[i])
				}
				if f.Resource.Kind != "Service" || f.Resource.Cluster != "prod" || f.Resource.Location != "europe-west1" || f.Resource.Project != testProject {
					t.Errorf("resource = %+v", f.Resource)
				}
			}
			if tc.wantFix != "" && !strings.Contains(got[0].Remediation, tc.wantFix) {
				t.Errorf("remediation %q does not contain %q", got[0].Remediation, tc.wantFix)
			}
		})
	}
}
