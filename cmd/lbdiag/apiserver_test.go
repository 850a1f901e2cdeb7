package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/lbdiag/lbdiag/fixtures"
	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inventory"
	"github.com/lbdiag/lbdiag/report"
)

// The real-server suite runs lbdiag against real kube-apiservers
// (k8s.io/kubernetes v1.37.2, with RBAC, a static token file, their own
// serving certificate and an audit log) holding the demo project's
// Kubernetes objects, with Compute Engine and GKE from the loopback fakes.
// scripts/kube-assets.sh builds the binaries; .ci/run runs it and sets
// LBDIAG_REQUIRE_KUBE=1, so that CI fails rather than skips without them.

// kubeAssets returns the directory holding kube-apiserver, etcd and the
// Gateway API CRDs.
func kubeAssets(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LBDIAG_KUBE_ASSETS")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err == nil {
			dir = filepath.Join(cache, "lbdiag", "kube-assets-v1.37.2")
		}
	}
	for _, f := range []string{"kube-apiserver", "etcd", filepath.Join("crds", "gateway-api", "gateway.networking.k8s.io_gateways.yaml")} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			if os.Getenv("LBDIAG_REQUIRE_KUBE") != "" {
				t.Fatalf("the real-server suite needs %s (run scripts/kube-assets.sh): %v", f, err)
			}
			t.Skipf("no real kube-apiserver in %s: run scripts/kube-assets.sh first (about 7 minutes, once)", dir)
		}
	}
	return dir
}

const (
	adminToken = "admin-token-e2e"
	lbdiagUser = "lbdiag@acme-shop-prod.iam.gserviceaccount.com"
	groupUser  = "alice@example.com"
	groupToken = "alice-token-e2e"
	groupName  = "sre@example.com"
	rbacPath   = "../../deploy/rbac.yaml"
	// compactedCluster is the cluster whose etcd history the paging test
	// compacts in the middle of a list.
	compactedCluster = "shop-eu"
	gkeCRDsPath      = "testdata/apiserver/gke-crds.yaml"
)

// realCluster is one cluster's real API server.
type realCluster struct {
	location, name string
	host           string // 127.0.0.1:PORT
	audit          string // the audit log
	kubeSystemUID  string
	admin          *dynamic.DynamicClient
	cmd            *exec.Cmd
}

// realEnv is etcd, one kube-apiserver per demo cluster, and the CA that
// signed their serving certificates.
type realEnv struct {
	assets  string
	dir     string
	caPEM   []byte
	caCert  *x509.Certificate
	caKey   *ecdsa.PrivateKey
	etcdURL string
	// tokens: token -> user (and groups) known to every API server.
	tokens   map[string][2]string
	clusters map[string]*realCluster
	// procs are the started processes, stopped in reverse; the two API
	// servers start at once.
	mu    sync.Mutex
	procs []*exec.Cmd
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// newCA makes the CA that signs the API servers' serving certificates; the
// fake GKE API hands it out as each cluster's clusterCaCertificate.
func (e *realEnv) newCA(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lbdiag-e2e-cluster-ca"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Now().AddDate(50, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	e.caCert, _ = x509.ParseCertificate(der)
	e.caKey = key
	e.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// serving issues a serving certificate for 127.0.0.1 and writes it and its
// key under prefix.
func (e *realEnv) serving(t *testing.T, prefix string) (certFile, keyFile string) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "kube-apiserver"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Now().AddDate(50, 0, 0), DNSNames: []string{"localhost", "kubernetes.default.svc"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, e.caCert, &key.PublicKey, e.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = prefix+".crt", prefix+".key"
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", kder)
	return certFile, keyFile
}

// startEtcd starts one etcd for every API server (each keeps its objects
// under its own prefix).
func (e *realEnv) startEtcd(t *testing.T) {
	client, peer := freePort(t), freePort(t)
	e.etcdURL = fmt.Sprintf("http://127.0.0.1:%d", client)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peer)
	cmd := exec.Command(filepath.Join(e.assets, "etcd"), "--name", "e2e", "--data-dir", filepath.Join(e.dir, "etcd"),
		"--listen-client-urls", e.etcdURL, "--advertise-client-urls", e.etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL, "--initial-cluster", "e2e="+peerURL,
		"--unsafe-no-fsync", "--log-level", "error")
	e.start(t, cmd, "etcd.log")
	e.waitFor(t, "etcd", func() bool {
		resp, err := http.Get(e.etcdURL + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

func (e *realEnv) start(t *testing.T, cmd *exec.Cmd, logName string) {
	logf, err := os.Create(filepath.Join(e.dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.procs = append(e.procs, cmd)
	e.mu.Unlock()
}

func (e *realEnv) waitFor(t *testing.T, what string, ready func() bool) {
	deadline := time.Now().Add(90 * time.Second)
	for !ready() {
		if time.Now().After(deadline) {
			logs, _ := filepath.Glob(filepath.Join(e.dir, "*.log"))
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				t.Logf("%s:\n%s", l, tail(string(b), 3000))
			}
			t.Fatalf("%s did not become ready in 90 s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// startAPIServer starts the API server of one demo cluster, with the
// cluster's own Service range, RBAC, the static tokens and an audit log at
// Metadata level.
func (e *realEnv) startAPIServer(t *testing.T, location, name, serviceRange string) *realCluster {
	dir := filepath.Join(e.dir, name)
	os.MkdirAll(dir, 0o700)
	cert, key := e.serving(t, filepath.Join(dir, "serving"))
	saKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	saDER, _ := x509.MarshalECPrivateKey(saKey)
	saPub, _ := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	writePEM(t, filepath.Join(dir, "sa.key"), "EC PRIVATE KEY", saDER)
	writePEM(t, filepath.Join(dir, "sa.pub"), "PUBLIC KEY", saPub)
	var tokens strings.Builder
	for token, u := range e.tokens {
		fmt.Fprintf(&tokens, "%s,%s,%s", token, u[0], u[0])
		if u[1] != "" {
			fmt.Fprintf(&tokens, ",%q", u[1])
		}
		tokens.WriteString("\n")
	}
	os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(tokens.String()), 0o600)
	os.WriteFile(filepath.Join(dir, "audit-policy.yaml"), []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n"), 0o600)
	port := freePort(t)
	cl := &realCluster{location: location, name: name, host: fmt.Sprintf("127.0.0.1:%d", port), audit: filepath.Join(dir, "audit.log")}
	cl.cmd = exec.Command(filepath.Join(e.assets, "kube-apiserver"),
		"--etcd-servers="+e.etcdURL, "--etcd-prefix=/"+name,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", port),
		"--tls-cert-file="+cert, "--tls-private-key-file="+key, "--cert-dir="+dir,
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"), "--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc", "--service-account-key-file="+filepath.Join(dir, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
		"--service-cluster-ip-range="+serviceRange, "--endpoint-reconciler-type=none", "--enable-priority-and-fairness=false",
		"--audit-policy-file="+filepath.Join(dir, "audit-policy.yaml"), "--audit-log-path="+cl.audit, "--audit-log-format=json",
		"--audit-log-mode=blocking")
	if name == compactedCluster {
		// Since 1.34 the watch cache serves continue tokens from its
		// snapshots, and a compaction lbdiag's test makes behind its back
		// does not expire them. This server lists from etcd, as servers
		// before 1.34 do and as any server does once its snapshot is gone,
		// so that a token that outlived a compaction gets 410 Expired.
		cl.cmd.Args = append(cl.cmd.Args, "--feature-gates=ListFromCacheSnapshot=false")
	}
	e.start(t, cl.cmd, name+"-apiserver.log")
	cfg := &rest.Config{Host: "https://" + cl.host, BearerToken: adminToken, TLSClientConfig: rest.TLSClientConfig{CAData: e.caPEM}, QPS: 500, Burst: 1000,
		WarningHandler: rest.NoWarnings{}}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, name+" kube-apiserver", func() bool {
		req, _ := http.NewRequest(http.MethodGet, "https://"+cl.host+"/readyz", nil)
		resp, err := hc.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	cl.admin, err = dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func (e *realEnv) stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range slices.Backward(e.procs) {
		if p.Process != nil {
			p.Process.Kill()
			p.Wait()
		}
	}
}

var (
	crdGVR         = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	nsGVR          = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	clusterRoleGVR = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}
	bindingGVR     = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}
	configMapGVR   = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
)

// yamlDocs splits a multi-document YAML file into objects.
func yamlDocs(t *testing.T, raw []byte) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, doc := range strings.Split(string(raw), "\n---") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		if len(m) > 0 {
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
	return out
}

// installCRDs installs the Gateway API CRDs from the module's manifests and
// the GKE CRDs, and waits until they are served.
func (e *realEnv) installCRDs(t *testing.T, cl *realCluster) {
	ctx := context.Background()
	var crds []*unstructured.Unstructured
	files, _ := filepath.Glob(filepath.Join(e.assets, "crds", "gateway-api", "*.yaml"))
	files = append(files, gkeCRDsPath)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		crds = append(crds, yamlDocs(t, raw)...)
	}
	for _, crd := range crds {
		if _, err := cl.admin.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil {
			t.Fatalf("%s: creating CRD %s: %v", cl.name, crd.GetName(), err)
		}
	}
	e.waitFor(t, cl.name+" CRDs", func() bool {
		for _, crd := range crds {
			got, err := cl.admin.Resource(crdGVR).Get(ctx, crd.GetName(), metav1.GetOptions{})
			if err != nil {
				return false
			}
			conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
			established := false
			for _, c := range conds {
				m := c.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					established = true
				}
			}
			if !established {
				return false
			}
		}
		return true
	})
}

// recordedObject is one object of the demo recording, with where to create
// it.
type recordedObject struct {
	gvr schema.GroupVersionResource
	obj *unstructured.Unstructured
}

// demoObjects returns the Kubernetes objects the demo recording serves for
// one cluster, from every page of every list.
func demoObjects(t *testing.T, rec *recording.Recording, fsys fs.FS, location, name string) []recordedObject {
	var out []recordedObject
	seen := map[string]bool{}
	for _, ex := range rec.Manifest.Exchanges {
		if ex.API != recording.KubeAPI(location, name) || ex.Method != http.MethodGet || ex.Status != http.StatusOK || ex.File == "" {
			continue
		}
		gvr, ok := listGVR(ex.Path)
		if !ok {
			continue
		}
		raw, err := fs.ReadFile(fsys, ex.File)
		if err != nil {
			t.Fatal(err)
		}
		var list struct {
			Kind       string           `json:"kind"`
			APIVersion string           `json:"apiVersion"`
			Items      []map[string]any `json:"items"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			t.Fatal(err)
		}
		for _, item := range list.Items {
			u := &unstructured.Unstructured{Object: item}
			// A real list's items carry no kind: it is the list's.
			u.SetKind(strings.TrimSuffix(list.Kind, "List"))
			u.SetAPIVersion(list.APIVersion)
			key := gvr.String() + "/" + u.GetNamespace() + "/" + u.GetName()
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, recordedObject{gvr: gvr, obj: u})
		}
	}
	return out
}

// listGVR parses the path of a list request: /api/v1/R or /apis/G/V/R.
func listGVR(path string) (schema.GroupVersionResource, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) == 3 && parts[0] == "api":
		return schema.GroupVersionResource{Version: parts[1], Resource: parts[2]}, true
	case len(parts) == 4 && parts[0] == "apis":
		return schema.GroupVersionResource{Group: parts[1], Version: parts[2], Resource: parts[3]}, true
	}
	return schema.GroupVersionResource{}, false
}

func labelsAny(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// hasStatus lists the kinds whose status is written through the status
// subresource.
var hasStatus = map[string]bool{"services": true, "ingresses": true, "deployments": true, "statefulsets": true, "daemonsets": true,
	"nodes": true, "managedcertificates": true, "servicenetworkendpointgroups": true, "gatewayclasses": true, "gateways": true,
	"httproutes": true, "grpcroutes": true, "gcpbackendpolicies": true, "healthcheckpolicies": true, "gcpgatewaypolicies": true, "gcptrafficdistributionpolicies": true}

// createObjects creates the recorded objects as a user would (and their
// status as the controllers would, through the status subresource).
// Server-owned metadata is dropped; the rest is kept as recorded.
func createObjects(t *testing.T, cl *realCluster, objs []recordedObject, replace *strings.Replacer) map[string]string {
	ctx := context.Background()
	namespaces := map[string]bool{}
	var rest []recordedObject
	for _, o := range objs {
		if ns := o.obj.GetNamespace(); ns != "" {
			namespaces[ns] = true
		}
		if o.gvr.Resource != "namespaces" {
			rest = append(rest, o)
			continue
		}
		// A recorded Namespace: created with its labels, or, for those the
		// API server makes itself (default, kube-system, ...), labelled.
		name := o.obj.GetName()
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name, "labels": labelsAny(o.obj.GetLabels())}}}
		if _, err := cl.admin.Resource(nsGVR).Create(ctx, u, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
			cur, err := cl.admin.Resource(nsGVR).Get(ctx, name, metav1.GetOptions{})
			if err == nil {
				labels := cur.GetLabels()
				if labels == nil {
					labels = map[string]string{}
				}
				for k, v := range o.obj.GetLabels() {
					labels[k] = v
				}
				cur.SetLabels(labels)
				_, err = cl.admin.Resource(nsGVR).Update(ctx, cur, metav1.UpdateOptions{})
			}
			if err != nil {
				t.Fatalf("%s: namespace %s: %v", cl.name, name, err)
			}
		} else if err != nil {
			t.Fatalf("%s: namespace %s: %v", cl.name, name, err)
		}
		namespaces[name] = false // made
	}
	objs = rest
	for ns, missing := range namespaces {
		if !missing {
			continue
		}
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
		if _, err := cl.admin.Resource(nsGVR).Create(ctx, u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("%s: namespace %s: %v", cl.name, ns, err)
		}
	}
	// Events last: they describe the others.
	sort.SliceStable(objs, func(i, j int) bool { return objs[i].gvr.Resource != "events" && objs[j].gvr.Resource == "events" })
	var mu sync.Mutex
	var failures []string
	created := map[string]string{} // resource/ns/name -> creationTimestamp
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, o := range objs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			at, err := createObject(ctx, cl, o, replace)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, fmt.Sprintf("%s %s/%s: %v", o.gvr.Resource, o.obj.GetNamespace(), o.obj.GetName(), err))
			} else if at != "" {
				created[o.gvr.Resource+"/"+o.obj.GetNamespace()+"/"+o.obj.GetName()] = at
			}
		}()
	}
	wg.Wait()
	sort.Strings(failures)
	for _, f := range failures {
		t.Errorf("%s: the real API server refused a recorded object (fix the fixture): %s", cl.name, f)
	}
	if len(failures) > 0 {
		t.FailNow()
	}
	return created
}

func createObject(ctx context.Context, cl *realCluster, o recordedObject, replace *strings.Replacer) (string, error) {
	raw, _ := json.Marshal(o.obj.Object)
	var m map[string]any
	json.Unmarshal([]byte(replace.Replace(string(raw))), &m)
	u := &unstructured.Unstructured{Object: m}
	meta := m["metadata"].(map[string]any)
	for _, k := range []string{"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink", "finalizers", "deletionTimestamp"} {
		delete(meta, k)
	}
	if o.gvr.Resource == "services" && u.GetNamespace() == "default" && u.GetName() == "kubernetes" {
		return "", nil // the API server's own, with the first IP of the range
	}
	if o.gvr.Resource == "events" && asMap(m["source"])["component"] == inventory.ReporterGateway {
		// GKE's Gateway controller reports through events.k8s.io/v1: the
		// core view of such an event has no source.component, only
		// reportingController, and its count in series.count.
		o.gvr, m = schema.GroupVersionResource{Group: "events.k8s.io", Version: "v1", Resource: "events"}, eventsV1(m)
		u = &unstructured.Unstructured{Object: m}
	}
	status, withStatus := m["status"]
	ri := resourceFor(cl.admin, o.gvr, u.GetNamespace())
	created, err := ri.Create(ctx, u, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	if withStatus && hasStatus[o.gvr.Resource] {
		created.Object["status"] = status
		if _, err := ri.UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			return "", fmt.Errorf("status: %w", err)
		}
	}
	return created.GetCreationTimestamp().UTC().Format(time.RFC3339), nil
}

// eventsV1 is a core/v1 Event as its reporter would write it through
// events.k8s.io/v1.
func eventsV1(core map[string]any) map[string]any {
	micro := func(v any) string {
		t, _ := time.Parse(time.RFC3339, fmt.Sprint(v))
		return t.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	ev := map[string]any{"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": core["metadata"],
		"eventTime": micro(core["firstTimestamp"]), "reportingController": asMap(core["source"])["component"],
		"reportingInstance": fmt.Sprint(asMap(core["source"])["component"], "-7d9f8b6c5-x2x4q"), "action": "Sync",
		"reason": core["reason"], "regarding": core["involvedObject"], "note": core["message"], "type": core["type"]}
	if n, _ := core["count"].(float64); n > 1 {
		ev["series"] = map[string]any{"count": n, "lastObservedTime": micro(core["lastTimestamp"])}
	}
	return ev
}

func resourceFor(c *dynamic.DynamicClient, gvr schema.GroupVersionResource, ns string) dynamic.ResourceInterface {
	if ns == "" {
		return c.Resource(gvr)
	}
	return c.Resource(gvr).Namespace(ns)
}

// uidReplacer maps what the demo recording derives from each cluster's
// kube-system UID (the UID itself in NEG descriptions, the cluster hash and
// every Ingress's v2 load balancer name) to what the real API servers'
// UIDs give.
func uidPairs(t *testing.T, rec *recording.Recording, fsys fs.FS, clusters map[string]*realCluster) []string {
	var pairs []string
	for _, cl := range clusters {
		api := recording.KubeAPI(cl.location, cl.name)
		var old string
		var ingresses [][2]string
		for _, ex := range rec.Manifest.Exchanges {
			if ex.API != api || ex.File == "" {
				continue
			}
			raw, _ := fs.ReadFile(fsys, ex.File)
			switch {
			case ex.Path == "/api/v1/namespaces/kube-system":
				var ns metav1.PartialObjectMetadata
				json.Unmarshal(raw, &ns)
				old = string(ns.UID)
			case strings.HasSuffix(ex.Path, "/ingresses"):
				var list metav1.PartialObjectMetadataList
				json.Unmarshal(raw, &list)
				for _, it := range list.Items {
					ingresses = append(ingresses, [2]string{it.Namespace, it.Name})
				}
			}
		}
		if old == "" {
			t.Fatalf("the demo recording has no kube-system UID for %s", cl.name)
		}
		for _, ing := range ingresses {
			pairs = append(pairs, gke.V2LoadBalancerName(old, ing[0], ing[1]), gke.V2LoadBalancerName(cl.kubeSystemUID, ing[0], ing[1]))
		}
		pairs = append(pairs, old, cl.kubeSystemUID, gke.ClusterHash(old), gke.ClusterHash(cl.kubeSystemUID))
	}
	return pairs
}

// rbacRole is deploy/rbac.yaml's ClusterRole.
func rbacDocs(t *testing.T) (role *unstructured.Unstructured, bindings []*unstructured.Unstructured) {
	raw, err := os.ReadFile(rbacPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range yamlDocs(t, bytes.ReplaceAll(raw, []byte("PROJECT_ID"), []byte("acme-shop-prod"))) {
		switch d.GetKind() {
		case "ClusterRole":
			role = d
		case "ClusterRoleBinding":
			bindings = append(bindings, d)
		}
	}
	if role == nil || len(bindings) != 2 {
		t.Fatalf("%s: want a ClusterRole and two ClusterRoleBindings", rbacPath)
	}
	return role, bindings
}

// roleResource is one resource the ClusterRole grants.
type roleResource struct {
	group, resource string
	verbs           []string
	names           []string
}

func roleResources(role *unstructured.Unstructured) []roleResource {
	var out []roleResource
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	for _, r := range rules {
		rule := r.(map[string]any)
		groups, _, _ := unstructured.NestedStringSlice(rule, "apiGroups")
		resources, _, _ := unstructured.NestedStringSlice(rule, "resources")
		verbs, _, _ := unstructured.NestedStringSlice(rule, "verbs")
		names, _, _ := unstructured.NestedStringSlice(rule, "resourceNames")
		for _, g := range groups {
			for _, res := range resources {
				out = append(out, roleResource{group: g, resource: res, verbs: verbs, names: names})
			}
		}
	}
	return out
}

// roleWithout is the role minus one resource.
func roleWithout(role *unstructured.Unstructured, name string, drop roleResource) *unstructured.Unstructured {
	var rules []any
	for _, rr := range roleResources(role) {
		if rr.group == drop.group && rr.resource == drop.resource {
			continue
		}
		rule := map[string]any{"apiGroups": []any{rr.group}, "resources": []any{rr.resource}, "verbs": toAny(rr.verbs)}
		if len(rr.names) > 0 {
			rule["resourceNames"] = toAny(rr.names)
		}
		rules = append(rules, rule)
	}
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
		"metadata": map[string]any{"name": name}, "rules": rules}}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func binding(name, role, user string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
		"metadata": map[string]any{"name": name},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
		"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}}}}
}

func minusUser(rr roleResource) string {
	return "minus-" + rr.resource + "." + rr.group + "@acme-shop-prod.iam.gserviceaccount.com"
}

func minusToken(rr roleResource) string { return "minus-" + rr.resource + "-" + rr.group + "-token" }

// TestRealAPIServer runs lbdiag against real kube-apiservers holding the
// demo project's objects: the same findings as against the fakes, full
// coverage with deploy/rbac.yaml's role and nothing more, a gap with the
// RBAC hint for each resource taken away, only get and list in the audit
// log, and real paging with a 410 Expired forced by compacting etcd.
func TestRealAPIServer(t *testing.T) {
	assets := kubeAssets(t)
	t.Parallel()
	started := time.Now()
	rec, err := recording.Load(fixtures.Demo())
	if err != nil {
		t.Fatal(err)
	}
	fsys := fixtures.Demo()
	role, bindings := rbacDocs(t)
	// One entry per resource (namespaces has two rules: list all, get
	// kube-system): taking it away takes both.
	var resources []roleResource
	for _, rr := range roleResources(role) {
		merged := false
		for i := range resources {
			if resources[i].group == rr.group && resources[i].resource == rr.resource {
				resources[i].verbs = append(resources[i].verbs, rr.verbs...)
				merged = true
			}
		}
		if !merged {
			resources = append(resources, rr)
		}
	}

	env := &realEnv{assets: assets, dir: t.TempDir(), tokens: map[string][2]string{
		adminToken: {"admin", "system:masters"},
		testToken:  {lbdiagUser, ""},
		groupToken: {groupUser, groupName},
	}, clusters: map[string]*realCluster{}}
	for _, rr := range resources {
		env.tokens[minusToken(rr)] = [2]string{minusUser(rr), ""}
	}
	t.Cleanup(env.stop)
	env.newCA(t)
	env.startEtcd(t)

	// The demo's clusters, with their Service ranges, from the GKE answer.
	var clusters struct {
		Clusters []struct{ Name, Location, ServicesIpv4Cidr string }
	}
	for _, ex := range rec.Manifest.Exchanges {
		if ex.API == recording.APIContainer && ex.File != "" {
			raw, _ := fs.ReadFile(fsys, ex.File)
			json.Unmarshal(raw, &clusters)
		}
	}
	if len(clusters.Clusters) != 2 {
		t.Fatalf("the demo has %d clusters, want 2", len(clusters.Clusters))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, c := range clusters.Clusters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := env.startAPIServer(t, c.Location, c.Name, c.ServicesIpv4Cidr)
			env.installCRDs(t, cl)
			ks, err := cl.admin.Resource(nsGVR).Get(context.Background(), "kube-system", metav1.GetOptions{})
			if err != nil {
				t.Errorf("%s: kube-system: %v", c.Name, err)
				return
			}
			cl.kubeSystemUID = string(ks.GetUID())
			mu.Lock()
			env.clusters[c.Name] = cl
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	replace, back := replacers(uidPairs(t, rec, fsys, env.clusters))
	ctx := context.Background()
	// An API server stamps every object's creationTimestamp itself: the
	// reference fakes serve the same ones, so that rules judging an age
	// see the same objects on both sides.
	created := map[string]map[string]string{} // api -> resource/ns/name -> time
	for _, cl := range env.clusters {
		created[recording.KubeAPI(cl.location, cl.name)] = createObjects(t, cl, demoObjects(t, rec, fsys, cl.location, cl.name), replace)
		// deploy/rbac.yaml as shipped, then one role per resource taken away.
		for _, obj := range append([]*unstructured.Unstructured{role}, bindings...) {
			gvr := clusterRoleGVR
			if obj.GetKind() == "ClusterRoleBinding" {
				gvr = bindingGVR
			}
			if _, err := cl.admin.Resource(gvr).Create(ctx, obj.DeepCopy(), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		for _, rr := range resources {
			name := "minus-" + rr.resource + "." + rr.group
			if _, err := cl.admin.Resource(clusterRoleGVR).Create(ctx, roleWithout(role, name, rr), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := cl.admin.Resource(bindingGVR).Create(ctx, binding(name, name, minusUser(rr)), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("two API servers with CRDs, the demo's objects and the roles ready in %.1f s", time.Since(started).Seconds())

	// The reference: the same project served by the fixture fakes.
	sameCreation := func(api, path string, body map[string]any) {
		gvr, ok := listGVR(path)
		if !ok {
			return
		}
		items, _ := body["items"].([]any)
		for _, it := range items {
			meta := asMap(asMap(it)["metadata"])
			ns, _ := meta["namespace"].(string)
			name, _ := meta["name"].(string)
			if at, ok := created[api][gvr.Resource+"/"+ns+"/"+name]; ok {
				meta["creationTimestamp"] = at
			}
		}
	}
	ref := newFakeProject(t)
	ref.kubeEdit = sameCreation
	want := ref.run(t, "--format", "json")
	if want.code != report.ExitFindings {
		t.Fatalf("the fixture fakes: exit %d\n%s", want.code, want.stderr)
	}
	wantReport := parseReport(t, want.stdout)

	f := newFakeProject(t)
	f.replace = replace
	f.realKube = map[string]kubeEndpoint{}
	f.tokens = map[string]bool{groupToken: true}
	for token := range env.tokens {
		f.tokens[token] = true
	}
	for _, cl := range env.clusters {
		f.realKube[cl.name] = kubeEndpoint{host: cl.host, caPEM: env.caPEM}
	}

	t.Run("same findings as the fakes, full coverage", func(t *testing.T) {
		// A page of 2 makes every list of more than two objects page
		// through real continue tokens.
		got := f.run(t, "--format", "json", "--kube-page-size", "2")
		if got.code != report.ExitFindings {
			t.Fatalf("exit %d, want %d\n%s", got.code, report.ExitFindings, got.stderr)
		}
		r := parseReport(t, back.Replace(got.stdout))
		for _, c := range r.Coverage {
			if c.Status != "ok" && c.Status != "not installed" {
				t.Errorf("coverage %s %s: %s %s (%s)", c.Source, c.Scope, c.Status, c.Error, c.Hint)
			}
		}
		if g, w := findingKeys(r), findingKeys(wantReport); !slices.Equal(g, w) {
			t.Errorf("findings against the real API servers differ from the fakes'\nreal:  %q\nfakes: %q", g, w)
		}
		// Everything else too: messages, fixes and evidence (the events
		// attached to a finding included).
		for i := range min(len(r.Findings), len(wantReport.Findings)) {
			g, _ := json.MarshalIndent(r.Findings[i], "", " ")
			w, _ := json.MarshalIndent(wantReport.Findings[i], "", " ")
			if !bytes.Equal(g, w) {
				t.Errorf("finding %d differs:\nreal:  %s\nfakes: %s", i, g, w)
			}
		}
	})

	t.Run("a Google group bound by deploy/rbac.yaml", func(t *testing.T) {
		got := f.runAs(t, groupToken, nil, "--format", "json")
		if got.code != report.ExitFindings {
			t.Fatalf("exit %d, want %d\n%s", got.code, report.ExitFindings, got.stderr)
		}
		for _, c := range parseReport(t, got.stdout).Coverage {
			if c.Status != "ok" && c.Status != "not installed" {
				t.Errorf("coverage %s %s: %s %s", c.Source, c.Scope, c.Status, c.Error)
			}
		}
	})

	t.Run("the role minus one resource", func(t *testing.T) {
		full := map[string]bool{}
		for _, k := range findingKeys(wantReport) {
			full[k] = true
		}
		for _, rr := range resources {
			t.Run(strings.TrimSuffix(rr.resource+"."+rr.group, "."), func(t *testing.T) {
				t.Parallel()
				got := f.runAs(t, minusToken(rr), nil, "--format", "json")
				if got.code != report.ExitIncomplete && got.code != report.ExitFindings {
					t.Fatalf("exit %d\n%s", got.code, got.stderr)
				}
				r := parseReport(t, back.Replace(got.stdout))
				source := "kubernetes." + rr.resource
				for _, cl := range env.clusters {
					scope := "projects/acme-shop-prod/locations/" + cl.location + "/clusters/" + cl.name
					status, errText, hint := gap(r, source, scope)
					if status != "error" || !strings.Contains(errText, "forbidden") || !strings.Contains(hint, "grant RBAC") || !strings.Contains(hint, "deploy/rbac.yaml") {
						t.Errorf("%s %s: status %q error %q hint %q, want the RBAC gap", source, scope, status, errText, hint)
					}
				}
				if got.code != report.ExitIncomplete && len(r.Findings) == 0 {
					t.Errorf("exit %d", got.code)
				}
				// No finding may rest on the kind lbdiag could not read:
				// with less to read, nothing new may be found, except a
				// controller's own sync error that a finding of the full
				// read explained and absorbed, now shown on its own.
				for _, f := range r.Findings {
					k := f.Rule + " " + f.Resource.Kind + " " + f.Resource.Cluster + "/" + f.Resource.Namespace + "/" + f.Resource.Name
					if full[k] {
						continue
					}
					if explained, _ := f.Evidence["explainedBy"].(string); (f.Rule == "lb-sync-error" || f.Rule == "gateway-sync-error") && explained != "" {
						continue
					}
					t.Errorf("without %s lbdiag reports %s, which the full read does not: %s", rr.resource, k, f.Message)
				}
			})
		}
	})

	t.Run("audit log: get and list on the role's resources only", func(t *testing.T) {
		allowed := map[string]bool{}
		for _, rr := range resources {
			for _, v := range rr.verbs {
				allowed[v+" "+rr.group+"/"+rr.resource] = true
			}
		}
		users := map[string]bool{lbdiagUser: true, groupUser: true}
		for _, rr := range resources {
			users[minusUser(rr)] = true
		}
		seen := map[string]int{}
		for _, cl := range env.clusters {
			raw, err := os.ReadFile(cl.audit)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
				var ev struct {
					Stage      string
					Verb       string
					RequestURI string
					User       struct{ Username string }
					ObjectRef  *struct{ Resource, APIGroup, Name, Namespace string }
				}
				if err := json.Unmarshal([]byte(line), &ev); err != nil {
					t.Fatalf("audit line: %v", err)
				}
				if !users[ev.User.Username] || ev.Stage != "ResponseComplete" {
					continue
				}
				if ev.ObjectRef == nil {
					t.Errorf("%s: lbdiag sent a non-resource request %s %s", cl.name, ev.Verb, ev.RequestURI)
					continue
				}
				key := ev.Verb + " " + ev.ObjectRef.APIGroup + "/" + ev.ObjectRef.Resource
				seen[key]++
				if !allowed[key] {
					t.Errorf("%s: %s sent %s (%s), which deploy/rbac.yaml does not grant", cl.name, ev.User.Username, key, ev.RequestURI)
				}
				if ev.Verb == "get" && ev.ObjectRef.Name != "kube-system" {
					t.Errorf("%s: get of %s/%s", cl.name, ev.ObjectRef.Resource, ev.ObjectRef.Name)
				}
			}
		}
		// Every grant is used: the role holds nothing lbdiag does not need.
		for k := range allowed {
			if seen[k] == 0 {
				t.Errorf("deploy/rbac.yaml grants %s, which lbdiag never used", k)
			}
		}
	})

	t.Run("one cluster through its DNS endpoint, behind authorized networks", func(t *testing.T) {
		cl := env.clusters["ops-us"]
		ca, proxy := newTestCA(t), newConnectProxy(t)
		target, _ := url.Parse("https://" + cl.host)
		rp := httputil.NewSingleHostReverseProxy(target)
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(env.caPEM)
		rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		var hits atomic.Int32
		front := ca.serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			rp.ServeHTTP(w, r)
		}), "*.us-central1.gke.goog")
		proxy.route(opsDNS+":443", strings.TrimPrefix(front.URL, "https://"))
		proxy.route(opsPublic+":443", "")
		proxy.route(opsPrivate+":443", "")
		g := newFakeProject(t)
		g.replace, g.tokens, g.realKube = f.replace, f.tokens, f.realKube
		g.clusterEdit = func(c map[string]any) {
			if c["name"] == "ops-us" {
				endpoints(opsPublic, opsPrivate, opsDNS, true)(c)
			}
		}
		got := g.runEnv(t, []string{"HTTPS_PROXY=" + proxy.srv.URL, "SSL_CERT_FILE=" + ca.file}, "--format", "json", "--cluster-connect-timeout", "1s")
		if got.code != report.ExitFindings {
			t.Fatalf("exit %d\n%s", got.code, got.stderr)
		}
		if a := parseAccess(t, got.stdout).access("us-central1-a/ops-us"); !strings.HasPrefix(a, "dns "+opsDNS+" | public:timeout dns:ok") {
			t.Errorf("ops-us: %s", a)
		}
		r := parseReport(t, back.Replace(got.stdout))
		for _, c := range r.Coverage {
			if c.Status != "ok" && c.Status != "not installed" {
				t.Errorf("coverage %s %s: %s %s", c.Source, c.Scope, c.Status, c.Error)
			}
		}
		if g, w := findingKeys(r), findingKeys(wantReport); !slices.Equal(g, w) {
			t.Errorf("through the DNS endpoint the findings differ\nreal:  %q\nfakes: %q", g, w)
		}
		if hits.Load() < 20 {
			t.Errorf("the DNS endpoint served %d requests", hits.Load())
		}
	})

	t.Run("paging through a compaction: 410 Expired, then a fresh list", func(t *testing.T) {
		cl := env.clusters[compactedCluster]
		proxy, expired := compactingProxy(t, env, cl)
		g := newFakeProject(t)
		g.replace, g.tokens = f.replace, f.tokens
		g.realKube = map[string]kubeEndpoint{}
		for name, ep := range f.realKube {
			g.realKube[name] = ep
		}
		g.realKube[cl.name] = kubeEndpoint{host: proxy, caPEM: env.caPEM}
		got := g.run(t, "--format", "json", "--kube-page-size", "1")
		if got.code != report.ExitFindings {
			t.Fatalf("exit %d\n%s", got.code, got.stderr)
		}
		// Every kind in the middle of its list at the compaction (all are
		// listed at once, one object a page) gets 410 once and restarts.
		if n := expired.Load(); n == 0 {
			t.Errorf("the API server never answered 410 Expired to a continue token that outlived the compaction")
		}
		r := parseReport(t, back.Replace(got.stdout))
		for _, c := range r.Coverage {
			if c.Status != "ok" && c.Status != "not installed" {
				t.Errorf("coverage %s %s: %s %s", c.Source, c.Scope, c.Status, c.Error)
			}
		}
		if g, w := findingKeys(r), findingKeys(wantReport); !slices.Equal(g, w) {
			t.Errorf("after the restarted list the findings differ\nreal:  %q\nfakes: %q", g, w)
		}
	})
}

// replacers makes the replacer of old, new pairs and the one that undoes it.
func replacers(pairs []string) (forward, back *strings.Replacer) {
	rev := make([]string, len(pairs))
	for i := 0; i < len(pairs); i += 2 {
		rev[i], rev[i+1] = pairs[i+1], pairs[i]
	}
	return strings.NewReplacer(pairs...), strings.NewReplacer(rev...)
}

// compactingProxy stands in front of a cluster's API server. On the first
// request that carries a continue token for Services, it writes an object
// and compacts etcd to the new revision, so the token's revision is gone;
// it counts the 410 Expired answers the API server gives.
func compactingProxy(t *testing.T, env *realEnv, cl *realCluster) (string, *atomic.Int32) {
	target, _ := url.Parse("https://" + cl.host)
	rp := httputil.NewSingleHostReverseProxy(target)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(env.caPEM)
	rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	var expired atomic.Int32
	var once sync.Once
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.StatusCode == http.StatusGone {
			expired.Add(1)
		}
		return nil
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/services" && r.URL.Query().Get("continue") != "" {
			once.Do(func() { compact(t, env, cl) })
		}
		rp.ServeHTTP(w, r)
	})
	srv := httptest.NewUnstartedServer(h)
	cert, key := env.serving(t, filepath.Join(env.dir, cl.name, "proxy"))
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "https://"), &expired
}

// compact writes an object, so that etcd's revision moves past the list's,
// and compacts etcd to it through etcd's JSON gateway.
func compact(t *testing.T, env *realEnv, cl *realCluster) {
	ctx := context.Background()
	cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"generateName": "compaction-", "namespace": "default"}}}
	if _, err := cl.admin.Resource(configMapGVR).Namespace("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Errorf("writing before the compaction: %v", err)
		return
	}
	post := func(path string, body any) map[string]any {
		b, _ := json.Marshal(body)
		resp, err := http.Post(env.etcdURL+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Errorf("etcd %s: %v", path, err)
			return nil
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]any
		json.Unmarshal(raw, &out)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("etcd %s: %s %s", path, resp.Status, raw)
		}
		return out
	}
	status := post("/v3/kv/range", map[string]any{"key": base64.StdEncoding.EncodeToString([]byte("/"))})
	rev, _ := asMap(status["header"])["revision"].(string)
	post("/v3/kv/compaction", map[string]any{"revision": rev, "physical": true})
}
