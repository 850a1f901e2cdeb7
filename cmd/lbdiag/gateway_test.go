package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// gatewayObjects are Gateway API objects added to the demo's cluster
// shop-eu, as its API server would list them: a global external Gateway
// asking for an address that was never reserved, a regional internal one
// admitting routes by namespace label, one naming a certificate map that
// does not exist, and routes across namespaces with and without a
// ReferenceGrant.
var gatewayObjects = map[string][]string{
	"/gateways": {
		`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"store","namespace":"shop","uid":"0b6c1d2e-3f4a-4b5c-8d6e-7f8a9b0c1d2e","generation":1,"creationTimestamp":"2026-11-26T09:00:00Z"},
		  "spec":{"gatewayClassName":"gke-l7-global-external-managed","addresses":[{"type":"NamedAddress","value":"store-ip"}],
		    "listeners":[{"name":"http","protocol":"HTTP","port":80,"allowedRoutes":{"namespaces":{"from":"All"}}},
		      {"name":"https","protocol":"HTTPS","port":443,"tls":{"mode":"Terminate","options":{"networking.gke.io/pre-shared-certs":"mcrt-5d2c8a1e-7b3f-4e9d-a6c0-2f8e1b4d7a93"}}}]},
		  "status":{"conditions":[{"type":"Accepted","status":"True","reason":"Accepted","message":"","lastTransitionTime":"2026-11-26T09:01:00Z","observedGeneration":1},
		    {"type":"Programmed","status":"False","reason":"Invalid","message":"Error GWCER106: Gateway \"shop/store\" is invalid, err: address \"store-ip\" does not exist.","lastTransitionTime":"2026-11-26T09:01:00Z","observedGeneration":1}]}}`,
		`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"internal","namespace":"shop","uid":"1c7d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f","generation":1,"creationTimestamp":"2026-11-26T09:00:00Z"},
		  "spec":{"gatewayClassName":"gke-l7-rilb","listeners":[{"name":"http","protocol":"HTTP","port":80,"allowedRoutes":{"namespaces":{"from":"Selector","selector":{"matchLabels":{"team":"a"}}}}}]}}`,
		`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"edge","namespace":"shop","uid":"2d8e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a","generation":1,"creationTimestamp":"2026-11-26T09:00:00Z",
		    "annotations":{"networking.gke.io/certmap":"edge-map"}},
		  "spec":{"gatewayClassName":"gke-l7-global-external-managed","listeners":[{"name":"https","protocol":"HTTPS","port":443}]}}`,
	},
	"/httproutes": {
		`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"store","namespace":"shop"},
		  "spec":{"parentRefs":[{"name":"store"}],"hostnames":["store.example.com"],"rules":[{"backendRefs":[{"name":"frontend","port":80}]}]}}`,
		`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"catalog","namespace":"team-a"},
		  "spec":{"parentRefs":[{"name":"store","namespace":"shop","sectionName":"http"}],"rules":[{"backendRefs":[{"name":"checkout","namespace":"shop","port":8080}]}]}}`,
		`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"reviews","namespace":"team-b"},
		  "spec":{"parentRefs":[{"name":"store","namespace":"shop","sectionName":"http"}],"rules":[{"backendRefs":[{"name":"frontend","namespace":"shop","port":80}]}]}}`,
		`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"internal-api","namespace":"team-a"},
		  "spec":{"parentRefs":[{"name":"internal","namespace":"shop"}],"rules":[{"backendRefs":[{"name":"orders-api","namespace":"shop","port":80}]}]}}`,
		`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"internal-reports","namespace":"team-b"},
		  "spec":{"parentRefs":[{"name":"internal","namespace":"shop"}],"rules":[{"backendRefs":[{"name":"frontend","namespace":"shop","port":80}]}]}}`,
	},
	"/referencegrants": {
		`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"ReferenceGrant","metadata":{"name":"team-b-to-frontend","namespace":"shop"},
		  "spec":{"from":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","namespace":"team-b"}],"to":[{"group":"","kind":"Service","name":"frontend"}]}}`,
		`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"ReferenceGrant","metadata":{"name":"team-a-to-orders","namespace":"shop"},
		  "spec":{"from":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","namespace":"team-a"}],"to":[{"group":"","kind":"Service","name":"orders-api"}]}}`,
	},
	"/namespaces": {
		`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a","labels":{"kubernetes.io/metadata.name":"team-a","team":"a"}},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}`,
		`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-b","labels":{"kubernetes.io/metadata.name":"team-b","team":"b"}},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}`,
	},
}

// TestGatewayReferences inspects the demo with Gateways added to shop-eu:
// every broken reference gets its finding, named and fixed, the working
// ones none, and the Gateway's Programmed condition (GWCER106) folds into
// the static finding on its address.
func TestGatewayReferences(t *testing.T) {
	t.Parallel()
	f := newFakeProject(t)
	f.kubeEdit = func(api, path string, body map[string]any) {
		if !strings.Contains(api, "shop-eu") {
			return
		}
		for suffix, objs := range gatewayObjects {
			if !strings.HasSuffix(path, suffix) {
				continue
			}
			items, _ := body["items"].([]any)
			for _, o := range objs {
				var m map[string]any
				if err := json.Unmarshal([]byte(o), &m); err != nil {
					t.Errorf("%v: %s", err, o)
				}
				items = append(items, m)
			}
			body["items"] = items
		}
	}
	var mu sync.Mutex
	var certPaths []string
	certs := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		certPaths = append(certPaths, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"certificateMaps":[{"name":"projects/acme-shop-prod/locations/global/certificateMaps/shop-map","createTime":"2026-03-02T10:00:00Z"}]}`)
	}))
	res := f.runEnv(t, []string{"CLOUDSDK_API_ENDPOINT_OVERRIDES_CERTIFICATEMANAGER=" + certs.URL + "/"}, "--format", "json")
	rep := parseReport(t, res.stdout)
	want := map[string]string{
		"gateway-address-missing Gateway shop/store":           `spec.addresses names "store-ip", which is not a reserved address of project acme-shop-prod`,
		"route-backend-not-permitted HTTPRoute team-a/catalog": "no ReferenceGrant in shop allows HTTPRoute from namespace team-a",
		"route-not-allowed HTTPRoute team-b/internal-reports":  "listener http allows routes from namespaces matching team=a; namespace team-b has labels kubernetes.io/metadata.name=team-b,team=b",
		"gateway-certificate-missing Gateway shop/edge":        `names certificate map "edge-map" (networking.gke.io/certmap), which does not exist in project acme-shop-prod`,
	}
	got := map[string]string{}
	for _, fd := range rep.Findings {
		if strings.HasPrefix(fd.Rule, "gateway-") || strings.HasPrefix(fd.Rule, "route-") {
			got[fd.Rule+" "+fd.Resource.Kind+" "+fd.Resource.Namespace+"/"+fd.Resource.Name] = fd.Message
			if fd.Rule == "gateway-address-missing" && fd.Evidence["gateway-not-programmed"] == nil {
				t.Errorf("the Programmed condition did not fold into the address finding: %v", fd.Evidence)
			}
		}
	}
	for k, part := range want {
		if !strings.Contains(got[k], part) {
			t.Errorf("%s: %q, want it to contain %q", k, got[k], part)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok && !strings.HasPrefix(k, "gateway-not-programmed Gateway ops/") && !strings.HasPrefix(k, "gateway-sync-error Gateway ops/") {
			t.Errorf("unexpected finding %s: %s", k, got[k])
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(certPaths) != 1 || certPaths[0] != "GET /v1/projects/acme-shop-prod/locations/global/certificateMaps" {
		t.Errorf("Certificate Manager requests: %v", certPaths)
	}
}
