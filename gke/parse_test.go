package gke

import (
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func svcWith(ann map[string]string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", Annotations: ann}}
}

// TestBackendConfigResolve follows kubernetes/ingress-gce
// pkg/backendconfig/utils.go BackendConfigName: the port's name, then its
// number, then the default; an entry that exists wins even when empty.
func TestBackendConfigResolve(t *testing.T) {
	t.Parallel()
	http := corev1.ServicePort{Name: "http", Port: 80}
	unnamed := corev1.ServicePort{Port: 8080}
	for _, tc := range []struct {
		name, ann string
		port      corev1.ServicePort
		want, key string
	}{
		{"default", `{"default":"bc"}`, http, "bc", "default"},
		{"by name over number", `{"default":"d","ports":{"http":"n","80":"p"}}`, http, "n", "ports[http]"},
		{"by number", `{"default":"d","ports":{"80":"p"}}`, http, "p", "ports[80]"},
		{"an empty entry wins over the default", `{"default":"d","ports":{"http":""}}`, http, "", "ports[http]"},
		{"an unnamed port's name is empty", `{"ports":{"":"e","8080":"p"}}`, unnamed, "e", "ports[]"},
		{"nothing applies", `{"ports":{"https":"x"}}`, http, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ref, ok, err := ParseBackendConfig(svcWith(map[string]string{AnnBackendConfig: tc.ann}))
			if !ok || err != nil {
				t.Fatalf("parse: %v %v", ok, err)
			}
			if got, key := ref.Resolve(tc.port); got != tc.want || key != tc.key {
				t.Errorf("Resolve = %q, %q; want %q, %q", got, key, tc.want, tc.key)
			}
		})
	}
	// The GA key is read before the beta one; a bad value is an error.
	ref, ok, err := ParseBackendConfig(svcWith(map[string]string{AnnBackendConfig: `{"default":"ga"}`, AnnBackendConfigBeta: `{"default":"beta"}`}))
	if !ok || err != nil || ref.Default != "ga" || ref.Key != AnnBackendConfig {
		t.Errorf("GA first: %+v %v %v", ref, ok, err)
	}
	if _, ok, err := ParseBackendConfig(svcWith(map[string]string{AnnBackendConfigBeta: `{"default":`})); !ok || err == nil {
		t.Errorf("malformed beta: %v %v", ok, err)
	}
	if _, ok, _ := ParseBackendConfig(svcWith(nil)); ok {
		t.Error("no annotation parsed")
	}
}

func TestDescriptions(t *testing.T) {
	t.Parallel()
	d, ok := ParseBackendServiceDescription(`{"kubernetes.io/service-name":"shop/web","kubernetes.io/service-port":"&ServiceBackendPort{Name:http,Number:0,}","x-features":["NEG"]}`)
	if name, num := d.Port(); !ok || d.Service != "shop/web" || name != "http" || num != 0 {
		t.Errorf("networking/v1 port: %+v %q %d", d, name, num)
	}
	d, _ = ParseBackendServiceDescription(`{"kubernetes.io/service-name":"shop/web","kubernetes.io/service-port":"80"}`)
	if name, num := d.Port(); name != "" || num != 80 {
		t.Errorf("numeric port: %q %d", name, num)
	}
	if _, ok := ParseBackendServiceDescription(`{"kubernetes.io/ingress-name":"shop/site"}`); ok {
		t.Error("a frontend description is not a backend service's")
	}
	if got := IngressOfDescription(`{"kubernetes.io/ingress-name": "shop/site"}`); got != "shop/site" {
		t.Errorf("IngressOfDescription = %q", got)
	}
	for desc, want := range map[string]string{
		`{"kubernetes.io/service-name":"pay/gateway"}`:                                          "pay/gateway",
		`{"networking.gke.io/service-name":"pay/gateway","networking.gke.io/api-version":"ga"}`: "pay/gateway",
		`not json`: "",
	} {
		if got := ServiceOfDescription(desc); got != want {
			t.Errorf("ServiceOfDescription(%s) = %q", desc, got)
		}
	}
	neg, ok := ParseNEGDescription(`{"cluster-uid":"8b0d6f3e","namespace":"shop","service-name":"web","port":"80"}`)
	if !ok || neg.ClusterUID != "8b0d6f3e" || neg.Namespace != "shop" || neg.Service != "web" || neg.Port != "80" {
		t.Errorf("NEG description: %+v", neg)
	}
	for name, want := range map[string]string{"gkegw1-ab12-shop-web-80-x": MakerGateway, "k8s1-1234abcd-shop-web-80-5d03f6e2": MakerIngress,
		"k8s-be-30080--1234abcd": MakerIngress, "k8s2-abc-pay-gateway-xyz": MakerL4, "hand-made": ""} {
		if got, _ := BackendServiceMaker(&compute.BackendService{Name: name}); got != want {
			t.Errorf("BackendServiceMaker(%s) = %q, want %q", name, got, want)
		}
	}
}

// TestURLMapPaths: the path rules ingress-gce renders for each path type
// (pkg/controller/translator validateAndGetPaths).
func TestURLMapPaths(t *testing.T) {
	prefix, exact, impl := networkingv1.PathTypePrefix, networkingv1.PathTypeExact, networkingv1.PathTypeImplementationSpecific
	for _, tc := range []struct {
		path string
		typ  *networkingv1.PathType
		want []string
		ok   bool
	}{
		{"/", &prefix, []string{"/*"}, true},
		{"/foo", &prefix, []string{"/foo", "/foo/*"}, true},
		{"/foo/", &prefix, []string{"/foo", "/foo/*"}, true},
		{"/foo/*", &prefix, nil, false},
		{"", &prefix, nil, false},
		{"/foo", &exact, []string{"/foo"}, true},
		{"/foo/", &exact, []string{"/foo/"}, true},
		{"/foo*", &exact, nil, false},
		{"", &exact, nil, false},
		{"/foo/*", &impl, []string{"/foo/*"}, true},
		{"/foo", nil, []string{"/foo"}, true},
		{"", nil, []string{"/*"}, true},
	} {
		got, ok := URLMapPaths(tc.path, tc.typ)
		if ok != tc.ok || strings.Join(got, " ") != strings.Join(tc.want, " ") {
			name := "nil"
			if tc.typ != nil {
				name = string(*tc.typ)
			}
			t.Errorf("URLMapPaths(%q, %s) = %v, %v; want %v, %v", tc.path, name, got, ok, tc.want, tc.ok)
		}
	}
}
