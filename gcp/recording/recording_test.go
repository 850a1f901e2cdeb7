package recording

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestCanonicalQuery(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"alt=json&prettyPrint=false&maxResults=500":         "maxResults=500",
		"pageToken=abc%3D&alt=json&maxResults=500":          "maxResults=500&pageToken=abc%3D",
		"$alt=json;enum-encoding=int":                       "",
		"limit=500&fieldSelector=source%3Dneg-controller":   "fieldSelector=source%3Dneg-controller&limit=500",
		"continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ&limit=500": "continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ&limit=500",
	}
	for in, want := range tests {
		if got := CanonicalQuery(in); got != want {
			t.Errorf("CanonicalQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRecordThenReplay records a live exchange, writes it, loads it and
// replays it: same status, body and content type, keyed on the request and
// not on the host.
func TestRecordThenReplay(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		switch {
		case r.Method == http.MethodPost:
			b, _ := io.ReadAll(r.Body)
			w.Write([]byte(`{"kind":"compute#backendServiceGroupHealth","echo":` + string(b) + `}`))
		case strings.HasSuffix(r.URL.Path, "/forbidden"):
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"error":{"code":403,"message":"denied"}}`))
		default:
			w.Write([]byte(`{"kind":"compute#firewallList","q":"` + r.URL.RawQuery + `"}`))
		}
	}))
	defer srv.Close()

	dir := t.TempDir()
	rec, err := NewRecorder(dir)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: rec.Wrap(APICompute, http.DefaultTransport)}
	get := func(c *http.Client, path string) (int, string) {
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(c *http.Client, path, body string) string {
		resp, err := c.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	_, live1 := get(client, "/compute/v1/projects/p/global/firewalls?alt=json&maxResults=500")
	_, live2 := get(client, "/compute/v1/projects/p/global/firewalls?maxResults=500&pageToken=next")
	code403, _ := get(client, "/compute/v1/projects/p/forbidden")
	liveA := post(client, "/compute/v1/projects/p/global/backendServices/bs/getHealth", `{"group": "a"}`)
	liveB := post(client, "/compute/v1/projects/p/global/backendServices/bs/getHealth", `{"group": "b"}`)

	if err := WriteManifest(dir, Manifest{Project: "p", Exchanges: rec.Exchanges()}); err != nil {
		t.Fatal(err)
	}
	r, err := Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	replay := &http.Client{Transport: r.Transport(APICompute)}
	// Another host, encoding parameters in another order: same exchange.
	srv.URL = "http://replayed.invalid"
	if _, got := get(replay, "/compute/v1/projects/p/global/firewalls?maxResults=500&prettyPrint=false"); got != live1 {
		t.Errorf("replayed page 1 = %s, want %s", got, live1)
	}
	if _, got := get(replay, "/compute/v1/projects/p/global/firewalls?pageToken=next&maxResults=500"); got != live2 {
		t.Errorf("replayed page 2 = %s, want %s", got, live2)
	}
	if code, _ := get(replay, "/compute/v1/projects/p/forbidden"); code != code403 {
		t.Errorf("replayed status = %d, want %d", code, code403)
	}
	if got := post(replay, "/compute/v1/projects/p/global/backendServices/bs/getHealth", `{"group":"b"}`); got != liveB {
		t.Errorf("replayed POST b = %s, want %s", got, liveB)
	}
	if got := post(replay, "/compute/v1/projects/p/global/backendServices/bs/getHealth", `{"group":"a"}`); got != liveA {
		t.Errorf("replayed POST a = %s, want %s", got, liveA)
	}
	if code, body := get(replay, "/compute/v1/projects/p/global/networks"); code != http.StatusNotImplemented || !strings.Contains(body, "no recorded response") {
		t.Errorf("unrecorded call = %d %s", code, body)
	}
	// Another API label does not see compute's exchanges.
	if code, body := get(&http.Client{Transport: r.Transport(APIContainer)}, "/compute/v1/projects/p/global/firewalls?maxResults=500"); code != http.StatusNotImplemented || body == live1 {
		t.Errorf("the container API answered compute's request: %d %s", code, body)
	}
}

func TestRecordedTransportErrorReplays(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rec, err := NewRecorder(dir)
	if err != nil {
		t.Fatal(err)
	}
	failing := rec.Wrap("kubernetes/us-central1/c", roundTripper(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("dial tcp 10.0.0.2:443: connect: connection refused")
	}))
	req, _ := http.NewRequest(http.MethodGet, "https://10.0.0.2/api/v1/services?limit=500", nil)
	if _, err := failing.RoundTrip(req); err == nil {
		t.Fatal("want error")
	}
	if err := WriteManifest(dir, Manifest{Project: "p", Exchanges: rec.Exchanges()}); err != nil {
		t.Fatal(err)
	}
	r, err := Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Transport("kubernetes/us-central1/c").RoundTrip(req)
	var replayed *ReplayedError
	if !errors.As(err, &replayed) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("replayed error = %v", err)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestLoadRefuses(t *testing.T) {
	t.Parallel()
	manifest := func(m map[string]any) []byte {
		b, _ := json.Marshal(m)
		return b
	}
	ok := map[string]any{"format": Format, "formatVersion": 1, "project": "p",
		"exchanges": []map[string]any{{"api": "compute", "method": "GET", "path": "/x", "status": 200, "file": "x.json"}}}
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{name: "no manifest", files: fstest.MapFS{}, want: "reading recording manifest"},
		{name: "not JSON", files: fstest.MapFS{"manifest.json": {Data: []byte("{")}}, want: "decoding"},
		{name: "another format", files: fstest.MapFS{"manifest.json": {Data: manifest(map[string]any{"format": "har", "formatVersion": 1, "project": "p"})}}, want: "not an lbdiag recording"},
		{name: "newer version", files: fstest.MapFS{"manifest.json": {Data: manifest(map[string]any{"format": Format, "formatVersion": 99, "project": "p"})}}, want: "version 99 is not supported"},
		{name: "no project", files: fstest.MapFS{"manifest.json": {Data: manifest(map[string]any{"format": Format, "formatVersion": 1})}}, want: "names no project"},
		{name: "missing body", files: fstest.MapFS{"manifest.json": {Data: manifest(ok)}}, want: "reading recorded response"},
		{name: "escaping path", files: fstest.MapFS{"manifest.json": {Data: manifest(map[string]any{"format": Format, "formatVersion": 1, "project": "p",
			"exchanges": []map[string]any{{"api": "compute", "method": "GET", "path": "/x", "status": 200, "file": "../x.json"}}})}}, want: "invalid file path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(tc.files)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load = %v, want error containing %q", err, tc.want)
			}
		})
	}
	good := fstest.MapFS{"manifest.json": {Data: manifest(ok)}, "x.json": {Data: []byte("{}")}}
	if _, err := Load(good); err != nil {
		t.Fatalf("Load(valid) = %v", err)
	}
}

func TestFileNamesAreUniqueAndReadable(t *testing.T) {
	t.Parallel()
	used := map[string]bool{}
	a := fileName(Exchange{API: "compute", Path: "/compute/v1/projects/p/global/firewalls", Query: "maxResults=500"}, used)
	b := fileName(Exchange{API: "compute", Path: "/compute/v1/projects/p/global/firewalls", Query: "maxResults=500&pageToken=x"}, used)
	c := fileName(Exchange{API: "container", Path: "/v1/projects/p/locations/-/clusters"}, used)
	if a != "compute/compute/v1/projects/p/global/firewalls.json" || !strings.HasPrefix(b, "compute/compute/v1/projects/p/global/firewalls@") || a == b {
		t.Errorf("file names %q %q", a, b)
	}
	if c != filepath.ToSlash("container/v1/projects/p/locations/_/clusters.json") {
		t.Errorf("file name %q", c)
	}
}
