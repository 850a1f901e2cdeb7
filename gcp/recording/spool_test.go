package recording

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSpoolRecorderBundlesTheSameBytes records the same answers with a
// plain recorder and a spooling one: the spooled files on disk are
// compressed, read back as received, and the evidence bundle written from
// them is the same bytes, byte for byte, as the one from the plain
// recording, with secrets redacted the same way.
func TestSpoolRecorderBundlesTheSameBytes(t *testing.T) {
	t.Parallel()
	page := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"kind":"compute#networkEndpointGroupAggregatedList","items":{"zones/us-central1-a":{"networkEndpointGroups":[`)
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"kind":"compute#networkEndpointGroup","name":"k8s1-neg-%05d","zone":"https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a","metadata":{"items":[{"key":"startup-script","value":"echo ya29.SECRET"}]}}`, i)
		}
		b.WriteString(`]}}}`)
		return b.String()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		switch r.URL.Query().Get("pageToken") {
		case "":
			io.WriteString(w, page(2000))
		case "empty":
		default:
			io.WriteString(w, page(3))
		}
	}))
	defer srv.Close()

	at := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	record := func(rec *Recorder) []byte {
		c := &http.Client{Transport: rec.Wrap(APICompute, http.DefaultTransport)}
		for _, tok := range []string{"", "next", "empty"} {
			resp, err := c.Get(srv.URL + "/compute/v1/projects/p/aggregated/networkEndpointGroups?pageToken=" + tok)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		var buf bytes.Buffer
		m := Manifest{Project: "p", RecordedAt: &at, Exchanges: rec.Exchanges()}
		if err := WriteBundle(&buf, m, rec.Bodies(), []BundleFile{{Name: "report.json", Data: []byte("{}\n")}}, []string{"ya29.SECRET"}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	plainDir, spoolDir := t.TempDir(), t.TempDir()
	plain, err := NewRecorder(plainDir)
	if err != nil {
		t.Fatal(err)
	}
	spool, err := NewSpoolRecorder(spoolDir)
	if err != nil {
		t.Fatal(err)
	}
	want, got := record(plain), record(spool)
	if !bytes.Equal(got, want) {
		t.Fatal("the bundle from a spooled recording differs from the plain one's")
	}
	gz, err := gzip.NewReader(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	tarred, _ := io.ReadAll(gz)
	if !bytes.Contains(tarred, []byte("k8s1-neg-01999")) || bytes.Contains(tarred, []byte("SECRET")) {
		t.Fatal("the bundle does not hold the answers, or holds the secret")
	}

	var plainBytes, spoolBytes int64
	for _, e := range spool.Exchanges() {
		raw, err := os.ReadFile(filepath.Join(plainDir, filepath.FromSlash(e.File)))
		if err != nil {
			t.Fatal(err)
		}
		z, err := os.ReadFile(filepath.Join(spoolDir, filepath.FromSlash(e.File)))
		if err != nil {
			t.Fatal(err)
		}
		back, err := fs.ReadFile(spool.Bodies(), e.File)
		if err != nil || !bytes.Equal(back, raw) {
			t.Fatalf("%s read back as %d bytes (%v), recorded %d", e.File, len(back), err, len(raw))
		}
		// Through Open as well as ReadFile.
		f, err := spool.Bodies().Open(e.File)
		if err != nil {
			t.Fatal(err)
		}
		opened, _ := io.ReadAll(f)
		st, _ := f.Stat()
		f.Close()
		if !bytes.Equal(opened, raw) || st.Size() != int64(len(raw)) {
			t.Fatalf("%s opened as %d bytes (size %d), recorded %d", e.File, len(opened), st.Size(), len(raw))
		}
		plainBytes += int64(len(raw))
		spoolBytes += int64(len(z))
	}
	if plainBytes < 200_000 || spoolBytes*10 > plainBytes {
		t.Fatalf("spooled %d bytes for %d received: not compressed", spoolBytes, plainBytes)
	}
	if _, err := fs.ReadFile(spool.Bodies(), "../outside"); err == nil {
		t.Fatal("a name outside the recording was read")
	}
}

// TestReadSpooledRefuses: a spooled file that is missing, is not one,
// is cut short, holds more or less than its header says, or says it
// holds more than a bundle file may is an error, never a body; the last
// before anything is inflated.
func TestReadSpooledRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := ReadSpooled(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing spooled file was read")
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, append(binary.LittleEndian.AppendUint64(nil, 16), `{"plain":"json"}`...), 0o600)
	if _, err := ReadSpooled(bad); err == nil {
		t.Error("a file that is not DEFLATE was read")
	}
	body := bytes.Repeat([]byte("answer "), 10000)
	good := filepath.Join(dir, "good")
	if err := os.WriteFile(good, encodeSpooled(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if back, err := ReadSpooled(good); err != nil || !bytes.Equal(back, body) {
		t.Fatalf("read back %d bytes (%v), wrote %d", len(back), err, len(body))
	}
	z, _ := os.ReadFile(good)
	// Written as a stream, in pieces, it is the same file.
	streamed := filepath.Join(dir, "streamed")
	spoolInPieces(t, streamed, body, 1000)
	if zs, _ := os.ReadFile(streamed); !bytes.Equal(zs, z) {
		t.Error("a streamed spooled file differs from one written whole")
	}
	variant := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	withLength := func(n uint64) []byte {
		return append(binary.LittleEndian.AppendUint64(nil, n), z[spoolHeader:]...)
	}
	for name, p := range map[string]string{
		"cut short":            variant("cut", z[:len(z)/2]),
		"header cut short":     variant("head", z[:5]),
		"longer than it says":  variant("longer", withLength(uint64(len(body)-1))),
		"shorter than it says": variant("shorter", withLength(uint64(len(body)+1))),
	} {
		if _, err := ReadSpooled(p); err == nil {
			t.Errorf("a spooled file %s was read", name)
		}
	}
	if _, err := ReadSpooled(variant("big", withLength(maxBundleFile+1))); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a spooled file beyond the bound: %v", err)
	}
}

// TestRecorderDropsWhatItCouldNotWrite: an answer whose body could not be
// written is an error, and no exchange names its file, plain or spooled;
// nor does an earlier answer of the same request, whose file it may have
// cut short.
func TestRecorderDropsWhatItCouldNotWrite(t *testing.T) {
	t.Parallel()
	for _, spool := range []bool{false, true} {
		dir := t.TempDir()
		rec, err := NewRecorder(dir)
		if spool {
			rec, err = NewSpoolRecorder(dir)
		}
		if err != nil {
			t.Fatal(err)
		}
		e := Exchange{API: APICompute, Method: http.MethodGet, Path: "/compute/v1/projects/p/global/firewalls", Status: 200}
		if err := rec.add(e, []byte(`{"items":[]}`)); err != nil {
			t.Fatal(err)
		}
		if len(rec.Exchanges()) != 1 {
			t.Fatalf("spool %v: %d exchanges", spool, len(rec.Exchanges()))
		}
		// The answer's file becomes a directory: writing it fails.
		p := filepath.Join(dir, filepath.FromSlash(rec.Exchanges()[0].File))
		os.Remove(p)
		os.MkdirAll(filepath.Join(p, "x"), 0o700)
		if err := rec.add(e, []byte(`{"items":[{"name":"fw"}]}`)); err == nil || !strings.Contains(err.Error(), "recording") {
			t.Errorf("spool %v: a failed write: %v", spool, err)
		}
		if got := rec.Exchanges(); len(got) != 0 {
			t.Errorf("spool %v: the bundle would name %+v", spool, got)
		}
	}
}

// spoolInPieces writes data to the spooled file p in two writes, cut at n.
func spoolInPieces(t *testing.T, p string, data []byte, n int) {
	t.Helper()
	w, err := CreateSpooled(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, piece := range [][]byte{data[:n], data[n:]} {
		if _, err := w.Write(piece); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
