package gcp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unsafe"

	compute "google.golang.org/api/compute/v1"
)

// TestIngestInterns: every recorded real page of the lists lbdiag interns
// (the gcpdiag corpus and the fixtures) ingests to the very items decoding
// gives, and repeated strings (kinds, zone and network URLs, enums) share
// one copy.
func TestIngestInterns(t *testing.T) {
	t.Parallel()
	var files []string
	for _, glob := range []string{filepath.Join(corpusDir(t), "*", "json-dumps", "*.json"), "../fixtures/*/compute/compute/v1/projects/*/aggregated/*.json",
		"../fixtures/*/compute/compute/v1/projects/*/global/firewalls*.json"} {
		m, _ := filepath.Glob(glob)
		files = append(files, m...)
	}
	checked := map[string]int{}
	shared := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var head struct{ Kind string }
		json.Unmarshal(b, &head)
		var got, want any
		switch head.Kind {
		case "compute#backendServiceAggregatedList":
			got, want = ingestBoth(t, b, IngestBackendServices, func(p *compute.BackendServiceAggregatedList) []*compute.BackendService {
				return flatten(p.Items, func(s compute.BackendServicesScopedList) []*compute.BackendService { return s.BackendServices })
			})
		case "compute#networkEndpointGroupAggregatedList":
			got, want = ingestBoth(t, b, IngestNEGs, func(p *compute.NetworkEndpointGroupAggregatedList) []*compute.NetworkEndpointGroup {
				return flatten(p.Items, func(s compute.NetworkEndpointGroupsScopedList) []*compute.NetworkEndpointGroup {
					return s.NetworkEndpointGroups
				})
			})
		case "compute#healthChecksAggregatedList":
			got, want = ingestBoth(t, b, IngestHealthChecks, func(p *compute.HealthChecksAggregatedList) []*compute.HealthCheck {
				return flatten(p.Items, func(s compute.HealthChecksScopedList) []*compute.HealthCheck { return s.HealthChecks })
			})
		case "compute#forwardingRuleAggregatedList":
			got, want = ingestBoth(t, b, IngestForwardingRules, func(p *compute.ForwardingRuleAggregatedList) []*compute.ForwardingRule {
				return flatten(p.Items, func(s compute.ForwardingRulesScopedList) []*compute.ForwardingRule { return s.ForwardingRules })
			})
		case "compute#urlMapsAggregatedList":
			got, want = ingestBoth(t, b, IngestURLMaps, func(p *compute.UrlMapsAggregatedList) []*compute.UrlMap {
				return flatten(p.Items, func(s compute.UrlMapsScopedList) []*compute.UrlMap { return s.UrlMaps })
			})
		case "compute#targetHttpProxyAggregatedList":
			got, want = ingestBoth(t, b, IngestTargetHTTPProxies, func(p *compute.TargetHttpProxyAggregatedList) []*compute.TargetHttpProxy {
				return flatten(p.Items, func(s compute.TargetHttpProxiesScopedList) []*compute.TargetHttpProxy { return s.TargetHttpProxies })
			})
		case "compute#targetHttpsProxyAggregatedList":
			got, want = ingestBoth(t, b, IngestTargetHTTPSProxies, func(p *compute.TargetHttpsProxyAggregatedList) []*compute.TargetHttpsProxy {
				return flatten(p.Items, func(s compute.TargetHttpsProxiesScopedList) []*compute.TargetHttpsProxy { return s.TargetHttpsProxies })
			})
		case "compute#firewallList":
			got, want = ingestBoth(t, b, IngestFirewalls, func(p *compute.FirewallList) []*compute.Firewall { return p.Items })
		default:
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: ingesting changed the items", f)
		}
		checked[head.Kind]++
		// The kinds of two items of a page are one string.
		v := reflect.ValueOf(got)
		if v.Len() >= 2 {
			a, b := v.Index(0).Elem().FieldByName("Kind").String(), v.Index(1).Elem().FieldByName("Kind").String()
			if a != "" && a == b {
				if unsafe.StringData(a) != unsafe.StringData(b) {
					t.Errorf("%s: the items' kind %q is not interned", f, a)
				}
				shared++
			}
		}
	}
	if len(checked) < 7 || shared < 5 {
		t.Errorf("checked %v, %d pages with a shared kind: the recorded pages went missing", checked, shared)
	}
}

// ingestBoth decodes a page twice: through ingest, and through plain
// flattening.
func ingestBoth[P any, T any](t *testing.T, b []byte, ingest func(*P) []T, plain func(*P) []T) (any, any) {
	t.Helper()
	var p1, p2 P
	if err := json.Unmarshal(b, &p1); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &p2)
	return ingest(&p1), plain(&p2)
}
