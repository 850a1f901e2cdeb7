package ingress

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
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
		ports       []corev1.ServicePort
		fail        inventory.Source
		ingress     bool
		want        []string // substrings, one per expected finding, in order
		sev         []inspect.Severity
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
			ingress: true, want: []string{"which Ingress shop/site routes to: until it is fixed, Ingress shop/site cannot sync"}, sev: []inspect.Severity{inspect.Error}},
		// The controller's BackendConfigName, case by case
		// (kubernetes/ingress-gce pkg/backendconfig/utils.go).
		{name: "a default overridden on the only used port is dead, never looked up",
			services: map[string]map[string]string{"shop/web": {ga: `{"default":"missing-bc","ports":{"http":"port-bc"}}`}},
			configs:  []string{"shop/port-bc"}, ingress: true,
			want: []string{`"missing-bc" (as default), which does not exist in namespace shop. Dead: no port of the Service resolves to it`}, sev: []inspect.Severity{inspect.Info},
			wantFix: `cloud.google.com/backend-config='{"ports":{"http":"port-bc"}}'`},
		{name: "the ports entry is what the used port resolves",
			services: map[string]map[string]string{"shop/web": {ga: `{"default":"missing-bc","ports":{"http":"port-bc"}}`}},
			ingress:  true,
			want:     []string{`"port-bc" (as ports[http])`, `"missing-bc" (as default)`}, sev: []inspect.Severity{inspect.Error, inspect.Info}},
		{name: "no Ingress routes to the Service: latent, a warning",
			services: map[string]map[string]string{"shop/web": {ga: `{"default":"nope"}`}},
			want:     []string{"Latent: it is resolved for port http (80), which no GKE Ingress routes to yet"}, sev: []inspect.Severity{inspect.Warning}},
		{name: "an empty entry means no BackendConfig for the port, and the default does not apply",
			services: map[string]map[string]string{"shop/web": {ga: `{"default":"nope","ports":{"http":""}}`}},
			ingress:  true, want: []string{`"nope" (as default)`}, sev: []inspect.Severity{inspect.Info}},
		{name: "by port number",
			services: map[string]map[string]string{"shop/web": {ga: `{"ports":{"80":"by-number"}}`}},
			ingress:  true, want: []string{`"by-number" (as ports[80])`}, sev: []inspect.Severity{inspect.Error}},
		{name: "the port name wins over the number",
			services: map[string]map[string]string{"shop/web": {ga: `{"ports":{"http":"by-name","80":"by-number"}}`}},
			configs:  []string{"shop/by-name"}, ingress: true, want: []string{`"by-number" (as ports[80])`}, sev: []inspect.Severity{inspect.Info}},
		{name: "a port Ingresses do not use keeps the default alive, latent",
			services: map[string]map[string]string{"shop/web": {ga: `{"default":"missing-bc","ports":{"http":"port-bc"}}`}},
			configs:  []string{"shop/port-bc"}, ingress: true, ports: []corev1.ServicePort{{Name: "http", Port: 80}, {Name: "admin", Port: 9090}},
			want: []string{"Latent: it is resolved for port admin (9090)"}, sev: []inspect.Severity{inspect.Warning}},
		{name: `{"ports":{}} is the annotation rule's case (ErrBackendConfigNoneFound)`,
			services: map[string]map[string]string{"shop/web": {ga: `{"ports":{}}`}}, ingress: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := ruletest.ProdCluster()
			for key, ann := range tc.services {
				ns, name, _ := strings.Cut(key, "/")
				cl.Services = append(cl.Services, ruletest.Service(ns, name, ann, tc.ports...))
			}
			for _, key := range tc.configs {
				ns, name, _ := strings.Cut(key, "/")
				cl.BackendConfigs = append(cl.BackendConfigs, ruletest.BackendConfig(ns, name, inventory.BackendConfigSpec{}))
			}
			if tc.ingress {
				cl.Ingresses = append(cl.Ingresses, ruletest.Ingress("shop", "site", "", "web"))
			}
			inv := ruletest.Inventory(cl)
			if tc.noConfigCRD {
				for i := range inv.Coverage {
					if inv.Coverage[i].Source == inventory.KubeBackendConfigs {
						inv.Coverage[i].Status = inventory.StatusNotInstalled
					}
				}
			}
			if tc.fail != "" {
				ruletest.FailSource(inv, tc.fail, cl.Scope())
			}
			got := ruletest.Run(t, inv, BackendConfigMissing)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d findings, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, f := range got {
				if !strings.Contains(f.Message, tc.want[i]) {
					t.Errorf("finding %d message %q does not contain %q", i, f.Message, tc.want[i])
				}
				if i < len(tc.sev) && f.Severity != tc.sev[i] {
					t.Errorf("finding %d severity %s, want %s: %s", i, f.Severity, tc.sev[i], f.Message)
				}
				if f.Resource.Kind != "Service" || f.Resource.Cluster != "prod" || f.Resource.Location != "europe-west1" || f.Resource.Project != ruletest.Project {
					t.Errorf("resource = %+v", f.Resource)
				}
			}
			if tc.wantFix != "" && !strings.Contains(got[0].Remediation, tc.wantFix) {
				t.Errorf("remediation %q does not contain %q", got[0].Remediation, tc.wantFix)
			}
		})
	}
}

func TestBackendConfigMissingCounts(t *testing.T) {
	t.Parallel()
	// Judged: the 2 Services whose annotation names BackendConfigs; web's
	// web-bc exists (passes), api's nope does not (fails). plain has no
	// annotation and bad's is invalid JSON (the annotation rule's): not
	// judged.
	services := func(cl *inventory.Cluster) {
		cl.Services = []corev1.Service{
			ruletest.Service("shop", "web", map[string]string{gke.AnnBackendConfig: `{"default":"web-bc"}`}),
			ruletest.Service("shop", "api", map[string]string{gke.AnnBackendConfig: `{"default":"nope"}`}),
			ruletest.Service("shop", "plain", nil),
			ruletest.Service("shop", "bad", map[string]string{gke.AnnBackendConfig: `{"default":`}),
		}
		cl.BackendConfigs = []inventory.BackendConfig{ruletest.BackendConfig("shop", "web-bc", inventory.BackendConfigSpec{})}
	}
	cl := ruletest.ProdCluster()
	services(cl)
	ruletest.ExpectCounts(t, ruletest.Inventory(cl), BackendConfigMissing, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})

	// BackendConfig shop/unread could not be read on its own, and cluster
	// edge's BackendConfigs not at all: Service odd, naming unread, and
	// edge's Services are not judged; 2 places not checked.
	cl.Services = append(cl.Services, ruletest.Service("shop", "odd", map[string]string{gke.AnnBackendConfig: `{"default":"unread"}`}))
	edge := edgeCluster()
	services(edge)
	inv := ruletest.Inventory(cl, edge)
	inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.KubeBackendConfigs, Scope: inventory.ObjectScope(cl.Scope(), "backendconfigs", "shop", "unread"),
		Status: inventory.StatusError, Error: "backendconfigs \"unread\" could not be decoded"})
	ruletest.FailSource(inv, inventory.KubeBackendConfigs, edge.Scope())
	c := ruletest.ExpectCounts(t, inv, BackendConfigMissing, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1, CouldNotCheck: 2})
	expectReason(t, c, inventory.KubeBackendConfigs)
}
