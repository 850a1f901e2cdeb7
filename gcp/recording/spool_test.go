package recording

import (
	"bytes"
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
	if bytes.Contains(got, []byte("SECRET")) {
		t.Fatal("the bundle holds the secret")
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

// TestReadSpooledRefuses: a spooled file that is missing, is not DEFLATE
// or inflates beyond a bundle file's bound is an error, never a body.
func TestReadSpooledRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := ReadSpooled(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing spooled file was read")
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte(`{"plain":"json"}`), 0o600)
	if _, err := ReadSpooled(bad); err == nil {
		t.Error("a file that is not DEFLATE was read")
	}
	cut := filepath.Join(dir, "cut")
	if err := writeSpooled(cut, bytes.Repeat([]byte("answer "), 10000)); err != nil {
		t.Fatal(err)
	}
	z, _ := os.ReadFile(cut)
	os.WriteFile(cut, z[:len(z)/2], 0o600)
	if _, err := ReadSpooled(cut); err == nil {
		t.Error("a truncated spooled file was read")
	}
	big := filepath.Join(dir, "big")
	w, err := CreateSpooled(big)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range maxBundleFile>>20 + 1 {
		w.Write(zeros)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSpooled(big); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a spooled file beyond the bound: %v", err)
	}
}
