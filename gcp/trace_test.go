package gcp

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/lbdiag/lbdiag/inventory"
)

// TestCollectTraceReadsByName: a trace lists the forwarding rules of its
// addresses (the whole list when the API refuses the filter, keeping the
// rules of those addresses), gets each resource the chosen rule leads to
// once, records a 404 as known absent and a 403 as a gap, and marks the
// collections it read by name partial.
func TestCollectTraceReadsByName(t *testing.T) {
	t.Parallel()
	const p = "acme-trace"
	base := "https://www.googleapis.com/compute/v1/projects/" + p
	objects := map[string]any{
		"global/targetHttpProxies/tp": map[string]any{"name": "tp", "selfLink": base + "/global/targetHttpProxies/tp", "urlMap": base + "/global/urlMaps/um"},
		"global/urlMaps/um": map[string]any{"name": "um", "selfLink": base + "/global/urlMaps/um", "defaultService": base + "/global/backendServices/web",
			"pathMatchers": []any{map[string]any{"name": "pm", "defaultService": base + "/global/backendServices/web",
				"pathRules": []any{map[string]any{"paths": []any{"/gone/*"}, "service": base + "/global/backendServices/gone"},
					map[string]any{"paths": []any{"/secret/*"}, "service": base + "/global/backendServices/denied"}}}}},
		"global/backendServices/web": map[string]any{"name": "web", "selfLink": base + "/global/backendServices/web",
			"healthChecks": []any{base + "/global/healthChecks/web"},
			"backends":     []any{map[string]any{"group": base + "/zones/us-central1-a/networkEndpointGroups/web"}}},
		"global/healthChecks/web":                       map[string]any{"name": "web", "selfLink": base + "/global/healthChecks/web"},
		"zones/us-central1-a/networkEndpointGroups/web": map[string]any{"name": "web", "selfLink": base + "/zones/us-central1-a/networkEndpointGroups/web", "networkEndpointType": "GCE_VM_IP_PORT"},
	}
	frs := []any{
		map[string]any{"name": "fr-a", "IPAddress": "34.1.1.1", "portRange": "80-80", "target": base + "/global/targetHttpProxies/tp", "selfLink": base + "/global/forwardingRules/fr-a"},
		map[string]any{"name": "fr-b", "IPAddress": "34.2.2.2", "portRange": "80-80", "target": base + "/global/targetHttpProxies/other", "selfLink": base + "/global/forwardingRules/fr-b"},
	}
	var mu sync.Mutex
	hits := map[string]int{}
	compute := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, "/compute/v1/projects/"+p+"/")
		mu.Lock()
		hits[r.Method+" "+path+" "+r.URL.Query().Get("filter")]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case path == "aggregated/forwardingRules" && r.URL.Query().Get("filter") != "":
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"code":400,"message":"Invalid value for field 'filter'","errors":[{"reason":"invalid","domain":"global"}]}}`)
		case path == "aggregated/forwardingRules":
			json.NewEncoder(w).Encode(map[string]any{"items": map[string]any{"global": map[string]any{"forwardingRules": frs}}})
		case strings.HasSuffix(path, "/getHealth"):
			io.WriteString(w, `{"healthStatus":[{"ipAddress":"10.8.0.5","port":8080,"healthState":"HEALTHY"}]}`)
		case path == "global/backendServices/denied":
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"error":{"code":403,"message":"Required 'compute.backendServices.get' permission","errors":[{"reason":"forbidden","domain":"global"}]}}`)
		case objects[path] != nil:
			json.NewEncoder(w).Encode(objects[path])
		case strings.Contains(path, "aggregated/"):
			io.WriteString(w, `{"items":{}}`)
		case path == "global/firewalls":
			io.WriteString(w, `{"items":[]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":{"code":404,"message":"The resource was not found","errors":[{"reason":"notFound","domain":"global"}]}}`)
		}
	}))
	defer compute.Close()
	container := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) }))
	defer container.Close()

	var chosenFrom []string
	inv, err := CollectTrace(context.Background(), Options{Project: p, ComputeEndpoint: compute.URL + "/compute/v1/", ContainerEndpoint: container.URL + "/",
		TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t0ken"}), Clock: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) },
		Retry: RetryPolicy{MaxAttempts: 1}},
		TraceScope{Addresses: []string{"34.1.1.1"}, Choose: func(inv *inventory.Inventory) []string {
			for _, fr := range inv.Compute.ForwardingRules {
				chosenFrom = append(chosenFrom, fr.Name)
			}
			return []string{base + "/global/forwardingRules/fr-a"}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(chosenFrom, ",") != "fr-a" || !inv.Partial {
		t.Errorf("chose from %v; partial %v", chosenFrom, inv.Partial)
	}
	if hits["GET aggregated/forwardingRules (IPAddress = \"34.1.1.1\")"] != 1 || hits["GET aggregated/forwardingRules "] != 1 {
		t.Errorf("forwarding rule lists: %v", hits)
	}
	for _, path := range []string{"global/urlMaps/um", "global/backendServices/web", "global/healthChecks/web", "zones/us-central1-a/networkEndpointGroups/web"} {
		if hits["GET "+path+" "] != 1 {
			t.Errorf("%s read %d times", path, hits["GET "+path+" "])
		}
	}
	for _, coll := range []string{"backendServices", "urlMaps", "networkEndpointGroups", "healthChecks", "targetHttpProxies"} {
		if hits["GET aggregated/"+coll+" "] > 0 {
			t.Errorf("the trace listed %s", coll)
		}
	}
	if !inv.KnownResource(inventory.ComputeBackendServices, base+"/global/backendServices/gone") || len(inv.Compute.BackendServices) != 1 {
		t.Errorf("a 404 is known absent: %d backend services", len(inv.Compute.BackendServices))
	}
	if inv.KnownResource(inventory.ComputeBackendServices, base+"/global/backendServices/denied") || inv.KnownResource(inventory.ComputeBackendServices, base+"/global/backendServices/unread") {
		t.Error("a denied or unread backend service is known")
	}
	if h := inv.Compute.BackendHealth[base+"/global/backendServices/web"][base+"/zones/us-central1-a/networkEndpointGroups/web"]; h == nil || len(h.HealthStatus) != 1 {
		t.Errorf("health: %+v", inv.Compute.BackendHealth)
	}
	statuses := map[string]string{}
	for _, c := range inv.Coverage {
		if c.Scope == "projects/"+p {
			statuses[string(c.Source)] = string(c.Status)
		}
	}
	for src, want := range map[inventory.Source]string{inventory.ComputeForwardingRules: "partial", inventory.ComputeBackendServices: "partial",
		inventory.ComputeURLMaps: "partial", inventory.ComputeFirewalls: "ok", inventory.ComputeBackendHealth: "ok"} {
		if statuses[string(src)] != want {
			t.Errorf("%s: %s, want %s", src, statuses[string(src)], want)
		}
	}
	gaps := inv.Coverage.Gaps()
	if len(gaps) != 1 || gaps[0].Scope != "projects/"+p+"/global/backendServices/denied" || !strings.Contains(gaps[0].Hint, "compute.backendServices.get") {
		t.Errorf("gaps: %+v", gaps)
	}
}

// TestCollectTraceProjectNotFound: every list of the project and the
// cluster list answer 404: the project does not exist.
func TestCollectTraceProjectNotFound(t *testing.T) {
	t.Parallel()
	notFound := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":{"code":404,"message":"The resource 'projects/nope' was not found","status":"NOT_FOUND","errors":[{"reason":"notFound","domain":"global"}]}}`)
	}))
	defer notFound.Close()
	for _, addrs := range [][]string{{"34.1.1.1"}, nil} {
		_, err := CollectTrace(context.Background(), Options{Project: "nope", ComputeEndpoint: notFound.URL + "/compute/v1/", ContainerEndpoint: notFound.URL + "/",
			TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t0ken"}), Retry: RetryPolicy{MaxAttempts: 1}}, TraceScope{Addresses: addrs})
		if err != ErrProjectNotFound {
			t.Errorf("addresses %v: %v, want ErrProjectNotFound", addrs, err)
		}
	}
}
