package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/report"
)

// The tests below reach clusters the ways users have: the public IP, the
// DNS endpoint (*.gke.goog, a publicly trusted certificate), the Connect
// gateway (connectgateway.googleapis.com), the private IP, and a
// kubeconfig's context. Real host names are served on loopback behind an
// HTTPS proxy (HTTPS_PROXY) with certificates of a test CA the binary
// trusts through SSL_CERT_FILE; a public IP that the proxy never answers
// stands in for authorized networks.

const (
	shopNumber = "482913376015" // acme-shop-prod's project number
	opsDNS     = "gke-0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b-482913376015.us-central1.gke.goog"
	shopDNS    = "gke-9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f-482913376015.europe-west1.gke.goog"
	// The demo's public IPs: the proxy routes them, the network does not.
	opsPublic  = "35.224.51.7"
	shopPublic = "34.76.102.18"
	opsPrivate = "10.40.0.2"
)

// testCA issues certificates for real host names.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // its PEM, for SSL_CERT_FILE
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lbdiag test root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, file: file}
}

// serve starts a TLS server for these names (host names or IP addresses)
// with a certificate of the CA.
func (ca *testCA) serve(t testing.TB, h http.Handler, names ...string) *httptest.Server {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// connectProxy is an HTTPS proxy: CONNECT host:port goes where routes
// say; a route to "" is a blackhole that never answers (authorized
// networks), an unknown host gets 502.
type connectProxy struct {
	srv     *httptest.Server
	mu      sync.Mutex
	routes  map[string]string
	seen    map[string]int // CONNECT targets
	pending []net.Conn
}

func newConnectProxy(t *testing.T) *connectProxy {
	t.Helper()
	p := &connectProxy{routes: map[string]string{}, seen: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() {
		p.mu.Lock()
		for _, c := range p.pending {
			c.Close()
		}
		p.mu.Unlock()
		p.srv.Close()
	})
	return p
}

func (p *connectProxy) route(hostPort, to string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.routes[hostPort] = to
}

func (p *connectProxy) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	p.mu.Lock()
	p.seen[r.Host]++
	to, ok := p.routes[r.Host]
	p.mu.Unlock()
	if !ok {
		http.Error(w, "no route to "+r.Host, http.StatusBadGateway)
		return
	}
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	if to == "" {
		// A blackhole: the connection stays open and silent.
		p.mu.Lock()
		p.pending = append(p.pending, conn)
		p.mu.Unlock()
		return
	}
	up, err := net.Dial("tcp", to)
	if err != nil {
		conn.Close()
		return
	}
	io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
	go func() { io.Copy(up, conn); up.Close() }()
	go func() { io.Copy(conn, up); conn.Close() }()
}

func (p *connectProxy) connects(host string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[host]
}

// reachWorld is the demo project whose clusters are reached through the
// proxy: a DNS front and a Connect gateway for both clusters, each
// recording the Authorization headers it receives.
type reachWorld struct {
	f      *fakeProject
	ca     *testCA
	proxy  *connectProxy
	dns    *httptest.Server
	gw     *httptest.Server
	crm    *httptest.Server
	crmHit int
	mu     sync.Mutex
	// forbid makes a front answer 403 like Google's front end, per host
	// ("dns" or "gateway") and cluster name.
	forbid map[string]bool
	auths  map[string][]string // front -> Authorization headers
}

var clusterLocations = map[string]string{"ops-us": "us-central1-a", "shop-eu": "europe-west1"}

func newReachWorld(t *testing.T) *reachWorld {
	t.Helper()
	w := &reachWorld{f: newFakeProject(t), ca: newTestCA(t), proxy: newConnectProxy(t), forbid: map[string]bool{}, auths: map[string][]string{}}
	googleForbidden := func(rw http.ResponseWriter, msg string) {
		rw.Header().Set("Content-Type", "application/json; charset=UTF-8")
		rw.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(rw, `{"error":{"code":403,"message":%q,"status":"PERMISSION_DENIED"}}`, msg)
	}
	w.dns = w.ca.serve(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		host, _, _ := strings.Cut(r.Host, ":")
		name := map[string]string{opsDNS: "ops-us", shopDNS: "shop-eu"}[host]
		w.note("dns "+host, r)
		if name == "" {
			http.Error(rw, "unknown endpoint", http.StatusNotFound)
			return
		}
		if w.denied("dns/" + name) {
			googleForbidden(rw, "Permission 'container.clusters.connect' denied on resource '//container.googleapis.com/projects/acme-shop-prod/locations/"+clusterLocations[name]+"/clusters/"+name+"' (or it may not exist).")
			return
		}
		w.f.serve(recording.KubeAPI(clusterLocations[name], name)).ServeHTTP(rw, r)
	}), "*.us-central1.gke.goog", "*.europe-west1.gke.goog", "hooks.evil.example")
	w.gw = w.ca.serve(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.note("gateway "+r.Host, r)
		// /v1/projects/NUMBER/locations/L/gkeMemberships/M/...
		parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 8)
		if len(parts) < 8 || parts[0] != "v1" || parts[1] != "projects" || parts[2] != shopNumber || parts[5] != "gkeMemberships" {
			http.Error(rw, `{"error":{"code":404,"message":"membership not found","status":"NOT_FOUND"}}`, http.StatusNotFound)
			return
		}
		name := parts[6]
		if w.denied("gateway/" + name) {
			googleForbidden(rw, "Permission 'gkehub.gateway.get' denied on 'projects/"+shopNumber+"/locations/"+parts[4]+"/memberships/"+name+"'")
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + parts[7]
		w.f.serve(recording.KubeAPI(clusterLocations[name], name)).ServeHTTP(rw, r2)
	}), "connectgateway.googleapis.com", "us-central1-connectgateway.googleapis.com", "europe-west1-connectgateway.googleapis.com")
	w.crm = serveHTTP(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		w.crmHit++
		w.mu.Unlock()
		if r.URL.Path != "/v3/projects/acme-shop-prod" || r.Header.Get("Authorization") != "Bearer "+testToken {
			http.Error(rw, `{"error":{"code":404,"message":"not found","status":"NOT_FOUND"}}`, http.StatusNotFound)
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(rw, `{"name":"projects/%s","projectId":"acme-shop-prod","state":"ACTIVE"}`, shopNumber)
	}))
	for _, h := range []string{opsDNS, shopDNS} {
		w.proxy.route(h+":443", strings.TrimPrefix(w.dns.URL, "https://"))
	}
	for _, h := range []string{"connectgateway.googleapis.com", "us-central1-connectgateway.googleapis.com", "europe-west1-connectgateway.googleapis.com"} {
		w.proxy.route(h+":443", strings.TrimPrefix(w.gw.URL, "https://"))
	}
	return w
}

func (w *reachWorld) note(front string, r *http.Request) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.auths[front] = append(w.auths[front], r.Header.Get("Authorization"))
}

func (w *reachWorld) denied(key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.forbid[key]
}

// run inspects the project through the proxy, trusting the test CA.
func (w *reachWorld) run(t *testing.T, args ...string) runResult {
	t.Helper()
	env := []string{"HTTPS_PROXY=" + w.proxy.srv.URL, "SSL_CERT_FILE=" + w.ca.file}
	return w.f.runEnv(t, env, append([]string{"--format", "json", "--cluster-connect-timeout", "1s", "--resourcemanager-endpoint", w.crm.URL + "/"}, args...)...)
}

// endpoints gives a cluster the control-plane endpoints of a current GKE
// cluster: a public IP behind authorized networks, a private IP, and a DNS
// endpoint that allows external traffic or not.
func endpoints(publicIP, privateIP, dns string, external bool) func(cl map[string]any) {
	return func(cl map[string]any) {
		cl["endpoint"] = publicIP
		cl["privateClusterConfig"] = map[string]any{"publicEndpoint": publicIP, "privateEndpoint": privateIP}
		cl["masterAuthorizedNetworksConfig"] = map[string]any{"enabled": true, "cidrBlocks": []any{map[string]any{"displayName": "office", "cidrBlock": "198.51.100.0/24"}},
			"gcpPublicCidrsAccessEnabled": false}
		cl["controlPlaneEndpointsConfig"] = map[string]any{
			"dnsEndpointConfig": map[string]any{"endpoint": dns, "allowExternalTraffic": external},
			"ipEndpointsConfig": map[string]any{"enabled": true, "enablePublicEndpoint": true, "globalAccess": false,
				"publicEndpoint": publicIP, "privateEndpoint": privateIP,
				"authorizedNetworksConfig": map[string]any{"enabled": true, "gcpPublicCidrsAccessEnabled": false,
					"cidrBlocks": []any{map[string]any{"displayName": "office", "cidrBlock": "198.51.100.0/24"}}}},
		}
	}
}

type accessJSON struct {
	ClusterAccess []struct {
		Cluster, Via, Endpoint string
		Attempts               []struct{ Via, Endpoint, Result, Detail string }
	} `json:"clusterAccess"`
	Coverage []struct{ Source, Scope, Status, Error, Hint string } `json:"coverage"`
	Findings []struct{ Rule string }                               `json:"findings"`
}

func parseAccess(t *testing.T, out string) accessJSON {
	t.Helper()
	return decodeOutput[accessJSON](t, out)
}

// access returns a cluster's access entry as "via endpoint | via:result ...".
func (a accessJSON) access(cluster string) string {
	for _, c := range a.ClusterAccess {
		if c.Cluster == cluster {
			var att []string
			for _, x := range c.Attempts {
				att = append(att, x.Via+":"+x.Result)
			}
			return c.Via + " " + c.Endpoint + " | " + strings.Join(att, " ")
		}
	}
	return "no entry"
}

func (a accessJSON) gap(scope string) (errText, hint string, ok bool) {
	for _, c := range a.Coverage {
		if c.Source == "kubernetes.api" && c.Scope == scope && c.Status == "error" {
			return c.Error, c.Hint, true
		}
	}
	return "", "", false
}

// TestReachClusters covers each path, the fallbacks between them, the
// diagnoses of a cluster no path reaches, and --cluster-endpoint forcing
// each path.
func TestReachClusters(t *testing.T) {
	t.Parallel()
	type clusterSetup func(w *reachWorld, cl map[string]any)
	opsOnly := func(edit clusterSetup) func(w *reachWorld) {
		return func(w *reachWorld) {
			w.f.clusterEdit = func(cl map[string]any) {
				if cl["name"] == "ops-us" {
					edit(w, cl)
				}
			}
		}
	}
	behindMAN := func(external bool) clusterSetup {
		return func(w *reachWorld, cl map[string]any) {
			endpoints(opsPublic, opsPrivate, opsDNS, external)(cl)
			w.proxy.route(opsPublic+":443", "")  // authorized networks drop us
			w.proxy.route(opsPrivate+":443", "") // outside the VPC
		}
	}
	fleet := func(membershipProject string) clusterSetup {
		return func(w *reachWorld, cl map[string]any) {
			behindMAN(false)(w, cl)
			cl["fleet"] = map[string]any{"project": "projects/" + shopNumber, "preRegistered": false,
				"membership": "//gkehub.googleapis.com/projects/" + membershipProject + "/locations/us-central1/memberships/ops-us"}
		}
	}
	tests := []struct {
		name  string
		setup func(w *reachWorld)
		args  []string
		// want is ops-us's access ("via endpoint | attempts"); gap, when
		// set, a part of each of its coverage gap's error and hint.
		want      string
		gapError  string
		gapHint   []string
		notInHint []string
		check     func(t *testing.T, w *reachWorld, rep accessJSON)
	}{
		{name: "public IP (the demo's clusters)", setup: func(w *reachWorld) {},
			want: "public 127.0.0.1:", check: func(t *testing.T, w *reachWorld, rep accessJSON) {
				if got := rep.access("europe-west1/shop-eu"); !strings.HasPrefix(got, "public 127.0.0.1:") || !strings.HasSuffix(got, "| public:ok dns:skipped connect-gateway:skipped private:skipped") {
					t.Errorf("shop-eu: %s", got)
				}
			}},
		{name: "authorized networks time out the public IP, the DNS endpoint answers", setup: opsOnly(behindMAN(true)),
			want: "dns " + opsDNS + " | public:timeout dns:ok connect-gateway:skipped private:skipped",
			check: func(t *testing.T, w *reachWorld, rep accessJSON) {
				// The DNS endpoint got lbdiag's Google token, verified with
				// the system's roots (the test CA), not the cluster CA.
				for _, a := range w.auths["dns "+opsDNS] {
					if a != "Bearer "+testToken {
						t.Errorf("DNS endpoint got Authorization %q", a)
					}
				}
				if len(w.auths["dns "+opsDNS]) < 20 {
					t.Errorf("the DNS endpoint served %d requests", len(w.auths["dns "+opsDNS]))
				}
			}},
		{name: "a private cluster with only a DNS endpoint", setup: opsOnly(func(w *reachWorld, cl map[string]any) {
			behindMAN(true)(w, cl)
			ip := cl["controlPlaneEndpointsConfig"].(map[string]any)["ipEndpointsConfig"].(map[string]any)
			ip["enabled"] = false
			delete(ip, "publicEndpoint")
			delete(ip, "privateEndpoint")
		}), want: "dns " + opsDNS + " | public:skipped dns:ok connect-gateway:skipped private:skipped"},
		{name: "DNS closed to user traffic, fleet member: the Connect gateway (project number in the membership)", setup: opsOnly(fleet(shopNumber)),
			want: "connect-gateway https://us-central1-connectgateway.googleapis.com/v1/projects/" + shopNumber + "/locations/us-central1/gkeMemberships/ops-us | public:timeout dns:skipped connect-gateway:ok private:skipped",
			check: func(t *testing.T, w *reachWorld, rep accessJSON) {
				if w.crmHit != 0 {
					t.Errorf("Resource Manager asked %d times for a number the membership holds", w.crmHit)
				}
			}},
		{name: "the gateway with a project ID in the membership: its number from Resource Manager", setup: opsOnly(fleet("acme-shop-prod")),
			want: "connect-gateway https://us-central1-connectgateway.googleapis.com/v1/projects/" + shopNumber + "/locations/us-central1/gkeMemberships/ops-us",
			check: func(t *testing.T, w *reachWorld, rep accessJSON) {
				if w.crmHit != 1 {
					t.Errorf("Resource Manager asked %d times, want 1", w.crmHit)
				}
			}},
		{name: "the gateway answers 403", setup: func(w *reachWorld) {
			opsOnly(fleet(shopNumber))(w)
			w.forbid["gateway/ops-us"] = true
		}, want: "none  | public:timeout dns:skipped connect-gateway:forbidden private:timeout",
			gapError: "connect-gateway", gapHint: []string{"roles/gkehub.gatewayReader", "--enable-dns-access", "authorized networks are enabled and the public endpoint timed out"}},
		{name: "DNS 403 although it allows external traffic: container.clusters.connect", setup: func(w *reachWorld) {
			opsOnly(behindMAN(true))(w)
			w.forbid["dns/ops-us"] = true
		}, want: "none  | public:timeout dns:forbidden connect-gateway:skipped private:timeout",
			gapError: "container.clusters.connect", gapHint: []string{"container.clusters.connect", "roles/container.clusterViewer", "--master-authorized-networks", "--enable-google-cloud-access"},
			notInHint: []string{"--enable-dns-access", "down"}},
		{name: "behind authorized networks, DNS closed, not in a fleet: every way to open it", setup: opsOnly(behindMAN(false)),
			want:     "none  | public:timeout dns:skipped connect-gateway:skipped private:timeout",
			gapError: "public " + opsPublic + ": timeout",
			gapHint: []string{"authorized networks are enabled and the public endpoint timed out", "allowExternalTraffic is not true",
				"gcloud container clusters update ops-us --location us-central1-a --project acme-shop-prod --enable-dns-access",
				"--enable-google-cloud-access", "Direct VPC egress"}, notInHint: []string{"down", "PROVISIONING"},
			check: func(t *testing.T, w *reachWorld, rep accessJSON) {
				// The healthy cluster next to it is still read in full.
				if got := rep.access("europe-west1/shop-eu"); !strings.HasPrefix(got, "public ") {
					t.Errorf("shop-eu: %s", got)
				}
				if _, _, ok := rep.gap(shopScope); ok {
					t.Error("shop-eu has a gap")
				}
			}},
		{name: "inside the VPC: the private IP", setup: opsOnly(func(w *reachWorld, cl map[string]any) {
			kube := strings.TrimPrefix(w.f.kube["ops-us"].URL, "https://")
			behindMAN(false)(w, cl)
			ip := cl["controlPlaneEndpointsConfig"].(map[string]any)["ipEndpointsConfig"].(map[string]any)
			ip["enablePublicEndpoint"], ip["privateEndpoint"] = false, kube
			delete(ip, "publicEndpoint")
		}), want: "private 127.0.0.1:", check: func(t *testing.T, w *reachWorld, rep accessJSON) {
			if got := rep.access("us-central1-a/ops-us"); !strings.HasSuffix(got, "| public:skipped dns:skipped connect-gateway:skipped private:ok") {
				t.Errorf("ops-us: %s", got)
			}
		}},
		{name: "--cluster-endpoint dns", setup: opsOnly(behindMAN(true)), args: []string{"--cluster-endpoint", "dns"},
			want: "dns " + opsDNS + " | public:skipped dns:ok connect-gateway:skipped private:skipped",
			check: func(t *testing.T, w *reachWorld, rep accessJSON) {
				if n := w.proxy.connects(opsPublic + ":443"); n != 0 {
					t.Errorf("the public IP was dialled %d times", n)
				}
				// shop-eu has no DNS endpoint: forced, it is not reached.
				if got := rep.access("europe-west1/shop-eu"); !strings.HasPrefix(got, "none") {
					t.Errorf("shop-eu: %s", got)
				}
			}},
		{name: "--cluster-endpoint public", setup: opsOnly(behindMAN(true)), args: []string{"--cluster-endpoint", "public"},
			want: "none  | public:timeout dns:skipped connect-gateway:skipped private:skipped", gapError: "timeout"},
		{name: "--cluster-endpoint private", setup: func(w *reachWorld) {
			opsOnly(behindMAN(true))(w)
			w.proxy.route("10.10.0.2:443", "") // shop-eu's private IP
		}, args: []string{"--cluster-endpoint", "private"},
			want: "none  | public:skipped dns:skipped connect-gateway:skipped private:timeout", gapHint: []string{"inside the VPC"}},
		{name: "--cluster-endpoint connect-gateway", setup: opsOnly(fleet(shopNumber)), args: []string{"--cluster-endpoint", "connect-gateway"},
			want: "connect-gateway https://us-central1-connectgateway.googleapis.com/", check: func(t *testing.T, w *reachWorld, rep accessJSON) {
				if n := w.proxy.connects(opsPublic + ":443"); n != 0 {
					t.Errorf("the public IP was dialled %d times", n)
				}
			}},
		{name: "a DNS endpoint that is not *.gke.goog never gets the token", setup: opsOnly(func(w *reachWorld, cl map[string]any) {
			behindMAN(true)(w, cl)
			cl["controlPlaneEndpointsConfig"].(map[string]any)["dnsEndpointConfig"].(map[string]any)["endpoint"] = "hooks.evil.example"
			w.proxy.route("hooks.evil.example:443", strings.TrimPrefix(w.dns.URL, "https://"))
		}), want: "none  | public:timeout dns:skipped connect-gateway:skipped private:timeout", gapError: "timeout",
			check: func(t *testing.T, w *reachWorld, rep accessJSON) {
				if n := w.proxy.connects("hooks.evil.example:443"); n != 0 || len(w.auths["dns hooks.evil.example"]) != 0 {
					t.Errorf("lbdiag connected to hooks.evil.example %d times", n)
				}
			}},
		{name: "a redirect to another host is not followed", setup: func(w *reachWorld) {
			opsOnly(behindMAN(true))(w)
			w.proxy.route("hooks.evil.example:443", strings.TrimPrefix(w.dns.URL, "https://"))
			w.f.faults["/ingresses"] = func(hit int, rw http.ResponseWriter, r *http.Request) bool {
				if !strings.Contains(r.Host, "gke.goog") {
					return false
				}
				http.Redirect(rw, r, "https://hooks.evil.example/apis/networking.k8s.io/v1/ingresses", http.StatusFound)
				return true
			}
		}, want: "dns " + opsDNS, check: func(t *testing.T, w *reachWorld, rep accessJSON) {
			if n := w.proxy.connects("hooks.evil.example:443"); n != 0 {
				t.Errorf("lbdiag followed the redirect to hooks.evil.example %d times", n)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newReachWorld(t)
			tc.setup(w)
			res := w.run(t, tc.args...)
			if res.code == report.ExitError {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			rep := parseAccess(t, res.stdout)
			if got := rep.access("us-central1-a/ops-us"); !strings.HasPrefix(got, tc.want) {
				t.Errorf("ops-us reached: %s\nwant: %s", got, tc.want)
			}
			errText, hint, gapped := rep.gap(opsScope)
			switch {
			case tc.gapError != "" || len(tc.gapHint) > 0:
				if !gapped || !strings.Contains(errText, tc.gapError) {
					t.Errorf("gap error %q, want %q", errText, tc.gapError)
				}
				for _, h := range tc.gapHint {
					if !strings.Contains(hint, h) {
						t.Errorf("hint lacks %q:\n%s", h, hint)
					}
				}
				for _, h := range tc.notInHint {
					if strings.Contains(hint, h) {
						t.Errorf("hint has %q:\n%s", h, hint)
					}
				}
				if res.code != report.ExitFindings && res.code != report.ExitIncomplete {
					t.Errorf("exit %d", res.code)
				}
			case gapped:
				t.Errorf("unexpected gap: %s / %s", errText, hint)
			}
			// Every path that answered needs permissions the custom role
			// grants.
			role := rolePermissions(t)
			for _, a := range rep.ClusterAccess {
				for _, p := range pathPermissions[a.Via] {
					if !slices.Contains(role, p) {
						t.Errorf("%s reached by %s, which needs %s: deploy/iam-role.yaml lacks it", a.Cluster, a.Via, p)
					}
				}
			}
			// The Google token went to Google's hosts only: nothing reached
			// a host the proxy does not know.
			w.proxy.mu.Lock()
			for host := range w.proxy.seen {
				if _, ok := w.proxy.routes[host]; !ok {
					t.Errorf("lbdiag connected to %s", host)
				}
			}
			w.proxy.mu.Unlock()
			if tc.check != nil {
				w.mu.Lock()
				defer w.mu.Unlock()
				tc.check(t, w, rep)
			}
		})
	}
}

// TestReachByKubeconfig: a kubeconfig context named the gcloud way is
// tried first, with its own server, CA and exec plugin; lbdiag's Google
// token is not added to what the plugin authenticates.
func TestReachByKubeconfig(t *testing.T) {
	t.Parallel()
	w := newReachWorld(t)
	const execToken = "exec-token-7f3a"
	w.f.tokens = map[string]bool{execToken: true}
	dir := t.TempDir()
	plugin := filepath.Join(dir, "gke-auth-plugin")
	script := "#!/bin/sh\ncat <<'EOF'\n" + `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"` + execToken + `"}}` + "\nEOF\n"
	if err := os.WriteFile(plugin, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	// The cluster itself is behind authorized networks: only the
	// kubeconfig's server (a bastion's tunnel, here the fake) reaches it.
	w.f.clusterEdit = func(cl map[string]any) {
		if cl["name"] == "ops-us" {
			endpoints(opsPublic, opsPrivate, opsDNS, false)(cl)
			w.proxy.route(opsPublic+":443", "")
			w.proxy.route(opsPrivate+":443", "")
		}
	}
	srv := w.f.kube["ops-us"]
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	kubeconfig := filepath.Join(dir, "config")
	ctxName := "gke_acme-shop-prod_us-central1-a_ops-us"
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority-data: %[3]s
contexts:
- name: %[1]s
  context:
    cluster: %[1]s
    user: %[1]s
- name: gke_other-project_us-central1_other
  context:
    cluster: %[1]s
    user: %[1]s
current-context: gke_other-project_us-central1_other
users:
- name: %[1]s
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: %[4]s
      interactiveMode: Never
      provideClusterInfo: true
`, ctxName, srv.URL, base64.StdEncoding.EncodeToString(ca), plugin)
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	res := w.run(t, "--kubeconfig", kubeconfig)
	if res.code == report.ExitError {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	rep := parseAccess(t, res.stdout)
	if got := rep.access("us-central1-a/ops-us"); got != "kubeconfig "+srv.URL+" | kubeconfig:ok public:skipped dns:skipped connect-gateway:skipped private:skipped" {
		t.Errorf("ops-us: %s", got)
	}
	// shop-eu has no context: the public IP, as without --kubeconfig.
	if got := rep.access("europe-west1/shop-eu"); !strings.HasPrefix(got, "public ") || !strings.Contains(got, "kubeconfig:skipped") {
		t.Errorf("shop-eu: %s", got)
	}
	if _, _, ok := rep.gap(opsScope); ok {
		t.Error("ops-us has a gap")
	}
	w.f.mu.Lock()
	auths := w.f.auths[strings.TrimPrefix(srv.URL, "https://")]
	w.f.mu.Unlock()
	if len(auths) < 20 {
		t.Errorf("the kubeconfig's server served %d requests", len(auths))
	}
	for _, a := range auths {
		if a != "Bearer "+execToken {
			t.Fatalf("the kubeconfig's server got Authorization %q, want the exec plugin's token only", a)
		}
	}
	// A --kubeconfig that does not exist is a usage error.
	if res := w.run(t, "--kubeconfig", filepath.Join(dir, "missing")); res.code != report.ExitError || !strings.Contains(res.stderr, "--kubeconfig") {
		t.Errorf("missing kubeconfig: exit %d %s", res.code, res.stderr)
	}
}

// TestReachIsRecorded: the evidence bundle holds how each cluster was
// reached, and a replay reports the same access and gaps without dialling.
func TestReachIsRecorded(t *testing.T) {
	t.Parallel()
	w := newReachWorld(t)
	w.f.clusterEdit = func(cl map[string]any) {
		if cl["name"] == "ops-us" {
			endpoints(opsPublic, opsPrivate, opsDNS, true)(cl)
			w.proxy.route(opsPublic+":443", "")
			w.proxy.route(opsPrivate+":443", "")
		}
		if cl["name"] == "shop-eu" {
			endpoints(shopPublic, "10.10.0.2", shopDNS, false)(cl)
			w.proxy.route(shopPublic+":443", "")
			w.proxy.route("10.10.0.2:443", "")
		}
	}
	bundle := filepath.Join(t.TempDir(), "evidence.tar.gz")
	live := w.run(t, "--evidence", bundle)
	if live.code == report.ExitError {
		t.Fatalf("exit %d: %s", live.code, live.stderr)
	}
	replayed := runLbdiag(t, t.TempDir(), "inspect", "--replay", bundle, "--format", "json")
	a, b := parseAccess(t, live.stdout), parseAccess(t, replayed.stdout)
	for _, cl := range []string{"us-central1-a/ops-us", "europe-west1/shop-eu"} {
		if a.access(cl) != b.access(cl) {
			t.Errorf("%s: live %s, replayed %s", cl, a.access(cl), b.access(cl))
		}
	}
	if !strings.HasPrefix(a.access("us-central1-a/ops-us"), "dns ") || !strings.HasPrefix(a.access("europe-west1/shop-eu"), "none") {
		t.Errorf("live: %s; %s", a.access("us-central1-a/ops-us"), a.access("europe-west1/shop-eu"))
	}
	e1, h1, _ := a.gap(shopScope)
	e2, h2, _ := b.gap(shopScope)
	if e1 == "" || e1 != e2 || h1 != h2 {
		t.Errorf("shop-eu's gap: live %q %q, replayed %q %q", e1, h1, e2, h2)
	}
	if len(a.Findings) != len(b.Findings) {
		t.Errorf("%d findings live, %d replayed", len(a.Findings), len(b.Findings))
	}
	// The table shows the path beside each cluster.
	table := runLbdiag(t, t.TempDir(), "inspect", "--replay", bundle)
	if !strings.Contains(strings.Join(strings.Fields(table.stdout), " "), "Clusters reached: europe-west1/shop-eu by no path (see below), us-central1-a/ops-us via dns ("+opsDNS+")") {
		t.Errorf("table:\n%s", lastLines(table.stdout, 12))
	}
}

func lastLines(s string, n int) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
