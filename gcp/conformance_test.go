package gcp

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"cloud.google.com/go/container/apiv1/containerpb"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inventory"
)

// corpusDir is the copy of gcpdiag's recorded API responses kept in
// testdata (Apache-2.0; see testdata/gcpdiag-corpus/NOTICE).
func corpusDir(t *testing.T) string {
	t.Helper()
	const dir = "testdata/gcpdiag-corpus"
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.md")); err != nil {
		t.Fatalf("the recorded corpus is missing: %v", err)
	}
	return dir
}

// aggregatedSources maps the kind of an aggregated list lbdiag collects to
// its URL collection name and the field of its scoped lists.
var aggregatedSources = map[string][2]string{
	"compute#backendServiceAggregatedList":       {"backendServices", "backendServices"},
	"compute#forwardingRuleAggregatedList":       {"forwardingRules", "forwardingRules"},
	"compute#networkEndpointGroupAggregatedList": {"networkEndpointGroups", "networkEndpointGroups"},
	"compute#subnetworkAggregatedList":           {"subnetworks", "subnetworks"},
	"compute#securityPoliciesAggregatedList":     {"securityPolicies", "securityPolicies"},
	"compute#healthChecksAggregatedList":         {"healthChecks", "healthChecks"},
	"compute#urlMapsAggregatedList":              {"urlMaps", "urlMaps"},
	"compute#targetHttpProxyAggregatedList":      {"targetHttpProxies", "targetHttpProxies"},
	"compute#targetHttpsProxyAggregatedList":     {"targetHttpsProxies", "targetHttpsProxies"},
	"compute#sslCertificateAggregatedList":       {"sslCertificates", "sslCertificates"},
	"compute#addressAggregatedList":              {"addresses", "addresses"},
	"compute#instanceGroupAggregatedList":        {"instanceGroups", "instanceGroups"},
	"compute#instanceAggregatedList":             {"instances", "instances"},
}

// decodeOnly are response kinds lbdiag does not collect as such. Each must
// still decode into its real API type; the value says what lbdiag does
// with it.
var decodeOnly = map[string]func([]byte) (int, error){
	// Per-scope lists of resources the inventory holds: the collectors
	// read the same objects through aggregated lists.
	"compute#backendServiceList":       decodeItems[compute.BackendServiceList](func(l *compute.BackendServiceList) int { return len(l.Items) }),
	"compute#healthCheckList":          decodeItems[compute.HealthCheckList](func(l *compute.HealthCheckList) int { return len(l.Items) }),
	"compute#instanceList":             decodeItems[compute.InstanceList](func(l *compute.InstanceList) int { return len(l.Items) }),
	"compute#instanceGroupList":        decodeItems[compute.InstanceGroupList](func(l *compute.InstanceGroupList) int { return len(l.Items) }),
	"compute#subnetworkList":           decodeItems[compute.SubnetworkList](func(l *compute.SubnetworkList) int { return len(l.Items) }),
	"compute#sslCertificateList":       decodeItems[compute.SslCertificateList](func(l *compute.SslCertificateList) int { return len(l.Items) }),
	"compute#targetHttpsProxyList":     decodeItems[compute.TargetHttpsProxyList](func(l *compute.TargetHttpsProxyList) int { return len(l.Items) }),
	"compute#networkEndpointGroupList": decodeItems[compute.NetworkEndpointGroupList](func(l *compute.NetworkEndpointGroupList) int { return len(l.Items) }),
	"compute#network":                  decodeItems[compute.Network](func(n *compute.Network) int { return 1 }),
	"compute#backendServiceGroupHealth": decodeItems[compute.BackendServiceGroupHealth](func(h *compute.BackendServiceGroupHealth) int {
		return len(h.HealthStatus)
	}),
	"effectiveFirewalls": decodeItems[compute.NetworksGetEffectiveFirewallsResponse](func(r *compute.NetworksGetEffectiveFirewallsResponse) int {
		return len(r.Firewalls) + len(r.FirewallPolicys)
	}),
	// Not read by lbdiag at all: zones, regions, routers, templates,
	// managed instance groups, project metadata, a proxy kind lbdiag does
	// not inspect.
	"compute#regionList":                         decodeItems[compute.RegionList](func(l *compute.RegionList) int { return len(l.Items) }),
	"compute#zoneList":                           decodeItems[compute.ZoneList](func(l *compute.ZoneList) int { return len(l.Items) }),
	"compute#routerList":                         decodeItems[compute.RouterList](func(l *compute.RouterList) int { return len(l.Items) }),
	"compute#instanceTemplateList":               decodeItems[compute.InstanceTemplateList](func(l *compute.InstanceTemplateList) int { return len(l.Items) }),
	"compute#instanceGroupManagerAggregatedList": decodeItems[compute.InstanceGroupManagerAggregatedList](func(l *compute.InstanceGroupManagerAggregatedList) int { return len(l.Items) }),
	"compute#project":                            decodeItems[compute.Project](func(p *compute.Project) int { return 1 }),
	"compute#targetSslProxyList":                 decodeItems[compute.TargetSslProxyList](func(l *compute.TargetSslProxyList) int { return len(l.Items) }),
}

func decodeItems[T any](count func(*T) int) func([]byte) (int, error) {
	return func(b []byte) (int, error) {
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return 0, err
		}
		return count(&v), nil
	}
}

// TestCorpusConformance feeds every recorded real response of the gcpdiag
// corpus through lbdiag. Aggregated lists and cluster lists go through
// Collect itself, replayed: the real client libraries decode them and the
// collectors' ingest code flattens them into the inventory, whose counts
// must match the files'. Every other file must decode into its real API
// type; the few that are not API responses are named and checked for what
// they are.
func TestCorpusConformance(t *testing.T) {
	root := corpusDir(t)
	dirs, err := filepath.Glob(filepath.Join(root, "*", "json-dumps"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no corpus directories in %s: %v", root, err)
	}
	total := 0
	for _, dir := range dirs {
		name := filepath.Base(filepath.Dir(dir))
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		total += len(files)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conformDir(t, name, files)
		})
	}
	t.Logf("%d corpus files", total)
}

func conformDir(t *testing.T, name string, files []string) {
	project := "corpus-" + name
	var manifest recording.Manifest
	manifest.Format, manifest.FormatVersion, manifest.Project = recording.Format, recording.FormatVersion, project
	// want counts what the collector must ingest, by source. Two files of
	// one kind in a directory (gke1's orphan copies) each get a run.
	type collected struct {
		file   string
		source inventory.Source
		count  int
		scope  string // the coverage scope, when not the project
	}
	var runs [][]collected
	addRun := func(c collected) {
		for i := range runs {
			clash := false
			for _, prev := range runs[i] {
				if prev.source == c.source {
					clash = true
				}
			}
			if !clash {
				runs[i] = append(runs[i], c)
				return
			}
		}
		runs = append(runs, []collected{c})
	}
	bodies := map[string][]byte{}
	exchanges := map[string]recording.Exchange{}
	// The VPC of the directory's first cluster: its effective firewalls are
	// read through Collect like the collector reads them.
	network := ""
	for _, f := range files {
		var cl struct {
			Clusters []struct {
				NetworkConfig struct {
					Network string `json:"network"`
				} `json:"networkConfig"`
			} `json:"clusters"`
		}
		if b, err := os.ReadFile(f); err == nil && json.Unmarshal(b, &cl) == nil && len(cl.Clusters) > 0 {
			network = cl.Clusters[0].NetworkConfig.Network
		}
	}

	for _, f := range files {
		base := filepath.Base(f)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			Kind            string          `json:"kind"`
			Clusters        json.RawMessage `json:"clusters"`
			Firewalls       json.RawMessage `json:"firewalls"`
			FirewallPolicys json.RawMessage `json:"firewallPolicys"`
			Insights        json.RawMessage `json:"insights"`
			AddonsConfig    json.RawMessage `json:"addonsConfig"`
			CheckGKEIngress bool
		}
		if err := json.Unmarshal(b, &head); err != nil {
			t.Errorf("%s: not JSON: %v", base, err)
			continue
		}
		switch {
		case aggregatedSources[head.Kind][0] != "":
			src := aggregatedSources[head.Kind]
			n, err := countAggregated(b, src[1])
			if err != nil {
				t.Errorf("%s: %v", base, err)
				continue
			}
			ex := recording.Exchange{API: recording.APICompute, Method: "GET", Path: "/compute/v1/projects/" + project + "/aggregated/" + src[0],
				Query: "maxResults=500", Status: 200}
			addRun(collected{file: base, source: inventory.Source("compute." + src[0]), count: n})
			bodies[base], exchanges[base] = b, ex
		case head.Clusters != nil:
			var raw struct {
				Clusters []json.RawMessage `json:"clusters"`
			}
			json.Unmarshal(b, &raw)
			ex := recording.Exchange{API: recording.APIContainer, Method: "GET", Path: "/v1/projects/" + project + "/locations/-/clusters", Status: 200}
			addRun(collected{file: base, source: inventory.GKEClusters, count: len(raw.Clusters)})
			bodies[base], exchanges[base] = b, ex
		case head.AddonsConfig != nil:
			// gke3: a clusters.get answer, decoded as the GKE REST client does.
			var c containerpb.Cluster
			if err := (protojson.UnmarshalOptions{AllowPartial: true, DiscardUnknown: true}).Unmarshal(b, &c); err != nil || c.GetName() == "" {
				t.Errorf("%s: clusters.get answer does not decode: %v", base, err)
			}
		case (head.Firewalls != nil || head.FirewallPolicys != nil) && network != "":
			n, err := decodeOnly["effectiveFirewalls"](b)
			if err != nil {
				t.Errorf("%s: %v", base, err)
				continue
			}
			ex := recording.Exchange{API: recording.APICompute, Method: "GET", Path: "/compute/v1/" + network + "/getEffectiveFirewalls", Status: 200}
			addRun(collected{file: base, source: inventory.ComputeEffectiveFirewalls, count: n, scope: network})
			bodies[base], exchanges[base] = b, ex
		case head.Firewalls != nil || head.FirewallPolicys != nil:
			checkDecode(t, base, b, "effectiveFirewalls")
		case head.Kind != "":
			checkDecode(t, base, b, head.Kind)
		case strings.HasPrefix(base, "lb-insights-"):
			// Recommender insights (Network Analyzer), not a Compute
			// Engine answer: an object whose insights, if any, are listed.
			var v struct {
				Insights []map[string]any `json:"insights"`
			}
			if err := json.Unmarshal(b, &v); err != nil {
				t.Errorf("%s: %v", base, err)
			}
		case base == "container-kubectl.json":
			// check-gke-ingress output per cluster, not an API answer.
			var v map[string]struct {
				Resources []struct {
					Kind   string `json:"kind"`
					Checks []struct {
						Name, Result string
					} `json:"checks"`
				} `json:"resources"`
			}
			if err := json.Unmarshal(b, &v); err != nil || len(v) == 0 {
				t.Errorf("%s: not check-gke-ingress output: %v", base, err)
			}
		default:
			t.Errorf("%s: unrecognised response; teach the conformance test what it is", base)
		}
	}

	for i, run := range runs {
		fs := fstest.MapFS{}
		m := manifest
		m.Exchanges = nil
		for _, c := range run {
			ex := exchanges[c.file]
			ex.File = "r/" + c.file
			fs[ex.File] = &fstest.MapFile{Data: bodies[c.file]}
			m.Exchanges = append(m.Exchanges, ex)
		}
		mb, _ := json.Marshal(m)
		fs[recording.ManifestName] = &fstest.MapFile{Data: mb}
		rec, err := recording.Load(fs)
		if err != nil {
			t.Fatal(err)
		}
		inv, err := Collect(context.Background(), Options{Project: project, Replay: rec})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		for _, c := range run {
			scope := inventory.ProjectScope(project)
			if c.scope != "" {
				scope = c.scope
			}
			if !inv.Known(c.source, scope) {
				t.Errorf("%s: %s not read: %+v", c.file, c.source, inv.Coverage)
				continue
			}
			if got := inventoryCount(inv, c.source); got != c.count {
				t.Errorf("%s: inventory holds %d %s, the file has %d", c.file, got, c.source, c.count)
			}
		}
	}
}

func checkDecode(t *testing.T, base string, b []byte, kind string) {
	t.Helper()
	dec, ok := decodeOnly[kind]
	if !ok {
		t.Errorf("%s: kind %s is not known to the conformance test", base, kind)
		return
	}
	if _, err := dec(b); err != nil {
		t.Errorf("%s: does not decode as %s: %v", base, kind, err)
	}
}

// countAggregated counts the items of an aggregated list by walking its
// JSON, independently of the collector.
func countAggregated(b []byte, field string) (int, error) {
	var v struct {
		Items map[string]map[string]json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return 0, err
	}
	n := 0
	for _, scoped := range v.Items {
		if raw, ok := scoped[field]; ok {
			var items []json.RawMessage
			if err := json.Unmarshal(raw, &items); err != nil {
				return 0, fmt.Errorf("items.%s: %w", field, err)
			}
			n += len(items)
		}
	}
	return n, nil
}

func inventoryCount(inv *inventory.Inventory, s inventory.Source) int {
	c := inv.Compute
	switch s {
	case inventory.ComputeBackendServices:
		return len(c.BackendServices)
	case inventory.ComputeForwardingRules:
		return len(c.ForwardingRules)
	case inventory.ComputeNEGs:
		return len(c.NEGs)
	case inventory.ComputeSubnetworks:
		return len(c.Subnetworks)
	case inventory.ComputeSecurityPolicies:
		return len(c.SecurityPolicies)
	case inventory.ComputeHealthChecks:
		return len(c.HealthChecks)
	case inventory.ComputeURLMaps:
		return len(c.URLMaps)
	case inventory.ComputeTargetHTTPProxies:
		return len(c.TargetHTTPProxies)
	case inventory.ComputeTargetHTTPSProxies:
		return len(c.TargetHTTPSProxies)
	case inventory.ComputeSSLCertificates:
		return len(c.SSLCertificates)
	case inventory.ComputeAddresses:
		return len(c.Addresses)
	case inventory.ComputeInstanceGroups:
		return len(c.InstanceGroups)
	case inventory.ComputeInstances:
		return len(c.Instances)
	case inventory.GKEClusters:
		return len(inv.Clusters)
	case inventory.ComputeEffectiveFirewalls:
		n := 0
		for _, r := range c.EffectiveFirewalls {
			n += len(r.Firewalls) + len(r.FirewallPolicys)
		}
		return n
	}
	panic("no count for " + s)
}
