// Package recording stores the HTTP exchanges of a run and plays them back.
//
// A recording is a directory (or any fs.FS) holding manifest.json and one file
// per response body, exactly as the API returned it. The same format serves
// three purposes: `lbdiag inspect --record DIR` writes it, `--replay DIR` and
// `--demo` read it through the HTTP transport with no network, and the test
// servers answer live requests from it. Requests are matched on the API they
// were sent to (not its host), the method, the path, the query (minus
// encoding parameters such as alt and prettyPrint) and, for POST, the body.
//
// This package performs no judgement; it moves bytes.
package recording

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
)

// Format and FormatVersion identify a manifest. A manifest with a higher
// FormatVersion is refused.
const (
	Format        = "lbdiag-recording"
	FormatVersion = 1
	// ManifestName is the manifest's file name inside a recording.
	ManifestName = "manifest.json"
)

// API labels. Kubernetes exchanges are labelled per cluster with KubeAPI.
const (
	APICompute   = "compute"
	APIContainer = "container"
	// APILogging is Cloud Logging (--logs).
	APILogging = "logging"
	// APICertificateManager is Certificate Manager (the maps Gateways
	// name).
	APICertificateManager = "certificatemanager"
	// APIMonitoring is Cloud Monitoring (--metrics).
	APIMonitoring = "monitoring"
	// APIRecommender is the Recommender API (--network-analyzer).
	APIRecommender = "recommender"
)

// KubeAPI returns the API label of one cluster's Kubernetes API.
func KubeAPI(location, cluster string) string {
	return "kubernetes/" + location + "/" + cluster
}

// Exchange is one recorded request and its final response.
type Exchange struct {
	// API is the label of the API the request went to ("compute",
	// "container", "kubernetes/<location>/<cluster>").
	API    string `json:"api"`
	Method string `json:"method"`
	Path   string `json:"path"`
	// Query is the canonical query string (sorted, without encoding
	// parameters).
	Query string `json:"query,omitempty"`
	// RequestBody is the JSON body of a POST, in canonical form (compact,
	// object keys sorted, no HTML escaping: see CanonicalJSON).
	RequestBody string `json:"requestBody,omitempty"`
	// Status is the HTTP status; 0 when the request failed in transport.
	Status int `json:"status"`
	// TransportError is the error text when no response was received.
	TransportError string `json:"transportError,omitempty"`
	ContentType    string `json:"contentType,omitempty"`
	RetryAfter     string `json:"retryAfter,omitempty"`
	// File is the body's path inside the recording.
	File string `json:"file,omitempty"`
}

// Key identifies the request of an exchange.
func (e Exchange) Key() string {
	return e.API + " " + e.Method + " " + e.Path + "?" + e.Query + " " + CanonicalJSON(e.RequestBody)
}

// Manifest is the content of manifest.json.
type Manifest struct {
	Format        string     `json:"format"`
	FormatVersion int        `json:"formatVersion"`
	Project       string     `json:"project"`
	Tool          string     `json:"tool,omitempty"`
	RecordedAt    *time.Time `json:"recordedAt,omitempty"`
	// Description says, for hand-made fixtures, what the recording shows.
	Description string `json:"description,omitempty"`
	// Logs is the window of Cloud Logging the run read, as a Go duration
	// ("1h0m0s"), which a replay reads again; empty when it read none.
	Logs string `json:"logsWindow,omitempty"`
	// Metrics and Changes are the windows of Cloud Monitoring and of
	// audit entries the run read (--metrics, --changes).
	Metrics   string     `json:"metricsWindow,omitempty"`
	Changes   string     `json:"changesWindow,omitempty"`
	Exchanges []Exchange `json:"exchanges"`

	// ClusterAccess is how the run reached each cluster, which a replay
	// reports again (it makes no attempt of its own).
	ClusterAccess []inventory.ClusterAccess `json:"clusterAccess,omitempty"`

	// DNS is what the run's DNS lookups answered, which a replay answers
	// again (it resolves nothing); nil when the run made none, and
	// DNSSkipped then says why (--no-dns), which a replay says again.
	DNS        *inventory.DNS `json:"dns,omitempty"`
	DNSSkipped string         `json:"dnsSkipped,omitempty"`

	// NetworkAnalyzer is set when the run read Network Analyzer's
	// insights (--network-analyzer), which a replay reads again.
	NetworkAnalyzer bool `json:"networkAnalyzer,omitempty"`

	// The fields below describe the run of an evidence bundle.
	FinishedAt *time.Time        `json:"finishedAt,omitempty"`
	Clusters   []string          `json:"clusters,omitempty"`
	Flags      map[string]string `json:"flags,omitempty"`
	Coverage   json.RawMessage   `json:"coverage,omitempty"`
	Calls      []Call            `json:"calls,omitempty"`
}

// Recording is a loaded recording: a manifest, and the file system its
// bodies are read from, each when it is asked for.
type Recording struct {
	Manifest Manifest
	byKey    map[string]int
	fsys     fs.FS
}

// Load reads a recording from fsys. Every file the manifest names must be
// present; a manifest of an unknown format or a newer version is refused.
// Bodies are read lazily, when a request asks for them.
func Load(fsys fs.FS) (*Recording, error) {
	raw, err := fs.ReadFile(fsys, ManifestName)
	if err != nil {
		return nil, fmt.Errorf("reading recording manifest: %w", err)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decoding recording manifest: %w", err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("not an lbdiag recording: format %q", m.Format)
	}
	if m.FormatVersion > FormatVersion || m.FormatVersion < 1 {
		return nil, fmt.Errorf("recording format version %d is not supported (this lbdiag reads up to %d)", m.FormatVersion, FormatVersion)
	}
	if m.Project == "" {
		return nil, errors.New("recording manifest names no project")
	}
	r := &Recording{Manifest: m, byKey: map[string]int{}, fsys: fsys}
	for i, e := range m.Exchanges {
		if _, dup := r.byKey[e.Key()]; dup {
			return nil, fmt.Errorf("recording has two responses for %s %s %s?%s", e.API, e.Method, e.Path, e.Query)
		}
		r.byKey[e.Key()] = i
		if e.File == "" {
			continue
		}
		if !fs.ValidPath(e.File) {
			return nil, fmt.Errorf("recording names an invalid file path %q", e.File)
		}
		if _, err := fs.Stat(fsys, e.File); err != nil {
			return nil, fmt.Errorf("reading recorded response: %w", err)
		}
	}
	return r, nil
}

// Lookup returns the exchange recorded for req sent to api, and its body.
func (r *Recording) Lookup(api string, req *http.Request) (Exchange, []byte, bool, error) {
	key, err := requestKey(api, req)
	if err != nil {
		return Exchange{}, nil, false, err
	}
	i, ok := r.byKey[key.Key()]
	if !ok {
		return key, nil, false, nil
	}
	e := r.Manifest.Exchanges[i]
	if e.File == "" {
		return e, nil, true, nil
	}
	body, err := fs.ReadFile(r.fsys, e.File)
	if err != nil {
		return e, nil, false, fmt.Errorf("reading recorded response: %w", err)
	}
	return e, body, true, nil
}

// Transport returns a RoundTripper that answers requests for api from the
// recording, never touching the network. A request that was not recorded
// gets HTTP 501 with an explanation, and a recorded transport failure is
// returned as an error.
func (r *Recording) Transport(api string) http.RoundTripper {
	return replayTransport{r: r, api: api}
}

type replayTransport struct {
	r   *Recording
	api string
}

func (t replayTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	e, body, ok, err := t.r.Lookup(t.api, req)
	if err != nil {
		return nil, err
	}
	if !ok {
		return notRecorded(t.api, req, e), nil
	}
	if e.TransportError != "" {
		return nil, &ReplayedError{Text: e.TransportError}
	}
	h := http.Header{}
	h.Set("Content-Type", contentTypeOf(e))
	if e.RetryAfter != "" {
		h.Set("Retry-After", e.RetryAfter)
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status)),
		StatusCode:    e.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}

// ReplayedError is a transport failure that was recorded and is replayed.
type ReplayedError struct{ Text string }

func (e *ReplayedError) Error() string { return e.Text }

func contentTypeOf(e Exchange) string {
	if e.ContentType != "" {
		return e.ContentType
	}
	return "application/json"
}

func notRecorded(api string, req *http.Request, key Exchange) *http.Response {
	msg := fmt.Sprintf("lbdiag replay: no recorded response for %s %s?%s (api %s)", key.Method, key.Path, key.Query, api)
	var body []byte
	if strings.HasPrefix(api, "kubernetes/") {
		body, _ = json.Marshal(map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": msg, "reason": "NotRecorded", "code": http.StatusNotImplemented})
	} else {
		body, _ = json.Marshal(map[string]any{"error": map[string]any{"code": http.StatusNotImplemented, "message": msg, "status": "UNIMPLEMENTED"}})
	}
	return &http.Response{
		Status:        "501 Not Implemented",
		StatusCode:    http.StatusNotImplemented,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// Handler returns an http.Handler that serves the recording's api responses
// to live clients, as the test servers do.
func (r *Recording) Handler(api string) http.Handler {
	rt := r.Transport(api)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		req.URL.Scheme, req.URL.Host = "http", req.Host
		resp, err := rt.RoundTrip(req)
		if err != nil {
			// A recorded transport failure: drop the connection.
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})
}

// ignoredQuery are query parameters that only select an encoding.
var ignoredQuery = map[string]bool{"alt": true, "$alt": true, "prettyPrint": true}

// requestKey computes the exchange key of a request, leaving req.Body
// readable again.
func requestKey(api string, req *http.Request) (Exchange, error) {
	e := Exchange{API: api, Method: req.Method, Path: req.URL.Path, Query: CanonicalQuery(req.URL.RawQuery)}
	if req.Method != http.MethodGet && req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return e, fmt.Errorf("reading request body: %w", err)
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(b))
		e.RequestBody = CanonicalJSON(string(b))
	}
	return e, nil
}

// CanonicalQuery sorts a raw query and drops encoding parameters. The GKE
// client's "$alt=json;enum-encoding=int" form is handled too.
func CanonicalQuery(raw string) string {
	raw = strings.ReplaceAll(raw, ";", "&")
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return raw
	}
	for k := range vals {
		if ignoredQuery[k] || k == "enum-encoding" {
			delete(vals, k)
		}
	}
	return vals.Encode()
}

// CanonicalJSON is the canonical form of a JSON request body: compact,
// object keys sorted, no HTML escaping; text that is not JSON is kept as it
// is. Recordings written by hand or by other tools match live requests.
func CanonicalJSON(body string) string {
	if body == "" {
		return ""
	}
	v, err := decodeNumbers([]byte(body))
	if err != nil {
		return body
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return body
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// Recorder captures the final response of every request sent through the
// transports it wraps, and writes each body to its directory as it comes:
// nothing is held in memory but the list of exchanges.
type Recorder struct {
	dir       string
	spool     bool // bodies are spooled files (NewSpoolRecorder)
	mu        sync.Mutex
	exchanges map[string]Exchange // by key
	used      map[string]bool     // file names taken
}

// NewRecorder returns a Recorder that writes bodies under dir, creating it
// (0700) if needed. Bodies are written as received, unredacted, 0600.
func NewRecorder(dir string) (*Recorder, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the recording directory: %w", err)
	}
	return &Recorder{dir: dir, exchanges: map[string]Exchange{}, used: map[string]bool{}}, nil
}

// NewSpoolRecorder returns a Recorder whose bodies are spooled files
// under dir, compressed: a recording kept only until an evidence bundle
// is written from it (Bodies).
func NewSpoolRecorder(dir string) (*Recorder, error) {
	rec, err := NewRecorder(dir)
	if err != nil {
		return nil, err
	}
	rec.spool = true
	return rec, nil
}

// Bodies reads the recorded bodies by their exchanges' File.
func (rec *Recorder) Bodies() fs.FS {
	if rec.spool {
		return spoolFS(rec.dir)
	}
	return os.DirFS(rec.dir)
}

// Wrap returns a RoundTripper that sends requests through next and records
// what came back as exchanges of api.
func (rec *Recorder) Wrap(api string, next http.RoundTripper) http.RoundTripper {
	return recordingTransport{rec: rec, api: api, next: next}
}

type recordingTransport struct {
	rec  *Recorder
	api  string
	next http.RoundTripper
}

func (t recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	e, err := requestKey(t.api, req)
	if err != nil {
		return nil, err
	}
	resp, rtErr := t.next.RoundTrip(req)
	if rtErr != nil {
		if req.Context().Err() == nil {
			e.TransportError = rtErr.Error()
			t.rec.add(e, nil)
		}
		return nil, rtErr
	}
	body, err := ReadBody(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading response of %s %s: %w", req.Method, req.URL.Path, err)
	}
	resp.Body = NewAnswerBody(body)
	e.Status = resp.StatusCode
	e.ContentType = resp.Header.Get("Content-Type")
	e.RetryAfter = resp.Header.Get("Retry-After")
	if err := t.rec.add(e, body); err != nil {
		return nil, err
	}
	return resp, nil
}

// add records an exchange, replacing an earlier one of the same request
// (a retry) and writing its body to the exchange's file.
func (rec *Recorder) add(e Exchange, body []byte) error {
	data := body
	if rec.spool && e.TransportError == "" {
		// Compressed before taking the lock: answers arrive side by side.
		data = encodeSpooled(body)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if prev, ok := rec.exchanges[e.Key()]; ok && prev.File != "" {
		e.File = prev.File
	}
	if e.TransportError != "" {
		e.File = ""
	} else if e.File == "" {
		e.File = fileName(e, rec.used)
	}
	if e.File == "" {
		rec.exchanges[e.Key()] = e
		return nil
	}
	p := filepath.Join(rec.dir, filepath.FromSlash(e.File))
	err := os.MkdirAll(filepath.Dir(p), 0o700)
	if err == nil {
		err = os.WriteFile(p, data, 0o600)
	}
	if err != nil {
		// Neither this answer nor an earlier one of the request is whole
		// in its file: the bundle must not name it.
		delete(rec.exchanges, e.Key())
		return fmt.Errorf("recording: %w", err)
	}
	rec.exchanges[e.Key()] = e
	return nil
}

// Exchanges returns the recorded exchanges sorted by key.
func (rec *Recorder) Exchanges() []Exchange {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	keys := make([]string, 0, len(rec.exchanges))
	for k := range rec.exchanges {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Exchange, 0, len(keys))
	for _, k := range keys {
		out = append(out, rec.exchanges[k])
	}
	return out
}

// fileName derives a readable, unique body path from an exchange.
func fileName(e Exchange, used map[string]bool) string {
	p := strings.Trim(e.Path, "/")
	p = strings.ReplaceAll(p, "/-/", "/_/")
	base := path.Join(e.API, p)
	if q := pageQuery(e.Query) + e.RequestBody; q != "" {
		sum := sha256.Sum256([]byte(q))
		base += "@" + hex.EncodeToString(sum[:])[:10]
	}
	name := base + ".json"
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%s~%d.json", base, i)
	}
	used[name] = true
	return name
}

// pageQuery returns the parts of a canonical query that distinguish two
// requests for the same collection (anything but the page size).
func pageQuery(q string) string {
	vals, err := url.ParseQuery(q)
	if err != nil {
		return q
	}
	delete(vals, "maxResults")
	delete(vals, "limit")
	return vals.Encode()
}

// WriteManifest completes a recording in dir, whose bodies a Recorder
// wrote there: it writes the manifest (0600).
func WriteManifest(dir string, m Manifest) error {
	m.Format, m.FormatVersion = Format, FormatVersion
	b, err := untrusted.Marshal(m, "  ")
	if err != nil {
		return fmt.Errorf("encoding recording manifest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestName), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing recording manifest: %w", err)
	}
	return nil
}

// LogsWindow is the window of Cloud Logging a recording's run read: the
// manifest's logsWindow, else (bundles of lbdiag v0.2.0) its --logs flag;
// 0 when it read none.
func (m Manifest) LogsWindow() time.Duration {
	return window(m.Logs, m.Flags["logs"])
}

// MetricsWindow is the window of Cloud Monitoring a recording's run read.
func (m Manifest) MetricsWindow() time.Duration { return window(m.Metrics) }

// ChangesWindow is the window of audit entries a recording's run read.
func (m Manifest) ChangesWindow() time.Duration { return window(m.Changes) }

// window is the first of the values that is a positive Go duration.
func window(values ...string) time.Duration {
	for _, v := range values {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d
		}
	}
	return 0
}
