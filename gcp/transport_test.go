package gcp

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/container/apiv1/containerpb"
	"golang.org/x/oauth2"
	compute "google.golang.org/api/compute/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/lbdiag/lbdiag/inventory"
)

// TestWritesAreImpossible drives the real Compute Engine and Kubernetes
// clients, built the way Collect builds them, at a server that counts what
// reaches it: every mutating call is refused before it leaves the process.
func TestWritesAreImpossible(t *testing.T) {
	t.Parallel()
	var reached atomic.Int32
	var mu sync.Mutex
	var methods []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		mu.Lock()
		methods = append(methods, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	ctx := context.Background()
	c := &collector{opts: Options{TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}), Retry: DefaultRetryPolicy},
		base: srv.Client().Transport, limiters: map[string]*Limiter{}}
	svc, err := compute.NewService(ctx, c.clientOptions("compute", srv.URL+"/compute/v1/", "")...)
	if err != nil {
		t.Fatal(err)
	}
	writes := map[string]func() error{
		"firewalls.insert": func() error {
			_, err := svc.Firewalls.Insert("p", &compute.Firewall{Name: "allow-all", SourceRanges: []string{"0.0.0.0/0"}}).Do()
			return err
		},
		"firewalls.delete": func() error { _, err := svc.Firewalls.Delete("p", "k8s-fw-l7--x").Do(); return err },
		"backendServices.patch": func() error {
			_, err := svc.BackendServices.Patch("p", "bs", &compute.BackendService{TimeoutSec: 1}).Do()
			return err
		},
		"backendServices.setSecurityPolicy": func() error {
			_, err := svc.BackendServices.SetSecurityPolicy("p", "bs", &compute.SecurityPolicyReference{}).Do()
			return err
		},
		"subnetworks.insert": func() error {
			_, err := svc.Subnetworks.Insert("p", "r", &compute.Subnetwork{Name: "s"}).Do()
			return err
		},
		"securityPolicies.patch": func() error {
			_, err := svc.SecurityPolicies.Patch("p", "sp", &compute.SecurityPolicy{}).Do()
			return err
		},
	}
	for name, call := range writes {
		if err := call(); !errors.Is(err, ErrWriteRefused) {
			t.Errorf("%s: err = %v, want ErrWriteRefused", name, err)
		}
	}

	// Kubernetes: the cluster config lbdiag builds refuses writes too.
	cl := &inventory.Cluster{Project: "p", Info: &containerpb.Cluster{Name: "c", Location: "l", Endpoint: strings.TrimPrefix(srv.URL, "https://"),
		MasterAuth: &containerpb.MasterAuth{ClusterCaCertificate: caOf(srv)}}}
	public := c.clusterPaths(cl.Info, cl.Project)[0]
	if public.via != inventory.ViaPublic || public.skip != "" {
		t.Fatalf("public path: %+v", public)
	}
	dc, err := dynamic.NewForConfig(c.pathConfig(cl, public))
	if err != nil {
		t.Fatal(err)
	}
	svcObj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "x", "namespace": "default"}}}
	_, err = dc.Resource(gvr("", "v1", "services")).Namespace("default").Create(ctx, svcObj, metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), ErrWriteRefused.Error()) {
		t.Errorf("kubernetes create: err = %v", err)
	}
	err = dc.Resource(gvr("", "v1", "secrets")).Namespace("default").Delete(ctx, "x", metav1.DeleteOptions{})
	if err == nil || !strings.Contains(err.Error(), ErrWriteRefused.Error()) {
		t.Errorf("kubernetes delete: err = %v", err)
	}
	if n := reached.Load(); n != 0 {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%d write requests reached the server: %v", n, methods)
	}

	// Reads and the read-only POSTs do go through.
	if _, err := svc.Firewalls.List("p").Do(); err != nil {
		t.Errorf("firewalls.list: %v", err)
	}
	if _, err := svc.BackendServices.GetHealth("p", "bs", &compute.ResourceGroupReference{Group: "g"}).Do(); err != nil {
		t.Errorf("getHealth: %v", err)
	}
	if reached.Load() != 2 {
		t.Errorf("reads reaching the server = %d, want 2", reached.Load())
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	fast := RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, RateLimitDelay: 2 * time.Millisecond, MaxDelay: 20 * time.Millisecond, AttemptTimeout: time.Second}
	type reply struct {
		status int
		header string // Retry-After
		body   string
	}
	tests := []struct {
		name     string
		replies  []reply
		wantCode int
		wantHits int
	}{
		{name: "429 then success, honouring Retry-After", replies: []reply{{status: 429, header: "0"}, {status: 200}}, wantCode: 200, wantHits: 2},
		{name: "503 twice then success", replies: []reply{{status: 503}, {status: 503}, {status: 200}}, wantCode: 200, wantHits: 3},
		{name: "403 rateLimitExceeded is retried", replies: []reply{{status: 403, body: `{"error":{"code":403,"errors":[{"reason":"rateLimitExceeded"}]}}`}, {status: 200}}, wantCode: 200, wantHits: 2},
		{name: "403 permission denied is final", replies: []reply{{status: 403, body: `{"error":{"code":403,"errors":[{"reason":"forbidden"}]}}`}}, wantCode: 403, wantHits: 1},
		{name: "404 is final", replies: []reply{{status: 404}}, wantCode: 404, wantHits: 1},
		{name: "gives up after MaxAttempts", replies: []reply{{status: 500}, {status: 500}, {status: 500}, {status: 500}, {status: 200}}, wantCode: 500, wantHits: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(hits.Add(1)) - 1
				rp := tc.replies[min(i, len(tc.replies)-1)]
				if rp.header != "" {
					w.Header().Set("Retry-After", rp.header)
				}
				w.WriteHeader(rp.status)
				io.WriteString(w, rp.body)
			}))
			defer srv.Close()
			client := &http.Client{Transport: Retry(http.DefaultTransport, fast, nil)}
			resp, err := client.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantCode || int(hits.Load()) != tc.wantHits {
				t.Errorf("status %d after %d hits, want %d after %d", resp.StatusCode, hits.Load(), tc.wantCode, tc.wantHits)
			}
			if tc.wantCode == 403 && !strings.Contains(string(body), "forbidden") {
				t.Errorf("the final body must stay readable, got %q", body)
			}
		})
	}
}

func TestRetryTransportErrorsAndTimeouts(t *testing.T) {
	t.Parallel()
	fast := RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, RateLimitDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, AttemptTimeout: 50 * time.Millisecond}
	// A closed port: connection refused, retried, then reported.
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	var tries atomic.Int32
	counting := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		tries.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})
	_, err := (&http.Client{Transport: Retry(counting, fast, nil)}).Get(url)
	if err == nil || tries.Load() != 3 {
		t.Errorf("refused connection: err %v after %d tries, want an error after 3", err, tries.Load())
	}

	// A server that never answers: each try times out.
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	start := time.Now()
	_, err = (&http.Client{Transport: Retry(http.DefaultTransport, fast, nil)}).Get(hang.URL)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("hanging server: err %v after %s", err, time.Since(start))
	}

	// The run's deadline bounds the retries.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	slow := RetryPolicy{MaxAttempts: 10, BaseDelay: time.Second, RateLimitDelay: time.Second, MaxDelay: time.Minute, AttemptTimeout: time.Second}
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer busy.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, busy.URL, nil)
	start = time.Now()
	resp, err := (&http.Client{Transport: Retry(http.DefaultTransport, slow, nil)}).Do(req)
	// The last answer (the 503) comes back at once: waiting a second for
	// a retry would outlive the run.
	if err == nil {
		resp.Body.Close()
	}
	if (err == nil && resp.StatusCode != 503) || time.Since(start) > 2*time.Second {
		t.Errorf("deadline: err %v after %s, want the 503 or an error well before the backoff", err, time.Since(start))
	}
}

func caOf(srv *httptest.Server) string {
	return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
}
