package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inventory"
)

// computeIndex answers what a trace asks Compute Engine that an inspect
// recording does not hold: gets of single resources (404 in Google's
// error format for those that do not exist), aggregated lists with a
// filter on top-level fields (=, !=, joined by OR, as the API documents
// for aggregatedList), and getHealth for groups a test's new backend
// services share with recorded ones. Its objects are every item of the
// recording's list answers, plus those a test puts (a put with the
// selfLink of a recorded object replaces it).
type computeIndex struct {
	t   testing.TB
	rec *recording.Recording

	mu      sync.Mutex
	objects map[string]map[string]any // relative name -> object
	// health holds recorded getHealth answers by group URL.
	health map[string][]byte
}

func newComputeIndex(t testing.TB, rec *recording.Recording) *computeIndex {
	x := &computeIndex{t: t, rec: rec, objects: map[string]map[string]any{}, health: map[string][]byte{}}
	for _, e := range rec.Manifest.Exchanges {
		if e.API != recording.APICompute || e.Status != http.StatusOK {
			continue
		}
		var body io.Reader
		if e.RequestBody != "" {
			body = strings.NewReader(e.RequestBody)
		}
		req := httptest.NewRequest(e.Method, e.Path+"?"+e.Query, body)
		_, b, ok, err := rec.Lookup(recording.APICompute, req)
		if err != nil || !ok {
			t.Fatalf("recorded exchange %s %s: %v", e.Method, e.Path, err)
		}
		if strings.HasSuffix(e.Path, "/getHealth") {
			var ref struct{ Group string }
			json.Unmarshal([]byte(e.RequestBody), &ref)
			x.health[inventory.RelativeName(ref.Group)] = b
			continue
		}
		var list struct {
			Items json.RawMessage `json:"items"`
		}
		if json.Unmarshal(b, &list) != nil || len(list.Items) == 0 {
			continue
		}
		var plain []map[string]any
		if json.Unmarshal(list.Items, &plain) == nil {
			for _, o := range plain {
				if o["selfLink"] != nil {
					x.put(o)
				}
			}
			continue
		}
		var agg map[string]map[string]json.RawMessage
		if json.Unmarshal(list.Items, &agg) == nil {
			for _, scoped := range agg {
				for k, raw := range scoped {
					if k == "warning" {
						continue
					}
					var objs []map[string]any
					json.Unmarshal(raw, &objs)
					for _, o := range objs {
						x.put(o)
					}
				}
			}
		}
	}
	return x
}

// put adds or replaces an object (by its selfLink).
func (x *computeIndex) put(o map[string]any) {
	link, _ := o["selfLink"].(string)
	if link == "" {
		x.t.Fatalf("an object without selfLink: %v", o)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.objects[inventory.RelativeName(link)] = o
}

// aggregatedKinds are the collections the index lists itself (the
// frontends a trace chooses from).
var aggregatedKinds = map[string]string{
	"forwardingRules":    "compute#forwardingRuleAggregatedList",
	"urlMaps":            "compute#urlMapsAggregatedList",
	"targetHttpProxies":  "compute#targetHttpProxyAggregatedList",
	"targetHttpsProxies": "compute#targetHttpsProxyAggregatedList",
}

var resourcePath = regexp.MustCompile(`^projects/([^/]+)/(global|regions/[^/]+|zones/[^/]+)/([A-Za-z]+)/([^/]+)$`)

// serve answers a request it knows; false leaves it to the recording.
func (x *computeIndex) serve(w http.ResponseWriter, r *http.Request) bool {
	path := strings.TrimPrefix(r.URL.Path, "/compute/v1/")
	switch {
	case r.Method == http.MethodGet && strings.Contains(path, "/aggregated/"):
		coll := path[strings.LastIndex(path, "/")+1:]
		if kind, ok := aggregatedKinds[coll]; ok {
			x.aggregated(w, r, strings.TrimSuffix(strings.TrimPrefix(path, "projects/"), "/aggregated/"+coll), coll, kind)
			return true
		}
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/getHealth"):
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		var ref struct{ Group string }
		json.Unmarshal(b, &ref)
		bs := strings.TrimSuffix(path, "/getHealth")
		x.mu.Lock()
		_, recorded := x.objects[bs]
		answer, ok := x.health[inventory.RelativeName(ref.Group)]
		x.mu.Unlock()
		if !recorded {
			writeGoogleError(w, http.StatusNotFound, "notFound", fmt.Sprintf("The resource '%s' was not found", bs))
			return true
		}
		if ok && !x.recordedHealth(r, b) {
			// A backend service a test added, on a recorded group.
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			w.Write(answer)
			return true
		}
	case r.Method == http.MethodGet && resourcePath.MatchString(path):
		x.mu.Lock()
		o, ok := x.objects[path]
		x.mu.Unlock()
		if !ok {
			writeGoogleError(w, http.StatusNotFound, "notFound", fmt.Sprintf("The resource '%s' was not found", path))
			return true
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		json.NewEncoder(w).Encode(o)
		return true
	}
	return false
}

// recordedHealth reports whether the recording answers this getHealth.
func (x *computeIndex) recordedHealth(r *http.Request, body []byte) bool {
	req := httptest.NewRequest(r.Method, r.URL.String(), bytes.NewReader(body))
	_, _, ok, _ := x.rec.Lookup(recording.APICompute, req)
	return ok
}

// aggregated answers an aggregatedList of the index's objects, filtered,
// in one page.
func (x *computeIndex) aggregated(w http.ResponseWriter, r *http.Request, project, coll, kind string) {
	match, err := parseComputeFilter(r.URL.Query().Get("filter"))
	if err != nil {
		writeGoogleError(w, http.StatusBadRequest, "invalid", "Invalid value for field 'filter': '"+r.URL.Query().Get("filter")+"'. "+err.Error())
		return
	}
	items := map[string]map[string][]map[string]any{}
	x.mu.Lock()
	keys := make([]string, 0, len(x.objects))
	for k := range x.objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m := resourcePath.FindStringSubmatch(k)
		if m == nil || m[1] != project || m[3] != coll || !match(x.objects[k]) {
			continue
		}
		if items[m[2]] == nil {
			items[m[2]] = map[string][]map[string]any{}
		}
		items[m[2]][coll] = append(items[m[2]][coll], x.objects[k])
	}
	x.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(map[string]any{"kind": kind, "id": "projects/" + project + "/aggregated/" + coll, "items": items,
		"selfLink": "https://www.googleapis.com/compute/v1/projects/" + project + "/aggregated/" + coll})
}

var regexTerm = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_.]*) (eq|ne) ("([^"]*)"|\S+)$`)

var filterTerm = regexp.MustCompile(`^\(?\s*([A-Za-z][A-Za-z0-9_.]*)\s*(=|!=)\s*("([^"]*)"|[^\s)]+)\s*\)?$`)

// parseComputeFilter reads a filter of terms "field = value" (or !=),
// parenthesised or not, joined by OR.
func parseComputeFilter(f string) (func(map[string]any) bool, error) {
	if strings.TrimSpace(f) == "" {
		return func(map[string]any) bool { return true }, nil
	}
	// The regular-expression form: "field eq RE" or "field ne RE", RE
	// (RE2, quoted or not) matching the whole field.
	if m := regexTerm.FindStringSubmatch(strings.TrimSpace(f)); m != nil {
		expr := m[3]
		if strings.HasPrefix(expr, `"`) {
			expr = m[4]
		}
		re, err := regexp.Compile("^(?:" + expr + ")$")
		if err != nil {
			return nil, err
		}
		eq := m[2] == "eq"
		return func(o map[string]any) bool {
			v, ok := o[m[1]].(string)
			return ok && re.MatchString(v) == eq
		}, nil
	}
	type term struct{ field, op, value string }
	var terms []term
	for _, part := range strings.Split(f, " OR ") {
		m := filterTerm.FindStringSubmatch(strings.TrimSpace(part))
		if m == nil {
			return nil, fmt.Errorf("cannot parse %q", part)
		}
		v := m[3]
		if strings.HasPrefix(v, `"`) {
			v = m[4]
		}
		terms = append(terms, term{m[1], m[2], v})
	}
	return func(o map[string]any) bool {
		for _, t := range terms {
			got := fmt.Sprint(o[t.field])
			if (t.op == "=") == (got == t.value) {
				return true
			}
		}
		return false
	}, nil
}

// writeGoogleError writes an error as Google's APIs do.
func writeGoogleError(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg,
		"errors": []any{map[string]any{"message": msg, "domain": "global", "reason": reason}}}})
}
