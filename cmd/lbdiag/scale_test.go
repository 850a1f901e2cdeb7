package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/gcp"
	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/internal/fakelogging"
	"github.com/lbdiag/lbdiag/report"
)

// The scale benchmark runs the built binary live against a synthetic
// project served by loopback fakes, with a latency injected into every
// answer, and prints a table per scale and latency:
//
//	go test ./cmd/lbdiag -run TestScale -scale S,M,L -latency 0,50ms -health auto,all -v -timeout 120m
//
// A latency "500ms/100ms" delays Compute Engine's and GKE's answers 500 ms
// and each cluster's 100 ms. -mode live,record,replay adds a run with
// --record and one with --replay of that recording, for their peak
// memory; -mode evidence a run with --evidence. -memory-limit 512MiB runs
// lbdiag in a memory cgroup of that size, its temporary directory on
// tmpfs, as a Cloud Run task runs it (root only), and fails a run the
// kernel kills for want of memory.
//
// BenchmarkScale runs S, M and L at both latency profiles and reports
// each run's wall time, reads and peak memory:
//
//	go test ./cmd/lbdiag -run '^$' -bench Scale -benchtime 1x
//
// Without flags (as CI runs it) it runs S and M at 0 latency with the
// default settings and fails when a scale's request count grows beyond
// testdata/scale-requests.json. No assertion is timed.
var (
	scaleFlag   = flag.String("scale", "S,M", "scales to run: S, M, L")
	latencyFlag = flag.String("latency", "0", "latencies injected per request, comma separated")
	healthFlag  = flag.String("health", "auto", "--health modes to run, comma separated")
	modeFlag    = flag.String("mode", "live", "live, or live,record,replay: also run with --record, then --replay of that recording; evidence: with --evidence")
	updateScale = flag.Bool("update-scale", false, "rewrite testdata/scale-requests.json")
	logsFlag    = flag.String("logs", "0", "--logs windows to run, comma separated (0: without --logs)")
	logsLatency = flag.Duration("logs-latency", 0, "latency of each Cloud Logging answer (default: -latency's)")
	scaleBinary = flag.String("scale-binary", "", "run this lbdiag executable instead of the one built from this tree (to compare builds)")
	lbdiagEnv   = flag.String("lbdiag-env", "", "more environment for lbdiag alone, KEY=VALUE;... (GOMEMLIMIT=410MiB: in the test's own environment it would limit the fakes too; ';' between variables, as GODEBUG's values hold commas)")
	memoryLimit = flag.String("memory-limit", "", "run lbdiag in a memory cgroup of this size (512MiB: a Cloud Run task's default), its temporary directory on tmpfs (/dev/shm) as a Cloud Run task's is; needs root")
	profileDir  = flag.String("profile-dir", "", "write each run's CPU and heap profiles into this directory (--cpu-profile, --heap-profile)")
)

// scaleSpec is a synthetic project: clusters, Ingresses (each with two
// NEG Services, so 2 backend services and 4 NEGs per Ingress, NEGs in two
// zones) and VPC firewall rules.
type scaleSpec struct {
	name                          string
	clusters, ingresses, firewall int
}

var scaleSpecs = map[string]scaleSpec{
	"S": {"S", 1, 20, 50},
	"M": {"M", 5, 500, 2000},
	"L": {"L", 20, 5000, 5000},
}

const (
	scaleProject = "acme-scale"
	scaleRegion  = "us-central1"
	computePfx   = "https://www.googleapis.com/compute/v1/projects/" + scaleProject
)

var scaleZones = []string{"us-central1-a", "us-central1-b"}

// synth generates the project's objects by index, on demand.
type synth struct {
	s scaleSpec
}

func (y synth) services() int { return 2 * y.s.ingresses }
func (y synth) bsName(k int) string {
	i, part := k/2, []string{"web", "api"}[k%2]
	cl := i % y.s.clusters
	return fmt.Sprintf("k8s1-%s-team-%d-app-%d-%s-80-%s", y.uid8(cl), i%50, i, part, hash8(fmt.Sprint("bs", k)))
}
func (y synth) uid8(cl int) string        { return hash8(fmt.Sprint("cluster-uid", cl)) }
func (y synth) ksUID(cl int) string       { return "ks-" + hash8(fmt.Sprint("ks", cl)) + "-uid" }
func (y synth) clusterName(cl int) string { return fmt.Sprintf("gke-%02d", cl) }
func (y synth) clusterID(cl int) string   { return hash8(fmt.Sprint("id", cl)) + strings.Repeat("0", 56) }
func (y synth) nodeTag(cl int) string {
	return gke.NodeTag(y.clusterName(cl), y.clusterID(cl))
}
func (y synth) svcOf(k int) (cl int, ns, name string) {
	i, part := k/2, []string{"web", "api"}[k%2]
	return i % y.s.clusters, fmt.Sprintf("team-%d", i%50), fmt.Sprintf("app-%d-%s", i, part)
}

func hash8(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

func (y synth) backendService(k int) map[string]any {
	name := y.bsName(k)
	_, ns, svc := y.svcOf(k)
	var backends []any
	for _, z := range scaleZones {
		backends = append(backends, map[string]any{"group": computePfx + "/zones/" + z + "/networkEndpointGroups/" + name, "balancingMode": "RATE", "maxRatePerEndpoint": 100, "capacityScaler": 1})
	}
	return map[string]any{"kind": "compute#backendService", "id": strconv.Itoa(1000000 + k), "name": name,
		"description": fmt.Sprintf(`{"kubernetes.io/service-name":"%s/%s","kubernetes.io/service-port":"&ServiceBackendPort{Name:,Number:80,}","x-features":["NEG"]}`, ns, svc),
		"selfLink":    computePfx + "/global/backendServices/" + name, "backends": backends, "healthChecks": []any{computePfx + "/global/healthChecks/" + name},
		"timeoutSec": 30, "port": 80, "protocol": "HTTP", "portName": "port0", "sessionAffinity": "NONE", "loadBalancingScheme": "EXTERNAL",
		"connectionDraining": map[string]any{"drainingTimeoutSec": 30}, "logConfig": map[string]any{"enable": true, "sampleRate": 1}}
}

func (y synth) healthCheck(k int) map[string]any {
	name := y.bsName(k)
	return map[string]any{"kind": "compute#healthCheck", "id": strconv.Itoa(2000000 + k), "name": name, "checkIntervalSec": 15, "timeoutSec": 15,
		"healthyThreshold": 1, "unhealthyThreshold": 2, "type": "HTTP", "description": "Default kubernetes L7 Loadbalancing health check for NEG.",
		"httpHealthCheck": map[string]any{"portSpecification": "USE_SERVING_PORT", "requestPath": "/"}, "selfLink": computePfx + "/global/healthChecks/" + name}
}

func (y synth) neg(k int) (string, map[string]any) {
	bs, z := k/2, scaleZones[k%2]
	name := y.bsName(bs)
	cl, ns, svc := y.svcOf(bs)
	return "zones/" + z, map[string]any{"kind": "compute#networkEndpointGroup", "id": strconv.Itoa(3000000 + k), "name": name,
		"description":         fmt.Sprintf(`{"cluster-uid":"%s","namespace":"%s","service-name":"%s","port":"80"}`, y.ksUID(cl), ns, svc),
		"networkEndpointType": "GCE_VM_IP_PORT", "size": 1, "zone": computePfx + "/zones/" + z, "selfLink": computePfx + "/zones/" + z + "/networkEndpointGroups/" + name,
		"network": computePfx + "/global/networks/scale-vpc", "defaultPort": 0}
}

func (y synth) firewall(k int) map[string]any {
	name := fmt.Sprintf("fw-%05d", k)
	rule := map[string]any{"kind": "compute#firewall", "id": strconv.Itoa(4000000 + k), "name": name, "network": computePfx + "/global/networks/scale-vpc",
		"priority": 1000 + k%100, "direction": "INGRESS", "sourceRanges": []any{fmt.Sprintf("10.%d.%d.0/24", 100+k/256%100, k%256)},
		"allowed": []any{map[string]any{"IPProtocol": "tcp", "ports": []any{strconv.Itoa(8000 + k%1000)}}}, "selfLink": computePfx + "/global/firewalls/" + name}
	if k == 0 {
		rule["name"], rule["sourceRanges"] = "allow-google-health-checks", []any{"35.191.0.0/16", "130.211.0.0/22"}
		rule["allowed"] = []any{map[string]any{"IPProtocol": "tcp", "ports": []any{"8080"}}}
	}
	return rule
}

func (y synth) lbName(i int) string {
	cl := i % y.s.clusters
	return gke.V2LoadBalancerName(y.ksUID(cl), fmt.Sprintf("team-%d", i%50), fmt.Sprintf("app-%d", i))
}

func (y synth) urlMap(i int) map[string]any {
	name := "k8s2-um-" + y.lbName(i)
	return map[string]any{"kind": "compute#urlMap", "id": strconv.Itoa(5000000 + i), "name": name, "selfLink": computePfx + "/global/urlMaps/" + name,
		"defaultService": computePfx + "/global/backendServices/" + y.bsName(2*i)}
}

func (y synth) proxy(i int) map[string]any {
	name := "k8s2-tp-" + y.lbName(i)
	return map[string]any{"kind": "compute#targetHttpProxy", "id": strconv.Itoa(6000000 + i), "name": name, "selfLink": computePfx + "/global/targetHttpProxies/" + name,
		"urlMap": computePfx + "/global/urlMaps/k8s2-um-" + y.lbName(i), "description": fmt.Sprintf(`{"kubernetes.io/ingress-name": "team-%d/app-%d"}`, i%50, i)}
}

func (y synth) forwardingRule(i int) map[string]any {
	name := "k8s2-fr-" + y.lbName(i)
	return map[string]any{"kind": "compute#forwardingRule", "id": strconv.Itoa(7000000 + i), "name": name, "selfLink": computePfx + "/global/forwardingRules/" + name,
		"IPAddress": fmt.Sprintf("34.%d.%d.%d", 100+i/65536, i/256%256, i%256), "IPProtocol": "TCP", "portRange": "80-80", "loadBalancingScheme": "EXTERNAL",
		"target": computePfx + "/global/targetHttpProxies/k8s2-tp-" + y.lbName(i), "description": fmt.Sprintf(`{"kubernetes.io/ingress-name": "team-%d/app-%d"}`, i%50, i)}
}

func (y synth) instance(k int) (string, map[string]any) {
	cl, n := k/3, k%3
	z := scaleZones[n%2]
	name := fmt.Sprintf("gke-%s-default-pool-%s-%d", y.clusterName(cl), hash8(fmt.Sprint("pool", cl)), n)
	return "zones/" + z, map[string]any{"kind": "compute#instance", "id": strconv.Itoa(8000000 + k), "name": name, "zone": computePfx + "/zones/" + z,
		"tags": map[string]any{"items": []any{y.nodeTag(cl)}}, "status": "RUNNING", "selfLink": computePfx + "/zones/" + z + "/instances/" + name,
		"labels":            map[string]any{"goog-k8s-cluster-name": y.clusterName(cl)},
		"networkInterfaces": []any{map[string]any{"network": computePfx + "/global/networks/scale-vpc", "networkIP": fmt.Sprintf("10.0.%d.%d", cl, n+10)}},
		"serviceAccounts":   []any{map[string]any{"email": "nodes@" + scaleProject + ".iam.gserviceaccount.com"}}}
}

// list describes one Compute Engine list: its item count and items.
type computeList struct {
	count int
	item  func(k int) (scope string, obj map[string]any)
	field string
	// aggregated lists group by scope; global ones ("firewalls") do not.
	aggregated bool
}

func (y synth) computeLists() map[string]computeList {
	global := func(f func(int) map[string]any) func(int) (string, map[string]any) {
		return func(k int) (string, map[string]any) { return "global", f(k) }
	}
	nBS := y.services()
	return map[string]computeList{
		"backendServices":       {nBS, global(y.backendService), "backendServices", true},
		"healthChecks":          {nBS, global(y.healthCheck), "healthChecks", true},
		"networkEndpointGroups": {2 * nBS, y.neg, "networkEndpointGroups", true},
		"urlMaps":               {y.s.ingresses, global(y.urlMap), "urlMaps", true},
		"targetHttpProxies":     {y.s.ingresses, global(y.proxy), "targetHttpProxies", true},
		"forwardingRules":       {y.s.ingresses, global(y.forwardingRule), "forwardingRules", true},
		"instances":             {3 * y.s.clusters, y.instance, "instances", true},
		"firewalls":             {y.s.firewall, global(y.firewall), "items", false},
	}
}

// scaleFake serves the synthetic project: Compute Engine, GKE and one TLS
// Kubernetes API server per cluster, each answer delayed by latency, every
// request counted.
type scaleFake struct {
	y       synth
	latency time.Duration
	// kubeLatency delays each cluster's answers.
	kubeLatency time.Duration
	compute     *httptest.Server
	container   *httptest.Server
	logging     *httptest.Server
	kube        []*httptest.Server
	ca          *testCA  // the clusters' CA
	counts      sync.Map // category -> *atomic.Int64
	// logs is the Cloud Logging API: every tenth backend service failed
	// 30 times in the last hour, and each of those has an endpoint whose
	// probes time out.
	logs        *fakelogging.Server
	logsLatency time.Duration
	// byName indexes the objects for gets (a trace).
	indexOnce sync.Once
	byName    map[string]int
	// The objects, generated once: the fake's CPU is the test process's,
	// and on a small machine it competes with the run it measures.
	listsOnce sync.Once
	lists     map[string]computeList
	filtered  sync.Map // collection|filter -> []int
	kubeCache sync.Map // cluster|resource -> []any
	encoded   sync.Map // object (map pointer) -> json.RawMessage
	firewalls []any
	// timeline is when each request came, with -profile-dir.
	tmu      sync.Mutex
	started  time.Time
	timeline []string
}

// raw is an object encoded, once: the fake serves pages of encoded
// objects, so that its own CPU time stays small beside lbdiag's.
func (f *scaleFake) raw(obj map[string]any) json.RawMessage {
	key := reflect.ValueOf(obj).Pointer()
	if b, ok := f.encoded.Load(key); ok {
		return b.(json.RawMessage)
	}
	b, _ := json.Marshal(obj)
	f.encoded.Store(key, json.RawMessage(b))
	return b
}

// computeLists are the synthetic project's lists, each item generated
// once.
func (f *scaleFake) computeLists() map[string]computeList {
	f.listsOnce.Do(func() {
		f.lists = map[string]computeList{}
		for coll, l := range f.y.computeLists() {
			scopes, objs := make([]string, l.count), make([]map[string]any, l.count)
			for k := range l.count {
				scopes[k], objs[k] = l.item(k)
			}
			l.item = func(k int) (string, map[string]any) { return scopes[k], objs[k] }
			f.lists[coll] = l
		}
		for k := 0; k < f.y.s.firewall; k++ {
			f.firewalls = append(f.firewalls, f.y.firewall(k))
		}
	})
	return f.lists
}

func (f *scaleFake) count(cat string) {
	v, _ := f.counts.LoadOrStore(cat, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	if *profileDir != "" {
		f.tmu.Lock()
		f.timeline = append(f.timeline, fmt.Sprintf("%.3f %s", time.Since(f.started).Seconds(), cat))
		f.tmu.Unlock()
	}
}

func (f *scaleFake) get(cat string) int64 {
	v, ok := f.counts.Load(cat)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

func newScaleFake(t testing.TB, s scaleSpec, latency, kubeLatency time.Duration) *scaleFake {
	f := &scaleFake{y: synth{s}, latency: latency, kubeLatency: kubeLatency}
	f.compute = serveHTTP(t, http.HandlerFunc(f.serveCompute))
	// The clusters' certificates are ECDSA, as a fake's signing for each
	// of lbdiag's connections is the test process's CPU, shared with the
	// run (RSA took 0.2 s of it at L).
	f.ca = newTestCA(t)
	for cl := 0; cl < s.clusters; cl++ {
		f.kube = append(f.kube, f.ca.serve(t, f.serveKube(cl), "127.0.0.1"))
	}
	f.container = serveHTTP(t, http.HandlerFunc(f.serveContainer))
	// Everything the fake serves is generated before a run starts, so that
	// the run's time is lbdiag's.
	for _, l := range f.computeLists() {
		for k := range l.count {
			_, o := l.item(k)
			f.raw(o)
		}
	}
	for _, fw := range f.firewalls {
		f.raw(fw.(map[string]any))
	}
	// And the lists split by name, filtered as lbdiag filters them.
	for coll, l := range f.computeLists() {
		for _, filter := range gcp.NameFilters() {
			f.filter(coll, l, filter)
		}
	}
	for cl := range s.clusters {
		for _, res := range []string{"ingresses", "services", "deployments", "endpointslices", "nodes"} {
			objs := f.kubeObjects(cl, res)
			for _, o := range objs {
				f.raw(o.(map[string]any))
			}
			f.kubeCache.Store(fmt.Sprint(cl, "|", res), objs)
		}
	}
	f.logs = fakelogging.New(scaleProject, f.y.logEntries())
	f.logsLatency = latency
	if *logsLatency > 0 {
		f.logsLatency = *logsLatency
	}
	f.logging = serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(f.logsLatency)
		f.count("logging")
		f.logs.ServeHTTP(w, r)
	}))
	return f
}

// logEntries are the project's load-balancer logs of the hour before the
// runs' clock (2026-11-30T12:00:00Z).
func (y synth) logEntries() []map[string]any {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var out []map[string]any
	for k := 0; k < y.services(); k += 10 {
		for i := range 30 {
			at := now.Add(-time.Duration(i*97+k%60) * time.Second).Format(time.RFC3339Nano)
			out = append(out, map[string]any{"insertId": fmt.Sprintf("r%d-%d", k, i), "timestamp": at, "logName": "projects/" + scaleProject + "/logs/requests",
				"resource":    map[string]any{"type": "http_load_balancer", "labels": map[string]any{"backend_service_name": y.bsName(k), "project_id": scaleProject, "zone": "global"}},
				"httpRequest": map[string]any{"requestMethod": "GET", "requestUrl": "https://app.example.com/", "status": 502, "latency": "0.012s"},
				"jsonPayload": map[string]any{"statusDetails": "backend_connection_closed_before_data_sent_to_client"}})
		}
		out = append(out, map[string]any{"insertId": fmt.Sprintf("p%d", k), "timestamp": now.Add(-20 * time.Minute).Format(time.RFC3339Nano),
			"logName":     "projects/" + scaleProject + "/logs/compute.googleapis.com%2Fhealthchecks",
			"resource":    map[string]any{"type": "gce_network_endpoint_group", "labels": map[string]any{"project_id": scaleProject, "zone": scaleZones[0], "network_endpoint_group_id": strconv.Itoa(3000000 + 2*k)}},
			"jsonPayload": map[string]any{"healthCheckProbeResult": map[string]any{"ipAddress": "10.8.0.1", "targetPort": 8080, "healthState": "UNHEALTHY", "detailedHealthState": "TIMEOUT"}}})
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(v)
}

// filter is the indexes of the items of list coll that filter keeps,
// worked out once.
func (f *scaleFake) filter(coll string, l computeList, filter string) ([]int, error) {
	if keep, done := f.filtered.Load(coll + "|" + filter); done {
		return keep.([]int), nil
	}
	match, err := parseComputeFilter(filter)
	if err != nil {
		return nil, err
	}
	var keep []int
	for k := 0; k < l.count; k++ {
		if _, o := l.item(k); match(o) {
			keep = append(keep, k)
		}
	}
	f.filtered.Store(coll+"|"+filter, keep)
	return keep, nil
}

func (f *scaleFake) serveCompute(w http.ResponseWriter, r *http.Request) {
	time.Sleep(f.latency)
	path := strings.TrimPrefix(r.URL.Path, "/compute/v1/projects/"+scaleProject+"/")
	q := r.URL.Query()
	if strings.HasSuffix(path, "/getHealth") {
		f.count("getHealth")
		state := "HEALTHY"
		if strings.Contains(path, "app-7-") { // a few sick backends
			state = "UNHEALTHY"
		}
		writeJSON(w, map[string]any{"kind": "compute#backendServiceGroupHealth", "healthStatus": []any{map[string]any{"ipAddress": "10.8.0.1", "port": 8080, "healthState": state}}})
		return
	}
	if strings.HasSuffix(path, "getEffectiveFirewalls") {
		f.count("compute")
		f.computeLists()
		fws := make([]json.RawMessage, len(f.firewalls))
		for i, fw := range f.firewalls {
			fws[i] = f.raw(fw.(map[string]any))
		}
		writeJSON(w, map[string]any{"firewalls": fws})
		return
	}
	f.count("compute")
	if q.Get("pageToken") != "" {
		f.count("compute pages")
	}
	if m := scalePath.FindStringSubmatch(path); m != nil {
		// A get by name (a trace).
		if o := f.object(m[2], m[1], m[3]); o != nil {
			writeJSON(w, o)
		} else {
			writeGoogleError(w, http.StatusNotFound, "notFound", "The resource 'projects/"+scaleProject+"/"+path+"' was not found")
		}
		return
	}
	coll := strings.TrimPrefix(strings.TrimPrefix(path, "aggregated/"), "global/")
	f.count("chain " + coll + "|" + q.Get("filter"))
	lists := f.computeLists()
	l, ok := lists[coll]
	if filter := q.Get("filter"); ok && filter != "" {
		keep, err := f.filter(coll, l, filter)
		if err != nil {
			writeGoogleError(w, http.StatusBadRequest, "invalid", "Invalid value for field 'filter': '"+filter+"'.")
			return
		}
		// A filtered list: the items that pass, paged the same way.
		item := l.item
		l.count, l.item = len(keep), func(k int) (string, map[string]any) { return item(keep[k]) }
	}
	if !ok {
		// Every other list is empty.
		if strings.HasPrefix(path, "aggregated/") {
			writeJSON(w, map[string]any{"kind": "compute#aggregatedList", "items": map[string]any{}})
		} else {
			writeJSON(w, map[string]any{"kind": "compute#list", "items": []any{}})
		}
		return
	}
	start, _ := strconv.Atoi(q.Get("pageToken"))
	end := min(start+500, l.count)
	// The page is written by hand from the objects' encodings: encoding
	// it would cost the test process, which shares the CPUs with the run,
	// as much as decoding it costs lbdiag.
	var b bytes.Buffer
	if l.aggregated {
		byScope := map[string][][]byte{}
		var scopes []string
		for k := start; k < end; k++ {
			scope, obj := l.item(k)
			if _, ok := byScope[scope]; !ok {
				scopes = append(scopes, scope)
			}
			byScope[scope] = append(byScope[scope], f.raw(obj))
		}
		b.WriteString(`{"items":{`)
		for i, scope := range scopes {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q:{%q:[", scope, l.field)
			b.Write(bytes.Join(byScope[scope], []byte(",")))
			b.WriteString("]}")
		}
		b.WriteString("}")
	} else {
		objs := make([][]byte, 0, end-start)
		for k := start; k < end; k++ {
			_, obj := l.item(k)
			objs = append(objs, f.raw(obj))
		}
		b.WriteString(`{"items":[`)
		b.Write(bytes.Join(objs, []byte(",")))
		b.WriteString("]")
	}
	if end < l.count {
		fmt.Fprintf(&b, `,"nextPageToken":%q`, strconv.Itoa(end))
	}
	b.WriteString("}\n")
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Write(b.Bytes())
}

var scalePath = regexp.MustCompile(`^(global|regions/[^/]+|zones/[^/]+)/([A-Za-z]+)/([^/]+)$`)

// object returns one resource of the synthetic project by collection,
// scope and name, from an index built on the first get.
func (f *scaleFake) object(coll, scope, name string) map[string]any {
	f.indexOnce.Do(func() {
		f.byName = map[string]int{}
		for c, l := range f.computeLists() {
			for k := 0; k < l.count; k++ {
				sc, o := l.item(k)
				f.byName[c+"|"+sc+"|"+o["name"].(string)] = k
			}
		}
	})
	at, ok := f.byName[coll+"|"+scope+"|"+name]
	if !ok {
		return nil
	}
	_, o := f.computeLists()[coll].item(at)
	return o
}

func (f *scaleFake) serveContainer(w http.ResponseWriter, r *http.Request) {
	time.Sleep(f.latency)
	f.count("container")
	var clusters []any
	for cl, srv := range f.kube {
		clusters = append(clusters, map[string]any{"name": f.y.clusterName(cl), "location": scaleRegion, "id": f.y.clusterID(cl), "status": "RUNNING",
			"endpoint":   strings.TrimPrefix(srv.URL, "https://"),
			"masterAuth": map[string]any{"clusterCaCertificate": base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.ca.cert.Raw}))},
			"network":    "scale-vpc", "subnetwork": "nodes",
			"networkConfig":      map[string]any{"network": "projects/" + scaleProject + "/global/networks/scale-vpc", "subnetwork": "projects/" + scaleProject + "/regions/" + scaleRegion + "/subnetworks/nodes"},
			"ipAllocationPolicy": map[string]any{"useIpAliases": true}, "addonsConfig": map[string]any{"httpLoadBalancing": map[string]any{}}})
	}
	writeJSON(w, map[string]any{"clusters": clusters})
}

// kubeObjects are a cluster's objects of one resource, by index.
func (f *scaleFake) kubeObjects(cl int, resource string) []any {
	y := f.y
	var out []any
	meta := func(ns, name string) map[string]any {
		return map[string]any{"namespace": ns, "name": name, "uid": hash8(ns + name + resource), "resourceVersion": "1", "creationTimestamp": "2026-01-01T00:00:00Z"}
	}
	for i := cl; i < y.s.ingresses; i += y.s.clusters {
		ns, app := fmt.Sprintf("team-%d", i%50), fmt.Sprintf("app-%d", i)
		switch resource {
		case "ingresses":
			m := meta(ns, app)
			m["annotations"] = map[string]any{
				"ingress.kubernetes.io/backends":        fmt.Sprintf(`{"%s":"HEALTHY","%s":"%s"}`, y.bsName(2*i), y.bsName(2*i+1), map[bool]string{true: "UNHEALTHY", false: "HEALTHY"}[i%17 == 0]),
				"ingress.kubernetes.io/url-map":         "k8s2-um-" + y.lbName(i),
				"ingress.kubernetes.io/target-proxy":    "k8s2-tp-" + y.lbName(i),
				"ingress.kubernetes.io/forwarding-rule": "k8s2-fr-" + y.lbName(i),
			}
			path := func(p, svc string) any {
				return map[string]any{"path": p, "pathType": "Prefix", "backend": map[string]any{"service": map[string]any{"name": svc, "port": map[string]any{"number": 80}}}}
			}
			out = append(out, map[string]any{"metadata": m, "spec": map[string]any{"rules": []any{map[string]any{"host": app + ".example.com",
				"http": map[string]any{"paths": []any{path("/", app+"-web"), path("/api", app+"-api")}}}}}})
		case "services", "deployments", "endpointslices":
			for part := 0; part < 2; part++ {
				k := 2*i + part
				_, _, svc := y.svcOf(k)
				switch resource {
				case "services":
					m := meta(ns, svc)
					m["annotations"] = map[string]any{"cloud.google.com/neg": `{"ingress":true}`,
						"cloud.google.com/neg-status": fmt.Sprintf(`{"network_endpoint_groups":{"80":"%s"},"zones":["%s","%s"]}`, y.bsName(k), scaleZones[0], scaleZones[1])}
					out = append(out, map[string]any{"metadata": m, "spec": map[string]any{"type": "ClusterIP", "selector": map[string]any{"app": svc},
						"ports": []any{map[string]any{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}}}})
				case "deployments":
					out = append(out, map[string]any{"metadata": meta(ns, svc), "spec": map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"app": svc}},
						"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": svc}}, "spec": map[string]any{
							"terminationGracePeriodSeconds": 120, "containers": []any{map[string]any{"name": "app", "image": "app:1",
								"ports":          []any{map[string]any{"name": "http", "containerPort": 8080}},
								"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/ready", "port": "http", "scheme": "HTTP"}, "periodSeconds": 10, "timeoutSeconds": 1},
								"lifecycle":      map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 95}}}}}}}}})
				case "endpointslices":
					m := meta(ns, svc+"-abcde")
					m["labels"] = map[string]any{"kubernetes.io/service-name": svc}
					out = append(out, map[string]any{"metadata": m, "addressType": "IPv4", "ports": []any{map[string]any{"name": "http", "port": 8080, "protocol": "TCP"}},
						"endpoints": []any{map[string]any{"addresses": []any{"10.8.0.1"}, "conditions": map[string]any{"ready": true}, "nodeName": fmt.Sprintf("gke-%s-default-pool-%s-0", y.clusterName(cl), hash8(fmt.Sprint("pool", cl)))}}})
				}
			}
		}
	}
	if resource == "nodes" {
		for n := 0; n < 3; n++ {
			out = append(out, map[string]any{"metadata": map[string]any{"name": fmt.Sprintf("gke-%s-default-pool-%s-%d", y.clusterName(cl), hash8(fmt.Sprint("pool", cl)), n)}})
		}
	}
	return out
}

func (f *scaleFake) serveKube(cl int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(f.kubeLatency)
		f.count("kubernetes")
		if r.URL.Query().Get("continue") != "" {
			f.count("kubernetes pages")
		}
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		resource := parts[len(parts)-1]
		if resource == "kube-system" {
			writeJSON(w, map[string]any{"kind": "Namespace", "apiVersion": "v1", "metadata": map[string]any{"name": "kube-system", "uid": f.y.ksUID(cl)}})
			return
		}
		key := fmt.Sprint(cl, "|", resource)
		cached, ok := f.kubeCache.Load(key)
		if !ok {
			cached, _ = f.kubeCache.LoadOrStore(key, f.kubeObjects(cl, resource))
		}
		all := cached.([]any)
		start, _ := strconv.Atoi(r.URL.Query().Get("continue"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit == 0 {
			limit = 500
		}
		end := min(start+limit, len(all))
		meta := map[string]any{"resourceVersion": "100"}
		if end < len(all) {
			meta["continue"] = strconv.Itoa(end)
		}
		items := make([][]byte, 0, end-start)
		for _, o := range all[start:end] {
			items = append(items, f.raw(o.(map[string]any)))
		}
		m, _ := json.Marshal(meta)
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		fmt.Fprintf(w, `{"kind":"List","apiVersion":"v1","metadata":%s,"items":[%s]}`+"\n", m, bytes.Join(items, []byte(",")))
	})
}

// bound is the least wall time the run can take: the longest chain of
// dependent requests times its latency (a list's chain is its unfiltered
// pages and then its longest filtered chain, as the run made them), or
// the backend service list's chain and then every Compute Engine request,
// paced by the limiter at gcp.DefaultMaxQPS after its burst of
// gcp.DefaultBurst and gcp.DefaultConcurrency at a time, whichever is
// longer.
func (f *scaleFake) bound(computeCalls, healthCalls int64) (time.Duration, string) {
	pages := func(n, size int) int { return max(1, int(math.Ceil(float64(n)/float64(size)))) }
	chains := map[string]int{} // collection -> its chain, as the run made it
	filtered := map[string]int64{}
	f.counts.Range(func(k, v any) bool {
		coll, filter, ok := strings.Cut(strings.TrimPrefix(k.(string), "chain "), "|")
		if !ok || !strings.HasPrefix(k.(string), "chain ") {
			return true
		}
		n := v.(*atomic.Int64).Load()
		if filter == "" {
			chains[coll] += int(n)
		} else if n > filtered[coll] {
			filtered[coll] = n
		}
		return true
	})
	chain, name := 0, ""
	for coll, n := range chains {
		if n += int(filtered[coll]); n > chain {
			chain, name = n, fmt.Sprintf("compute %s (%d requests)", coll, n)
		}
	}
	listBound := time.Duration(chain) * f.latency
	// GKE list, then a cluster's first Ingress page, then its longest list.
	kubeChain := 1 + pages(2*f.y.s.ingresses/f.y.s.clusters, 500)
	if kb := f.latency + time.Duration(kubeChain)*f.kubeLatency; kb > listBound {
		listBound, name = kb, fmt.Sprintf("clusters.list, then a cluster's Ingresses and Services (%d requests)", kubeChain)
	}
	bsChain := chains["backendServices"] + int(filtered["backendServices"])
	total := computeCalls + healthCalls
	paced := time.Duration(float64(max(0, total-gcp.DefaultBurst)) / gcp.DefaultMaxQPS * float64(time.Second))
	inflight := time.Duration(total) * f.latency / gcp.DefaultConcurrency
	if healthBound := time.Duration(bsChain)*f.latency + max(paced, inflight); healthBound > listBound {
		return healthBound, fmt.Sprintf("%d Compute Engine calls (%d getHealth), %d at a time, at %d a second after a burst of %d", total, healthCalls, gcp.DefaultConcurrency, gcp.DefaultMaxQPS, gcp.DefaultBurst)
	}
	return listBound, name
}

type scaleResult struct {
	scale, health, mode, logs          string
	latency, kubeLatency               time.Duration
	exit                               int
	wall, bound                        time.Duration
	chain                              string
	compute, pages, health_, kube, gke int64
	logging                            int64
	rssMB                              float64 // MiB (VmHWM)
	collectCPU, rulesCPU, rulesWall    float64
	collectWall                        float64
	findings, gaps                     int
	// fakesCPU is this test process's CPU time while lbdiag ran: the
	// fakes' answers and reading lbdiag's output, on the same CPUs
	// (negative when unknown).
	fakesCPU float64
	// cgroupPeak is the memory cgroup's peak in bytes with
	// -memory-limit (its temporary files included), -1 without;
	// oomKilled whether the kernel killed lbdiag at the limit.
	cgroupPeak int64
	oomKilled  bool
}

// processCPU is this process's CPU time in seconds, user and system (as
// run's cpuTime reads lbdiag's), or -1 where that is not readable.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// runScale runs the binary once. mode "record" records into recDir,
// "replay" replays it, "evidence" writes an evidence bundle.
func runScale(t testing.TB, s scaleSpec, latency, kubeLatency time.Duration, health, logs, mode, recDir string) scaleResult {
	f := newScaleFake(t, s, latency, kubeLatency)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte(testToken), 0o600)
	statsFile := filepath.Join(dir, "stats.json")
	bin := binary
	if *scaleBinary != "" {
		bin = *scaleBinary
	}
	cmd := exec.Command(bin, "inspect", "--project", scaleProject, "--compute-endpoint", f.compute.URL+"/compute/v1/",
		"--container-endpoint", f.container.URL+"/", "--access-token-file", tokenFile, "--now", "2026-11-30T12:00:00Z",
		"--format", "json", "--health", health, "--stats", statsFile, "--timeout", "60m", "--no-dns")
	if logs != "0" {
		cmd.Args = append(cmd.Args, "--logs", logs, "--logging-endpoint", f.logging.URL+"/")
	}
	switch mode {
	case "record":
		cmd.Args = append(cmd.Args, "--record", recDir)
	case "evidence":
		cmd.Args = append(cmd.Args, "--evidence", filepath.Join(dir, "evidence.tar.gz"))
	case "replay":
		cmd.Args = []string{bin, "inspect", "--replay", recDir, "--now", "2026-11-30T12:00:00Z",
			"--format", "json", "--health", health, "--stats", statsFile}
	}
	base := filepath.Join(*profileDir, fmt.Sprintf("%s-%s-%s", s.name, strings.ReplaceAll(latencyName(latency, kubeLatency), "/", "-"), mode))
	if *profileDir != "" {
		if err := os.MkdirAll(*profileDir, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd.Args = append(cmd.Args, "--cpu-profile", base+".cpu.pprof", "--heap-profile", base+".heap.pprof")
	}
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GCE_METADATA_HOST=127.0.0.1:9"}
	// The Go runtime's settings pass through, to measure them, and
	// AUTOMEMLIMIT, which sets the soft limit from a container's.
	for _, k := range []string{"GODEBUG", "GOGC", "GOMEMLIMIT", "GOMAXPROCS", "AUTOMEMLIMIT"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if *lbdiagEnv != "" {
		cmd.Env = append(cmd.Env, strings.Split(*lbdiagEnv, ";")...)
	}
	var cg *memCgroup
	if *memoryLimit != "" {
		limit, err := parseBytes(*memoryLimit)
		if err != nil {
			t.Fatalf("-memory-limit: %v", err)
		}
		// Asked for and not had is a failure, not a skip: the figures
		// would be of another setting.
		if cg, err = newMemCgroup(t, limit); err != nil {
			t.Fatal(err)
		}
		defer cg.remove(t)
		cg.wrap(cmd)
		// A Cloud Run task's file system is memory, counted against its
		// limit: so is tmpfs here, charged to the cgroup that writes it.
		tmp, err := os.MkdirTemp("/dev/shm", "lbdiag-scale-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		cmd.Env = append(cmd.Env, "TMPDIR="+tmp)
	}
	var out, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &stderr
	f.tmu.Lock()
	start := time.Now()
	f.started = start
	f.tmu.Unlock()
	cpu0 := processCPU()
	// The test process holds every generated object, and its collections
	// of them would take the CPUs from the run: it has memory to spare
	// for the garbage of one run.
	// A limit stops its heap growing without bound (GC off still
	// collects at the limit).
	gcPercent, memLimit := debug.SetGCPercent(-1), debug.SetMemoryLimit(8<<30)
	err := cmd.Run()
	debug.SetGCPercent(gcPercent)
	debug.SetMemoryLimit(memLimit)
	wall := time.Since(start)
	fakesCPU := -1.0
	if cpu0 >= 0 {
		fakesCPU = processCPU() - cpu0
	}
	if *profileDir != "" {
		// Under the lock: a request lbdiag gave up on may still be
		// sleeping out its latency.
		f.tmu.Lock()
		timeline := strings.Join(f.timeline, "\n")
		f.tmu.Unlock()
		os.WriteFile(base+".timeline", []byte(timeline), 0o644)
		os.WriteFile(base+".stderr", []byte(stderr.String()), 0o644)
		if mode == "evidence" {
			// The bundle, to measure its size and what writing it costs.
			os.Rename(filepath.Join(dir, "evidence.tar.gz"), base+".evidence.tar.gz")
		}
	}
	exit := 0
	if ee, ok := err.(*exec.ExitError); ok {
		exit = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	cgroupPeak, oomKilled := int64(-1), false
	if cg != nil {
		cgroupPeak, oomKilled = cg.peak()
		if oomKilled {
			t.Errorf("the kernel killed lbdiag at the %s limit (exit %d): %s", *memoryLimit, exit, stderr.String())
		}
	}
	res := scaleResult{scale: s.name, health: health, logs: logs, mode: mode, latency: latency, kubeLatency: kubeLatency, exit: exit, wall: wall, fakesCPU: fakesCPU, cgroupPeak: cgroupPeak, oomKilled: oomKilled,
		compute: f.get("compute"), pages: f.get("compute pages"), health_: f.get("getHealth"), kube: f.get("kubernetes"), gke: f.get("container"), logging: f.get("logging")}
	var stats map[string]float64
	if b, err := os.ReadFile(statsFile); err == nil && json.Unmarshal(b, &stats) == nil {
		res.collectCPU, res.rulesCPU, res.rulesWall = stats["collectCPUSeconds"], stats["rulesCPUSeconds"], stats["rulesWallSeconds"]
		res.collectWall = stats["collectWallSeconds"]
		// lbdiag's own peak (VmHWM, Linux). Not the rusage a parent reads:
		// it also counts this test process, as it was at the fork. A build
		// that does not write it has none.
		res.rssMB = stats["peakRSSMiB"]
		if res.rssMB == 0 {
			res.rssMB = stats["peakRSSMB"] // builds before it was named for its unit
		}
	} else {
		// lbdiag did not get as far as its report (a cgroup it could
		// not join, a crash): whatever its exit code, not a run.
		t.Errorf("%s %s %s: no stats (%v): %s", s.name, latencyName(latency, kubeLatency), mode, err, stderr.String())
	}
	var rep struct {
		Findings []any
		Coverage []struct{ Status string }
	}
	json.Unmarshal([]byte(out.String()), &rep)
	res.findings = len(rep.Findings)
	for _, c := range rep.Coverage {
		if c.Status != "ok" && c.Status != "skipped" {
			res.gaps++
		}
	}
	res.bound, res.chain = f.bound(res.compute, res.health_)
	if mode == "replay" {
		res.bound, res.chain = 0, "none (replay)"
	}
	return res
}

// TestScale runs the synthetic project at each asked scale, latency and
// health mode, prints the table, and (at the defaults) checks the request
// counts against testdata/scale-requests.json.
func TestScale(t *testing.T) {
	var results []scaleResult
	for _, name := range strings.Split(*scaleFlag, ",") {
		s, ok := scaleSpecs[strings.TrimSpace(name)]
		if !ok {
			t.Fatalf("no scale %q", name)
		}
		for _, ls := range strings.Split(*latencyFlag, ",") {
			lat, kubeLat, err := parseLatency(ls)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range strings.Split(*healthFlag, ",") {
				for _, logs := range strings.Split(*logsFlag, ",") {
					recDir := filepath.Join(t.TempDir(), "recording")
					for _, mode := range strings.Split(*modeFlag, ",") {
						r := runScale(t, s, lat, kubeLat, strings.TrimSpace(h), strings.TrimSpace(logs), strings.TrimSpace(mode), recDir)
						if r.exit != report.ExitOK && r.exit != report.ExitFindings {
							t.Errorf("%s %s %s %s: exit %d, an incomplete report (%d gaps)", r.scale, r.latency, r.health, r.mode, r.exit, r.gaps)
						}
						results = append(results, r)
					}
				}
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| scale | latency | --health | --logs | mode | exit | lists (pages) | getHealth | Kubernetes | entries.list | findings | wall | bound | wall/bound | longest chain | peak RSS | collect wall (CPU) | rules wall (CPU) | fakes' CPU | cgroup peak |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		ratio := "—"
		if r.bound > 0 {
			ratio = fmt.Sprintf("%.2f", r.wall.Seconds()/r.bound.Seconds())
		}
		rss := "—"
		if r.rssMB > 0 {
			rss = fmt.Sprintf("%.0f MiB", r.rssMB)
		}
		fakes := "—"
		if r.fakesCPU >= 0 {
			fakes = fmt.Sprintf("%.1f s", r.fakesCPU)
		}
		cgroup := "—"
		if r.cgroupPeak >= 0 {
			cgroup = fmt.Sprintf("%.0f MiB", float64(r.cgroupPeak)/(1<<20))
			if r.oomKilled {
				cgroup += ", killed"
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d | %d (%d) | %d | %d | %d | %d | %.1f s | %.1f s | %s | %s | %s | %.1f s (%.1f s) | %.2f s (%.2f s) | %s | %s |\n",
			r.scale, latencyName(r.latency, r.kubeLatency), r.health, r.logs, r.mode, r.exit, r.compute-r.pages+r.gke, r.pages, r.health_, r.kube, r.logging, r.findings, r.wall.Seconds(), r.bound.Seconds(),
			ratio, r.chain, rss, r.collectWall, r.collectCPU, r.rulesWall, r.rulesCPU, fakes, cgroup)
	}
	t.Logf("synthetic projects on %d CPUs (%s/%s):\n%s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, b.String())

	// Request counts at the defaults: they may shrink, never grow.
	path := filepath.Join("testdata", "scale-requests.json")
	want := map[string]int64{}
	if raw, err := os.ReadFile(path); err == nil {
		json.Unmarshal(raw, &want)
	}
	got := map[string]int64{}
	for _, r := range results {
		if r.latency == 0 && r.health == "auto" && r.logs == "0" && r.mode == "live" {
			got[r.scale] = r.compute + r.health_ + r.kube + r.gke
		}
	}
	if *updateScale {
		for k, v := range got {
			want[k] = v
		}
		keys := make([]string, 0, len(want))
		for k := range want {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		raw, _ := json.MarshalIndent(want, "", "  ")
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for scale, n := range got {
		if w, ok := want[scale]; !ok {
			t.Logf("no recorded request count for scale %s: it is not checked (run with -update-scale to record one)", scale)
		} else if n > w {
			t.Errorf("scale %s makes %d requests, more than the %d recorded in %s", scale, n, w, path)
		}
	}
}

// TestScaleTrace traces one URL in the synthetic project at each asked
// scale and latency, and prints the wall time and the requests. A trace
// reads what the request meets, so its requests do not grow with the
// project: the forwarding rules of one address, one proxy, map, backend
// service, its health checks, NEGs and their health, the firewalls, and
// one cluster (after a probe of each cluster on the NEGs' network).
//
//	go test ./cmd/lbdiag -run TestScaleTrace -scale S,M,L -latency 0,50ms -v
func TestScaleTrace(t *testing.T) {
	var b strings.Builder
	fmt.Fprintf(&b, "| scale | latency | exit | Compute requests (pages) | getHealth | Kubernetes | GKE | wall |\n|---|---|---|---|---|---|---|---|\n")
	for _, name := range strings.Split(*scaleFlag, ",") {
		s := scaleSpecs[strings.TrimSpace(name)]
		for _, ls := range strings.Split(*latencyFlag, ",") {
			lat, kubeLat, err := parseLatency(ls)
			if err != nil {
				t.Fatal(err)
			}
			f := newScaleFake(t, s, lat, kubeLat)
			dir := t.TempDir()
			tokenFile := filepath.Join(dir, "token")
			os.WriteFile(tokenFile, []byte(testToken), 0o600)
			// Ingress app-3: its forwarding rule's address.
			cmd := exec.Command(binary, "trace", "--project", scaleProject, "--compute-endpoint", f.compute.URL+"/compute/v1/",
				"--container-endpoint", f.container.URL+"/", "--access-token-file", tokenFile, "--now", "2026-11-30T12:00:00Z",
				"--format", "json", "--ip", "34.100.0.3", "http://app-3.example.com/")
			cmd.Dir = dir
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GCE_METADATA_HOST=127.0.0.1:9"}
			var out strings.Builder
			cmd.Stdout = &out
			start := time.Now()
			err = cmd.Run()
			wall := time.Since(start)
			exit := 0
			if ee, ok := err.(*exec.ExitError); ok {
				exit = ee.ExitCode()
			}
			var r struct {
				Answer     string
				Candidates []struct {
					Hops []struct{ Kind, Verdict string }
				}
			}
			json.Unmarshal([]byte(out.String()), &r)
			if exit == 2 || len(r.Candidates) != 1 || !strings.Contains(r.Answer, "of team-3/app-3-web:80") {
				t.Errorf("%s %s: exit %d, answer %q", s.name, latencyName(lat, kubeLat), exit, r.Answer)
			}
			kube, compute := f.get("kubernetes"), f.get("compute")
			// One cluster read whole (about 20 lists and their pages)
			// after a probe of each cluster.
			if kube > int64(s.clusters)+60 {
				t.Errorf("%s: %d Kubernetes requests: more than one cluster was read", s.name, kube)
			}
			// A list of each of three collections (the firewalls paged),
			// and gets by name: not the project's lists.
			if fwPages := int64(s.firewall/500 + 1); compute > fwPages+25 {
				t.Errorf("%s: %d Compute Engine requests", s.name, compute)
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %d (%d) | %d | %d | %d | %.2f s |\n", s.name, latencyName(lat, kubeLat), exit, compute, f.get("compute pages"), f.get("getHealth"), kube, f.get("container"), wall.Seconds())
		}
	}
	t.Logf("lbdiag trace on %d CPUs:\n%s", runtime.NumCPU(), b.String())
}

// parseLatency reads a latency of the -latency flag: "50ms" for every
// answer, "500ms/100ms" for Compute Engine's and GKE's, then each
// cluster's.
func parseLatency(s string) (google, kube time.Duration, err error) {
	g, k, two := strings.Cut(strings.TrimSpace(s), "/")
	if google, err = time.ParseDuration(g); err != nil {
		return 0, 0, fmt.Errorf("latency %q: %v", s, err)
	}
	kube = google
	if two {
		if kube, err = time.ParseDuration(k); err != nil {
			return 0, 0, fmt.Errorf("latency %q: %v", s, err)
		}
	}
	return google, kube, nil
}

func latencyName(google, kube time.Duration) string {
	if google == kube {
		return google.String()
	}
	return google.String() + "/" + kube.String()
}

// BenchmarkScale runs the built binary on S, M and L at 50 ms an answer,
// and at 500 ms a Compute Engine or GKE answer and 100 ms a Kubernetes
// one; at L also with --logs 1h and --evidence. Each run reports its wall
// time, its reads (list-reads: Compute Engine's and GKE's lists, pages
// and gets; getHealth; Kubernetes) and its peak resident memory:
//
//	go test ./cmd/lbdiag -run '^$' -bench Scale -benchtime 1x -timeout 60m
func BenchmarkScale(b *testing.B) {
	type run struct{ scale, latency, logs, mode string }
	var runs []run
	for _, lat := range []string{"50ms", "500ms/100ms"} {
		for _, sc := range []string{"S", "M", "L"} {
			runs = append(runs, run{sc, lat, "0", "live"})
		}
		runs = append(runs, run{"L", lat, "1h", "evidence"})
	}
	for _, r := range runs {
		name := r.scale + "/" + strings.ReplaceAll(r.latency, "/", "-")
		if r.mode != "live" {
			name += "/logs-evidence"
		}
		b.Run(name, func(b *testing.B) {
			lat, kubeLat, err := parseLatency(r.latency)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				res := runScale(b, scaleSpecs[r.scale], lat, kubeLat, "auto", r.logs, r.mode, "")
				if res.exit != report.ExitOK && res.exit != report.ExitFindings {
					b.Fatalf("exit %d, an incomplete report (%d gaps)", res.exit, res.gaps)
				}
				b.ReportMetric(res.wall.Seconds(), "wall-s")
				b.ReportMetric(float64(res.compute+res.gke), "list-reads")
				b.ReportMetric(float64(res.health_), "getHealth")
				b.ReportMetric(float64(res.kube), "kube-reads")
				b.ReportMetric(res.rssMB, "peak-RSS-MiB")
				b.ReportMetric(float64(res.findings), "findings")
			}
		})
	}
}
