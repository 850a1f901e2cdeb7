package recording

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func sampleBundle(t *testing.T, mutate func(files map[string][]byte)) []byte {
	t.Helper()
	at := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	m := Manifest{Project: "p", RecordedAt: &at, Exchanges: []Exchange{
		{API: APICompute, Method: "GET", Path: "/compute/v1/projects/p/global/firewalls", Query: "maxResults=500", Status: 200, File: "compute/firewalls.json"}}}
	var buf bytes.Buffer
	bodies := fstest.MapFS{"compute/firewalls.json": {Data: []byte(`{"kind":"compute#firewallList","items":[]}`)}}
	if err := WriteBundle(&buf, m, bodies, []BundleFile{{Name: "report.json", Data: []byte("{}\n")}}, nil); err != nil {
		t.Fatal(err)
	}
	if mutate == nil {
		return buf.Bytes()
	}
	files := map[string][]byte{}
	var order []string
	gz, _ := gzip.NewReader(&buf)
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			files[h.Name] = b
			order = append(order, h.Name)
		}
	}
	mutate(files)
	var out bytes.Buffer
	gw := gzip.NewWriter(&out)
	tw := tar.NewWriter(gw)
	for _, n := range append(order, "extra.txt") {
		b, ok := files[n]
		if !ok {
			continue
		}
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	tw.Close()
	gw.Close()
	return out.Bytes()
}

func TestBundleRoundTrip(t *testing.T) {
	t.Parallel()
	b := sampleBundle(t, nil)
	dir := t.TempDir()
	rec, err := ReadBundle(bytes.NewReader(b), dir)
	if err != nil {
		t.Fatal(err)
	}
	files := os.DirFS(dir)
	if rec.Manifest.Project != "p" || len(rec.Manifest.Exchanges) != 1 {
		t.Errorf("manifest = %+v", rec.Manifest)
	}
	for _, n := range []string{"manifest.json", "SHA256SUMS", "report.json", "compute/firewalls.json"} {
		if _, err := files.Open(n); err != nil {
			t.Errorf("bundle lacks %s", n)
		}
	}
	// Deterministic: the same input gives the same bytes.
	if !bytes.Equal(b, sampleBundle(t, nil)) {
		t.Error("two bundles of the same run differ")
	}
}

func TestBundleRefused(t *testing.T) {
	t.Parallel()
	good := sampleBundle(t, nil)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{name: "not gzip", data: []byte("PK\x03\x04 a zip"), want: "not a gzipped bundle"},
		{name: "truncated", data: good[:len(good)/2], want: "truncated or corrupt"},
		{name: "checksum mismatch", data: sampleBundle(t, func(f map[string][]byte) { f["report.json"] = []byte(`{"findings":[]}`) }), want: "checksum of report.json does not match"},
		{name: "file removed", data: sampleBundle(t, func(f map[string][]byte) { delete(f, "compute/firewalls.json") }), want: "lacks compute/firewalls.json"},
		{name: "file added", data: sampleBundle(t, func(f map[string][]byte) { f["extra.txt"] = []byte("x") }), want: "extra.txt, which SHA256SUMS does not list"},
		{name: "no checksums", data: sampleBundle(t, func(f map[string][]byte) { delete(f, SumsName) }), want: "no SHA256SUMS"},
		{name: "newer schema", data: sampleBundle(t, func(f map[string][]byte) {
			var m map[string]any
			json.Unmarshal(f[ManifestName], &m)
			m["formatVersion"] = 2
			f[ManifestName], _ = json.Marshal(m)
			f[SumsName] = resum(f)
		}), want: "format version 2 is not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec, err := ReadBundle(bytes.NewReader(tc.data), t.TempDir())
			if err == nil || rec != nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ReadBundle = %v, %v; want an error containing %q", rec, err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("the reason is not one line: %q", err)
			}
		})
	}
}

// resum rewrites SHA256SUMS after a deliberate edit.
func resum(f map[string][]byte) []byte {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(f[SumsName])), "\n") {
		_, name, _ := strings.Cut(l, "  ")
		lines = append(lines, sumLine(f[name], name))
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// TestBundleManyBodies: bodies redacted side by side are written in name
// order, each the redaction of its own body; a body that cannot be read
// fails the bundle with its name, however far ahead the others are.
func TestBundleManyBodies(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	m := Manifest{Project: "p", RecordedAt: &at}
	bodies := fstest.MapFS{}
	for i := range 200 {
		file := fmt.Sprintf("kubernetes/c/deployments-%03d.json", i)
		m.Exchanges = append(m.Exchanges, Exchange{API: "kubernetes/c", Method: "GET", Path: fmt.Sprintf("/apis/apps/v1/deployments/%d", i), Status: 200, File: file})
		bodies[file] = &fstest.MapFile{Data: []byte(fmt.Sprintf(`{"metadata":{"name":"d%d","annotations":{"other.example/k":"secret-%d"}},"spec":{"template":{"spec":{"containers":[{"name":"c","env":[{"name":"E","value":"v%d"}]}]}}}}`, i, i, i))}
	}
	var buf bytes.Buffer
	if err := WriteBundle(&buf, m, bodies, nil, nil); err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		names = append(names, h.Name)
		got, _ := io.ReadAll(tr)
		if f, ok := bodies[h.Name]; ok {
			if want := Redact(f.Data); !bytes.Equal(got, want) || bytes.Contains(got, []byte("secret-")) {
				t.Fatalf("%s = %s, want %s", h.Name, got, want)
			}
		}
	}
	if len(names) != 202 || !sort.StringsAreSorted(names[:201]) || names[201] != SumsName {
		t.Fatalf("bundle files: %d, sorted %v, last %s", len(names), sort.StringsAreSorted(names[:201]), names[len(names)-1])
	}

	delete(bodies, "kubernetes/c/deployments-150.json")
	err = WriteBundle(io.Discard, m, bodies, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "deployments-150.json") {
		t.Fatalf("WriteBundle without one body: %v", err)
	}
}

// TestBundleExtraFromSpooled: an extra file read from its spooled file is
// bundled as the same bytes as one given whole, its secrets removed the
// same way; one that cannot be read fails the bundle, naming it.
func TestBundleExtraFromSpooled(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	m := Manifest{Project: "p", RecordedAt: &at}
	report := []byte("{\"token\": \"ya29.SECRET-token\", \"findings\": []}\n")
	secrets := []string{"ya29.SECRET-token"}
	var whole bytes.Buffer
	if err := WriteBundle(&whole, m, fstest.MapFS{}, []BundleFile{{Name: "report.json", Data: report}}, secrets); err != nil {
		t.Fatal(err)
	}
	spooled := t.TempDir() + "/report.json"
	spoolInPieces(t, spooled, report, 10)
	var fromSpool bytes.Buffer
	if err := WriteBundle(&fromSpool, m, fstest.MapFS{}, []BundleFile{{Name: "report.json", Spooled: spooled}}, secrets); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(whole.Bytes(), fromSpool.Bytes()) {
		t.Fatal("the bundle differs when the report is read from its spooled file")
	}
	gz, err := gzip.NewReader(&fromSpool)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := io.ReadAll(gz)
	if bytes.Contains(all, []byte("SECRET")) || !bytes.Contains(all, []byte(`"findings": []`)) {
		t.Fatalf("bundle: %q", all)
	}
	err = WriteBundle(io.Discard, m, fstest.MapFS{}, []BundleFile{{Name: "report.json", Spooled: spooled + ".missing"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "report.json") {
		t.Fatalf("WriteBundle with a missing report: %v", err)
	}
}
