package gcp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unsafe"
)

// TestIngestInterns: two pages ingested apart, from every recorded real
// page of the lists lbdiag interns (the gcpdiag corpus and the fixtures),
// hold their items' kinds in one copy: the repeated strings are interned
// across pages, not only within one.
func TestIngestInterns(t *testing.T) {
	t.Parallel()
	ingest := map[string]func([]byte) any{
		"compute#backendServiceAggregatedList":       decodeIngest(IngestBackendServices),
		"compute#networkEndpointGroupAggregatedList": decodeIngest(IngestNEGs),
		"compute#healthChecksAggregatedList":         decodeIngest(IngestHealthChecks),
		"compute#forwardingRuleAggregatedList":       decodeIngest(IngestForwardingRules),
		"compute#urlMapsAggregatedList":              decodeIngest(IngestURLMaps),
		"compute#targetHttpProxyAggregatedList":      decodeIngest(IngestTargetHTTPProxies),
		"compute#targetHttpsProxyAggregatedList":     decodeIngest(IngestTargetHTTPSProxies),
		"compute#firewallList":                       decodeIngest(IngestFirewalls),
	}
	var files []string
	for _, glob := range []string{filepath.Join(corpusDir(t), "*", "json-dumps", "*.json"), "../fixtures/*/compute/compute/v1/projects/*/aggregated/*.json",
		"../fixtures/*/compute/compute/v1/projects/*/global/firewalls*.json"} {
		m, _ := filepath.Glob(glob)
		files = append(files, m...)
	}
	checked := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var head struct{ Kind string }
		json.Unmarshal(b, &head)
		in, ok := ingest[head.Kind]
		if !ok {
			continue
		}
		first, second := reflect.ValueOf(in(b)), reflect.ValueOf(in(b))
		for i := range first.Len() {
			a, c := first.Index(i).Elem().FieldByName("Kind").String(), second.Index(i).Elem().FieldByName("Kind").String()
			if a == "" || a != c {
				t.Fatalf("%s: item %d has kind %q, then %q", f, i, a, c)
			}
			if unsafe.StringData(a) != unsafe.StringData(c) {
				t.Errorf("%s: item %d's kind %q is not interned", f, i, a)
			}
		}
		if first.Len() > 0 {
			checked[head.Kind]++
		}
	}
	if len(checked) < len(ingest) {
		t.Errorf("pages checked by kind: %v: the recorded pages went missing", checked)
	}
}

// decodeIngest decodes a page and ingests it.
func decodeIngest[P any, T any](ingest func(*P) []T) func([]byte) any {
	return func(b []byte) any {
		var p P
		if err := json.Unmarshal(b, &p); err != nil {
			panic(err)
		}
		return ingest(&p)
	}
}
