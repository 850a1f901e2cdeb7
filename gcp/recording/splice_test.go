package recording

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// agreeSpliced fails t unless redactSpliced either refuses body or gives
// what the slow redaction gives, once decoded.
func agreeSpliced(t *testing.T, body []byte) bool {
	t.Helper()
	got, ok := redactSpliced(body)
	if !ok {
		return false
	}
	full, fullOK := redact(body, "")
	if !fullOK {
		t.Fatalf("redactSpliced took %q, which the slow redaction refuses as not JSON", body)
	}
	a, err := decodeNumbers(got)
	if err != nil {
		t.Fatalf("redactSpliced(%q) = %q, not JSON: %v", body, got, err)
	}
	b, _ := decodeNumbers(full)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("redactSpliced(%q)\n = %s\nslow redaction gives\n   %s", body, got, full)
	}
	return true
}

// TestRedactSplicedAgreesOnRecordedAnswers: every recorded answer of the
// fixtures and the gcpdiag corpus that redaction acts on is redacted the
// same by splicing as by decoding it whole, and splicing takes nearly all.
func TestRedactSplicedAgreesOnRecordedAnswers(t *testing.T) {
	t.Parallel()
	spliced, refused := 0, 0
	walk := func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		body, err := os.ReadFile(path)
		if err != nil || !mayNeedRedaction(body) {
			return err
		}
		if agreeSpliced(t, body) {
			spliced++
		} else {
			refused++
		}
		return nil
	}
	for _, root := range []string{filepath.Join("..", "..", "fixtures"), filepath.Join("..", "testdata", "gcpdiag-corpus")} {
		if err := filepath.WalkDir(root, walk); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d answers spliced, %d left to the slow redaction", spliced, refused)
	if spliced < 50 || refused > spliced/10 {
		t.Fatalf("%d answers spliced, %d refused", spliced, refused)
	}
}

// TestRedactSplicedAgreesOnGenerated: random documents built of the keys
// and values redaction acts on, at every depth, in objects and arrays,
// with escapes, numbers and space, redact the same both ways.
func TestRedactSplicedAgreesOnGenerated(t *testing.T) {
	t.Parallel()
	keys := []string{"metadata", "spec", "containers", "items", "x", "name", "kind", "exec", "command", "args", "value", "message", "note",
		"httpRequest", "requestUrl", "remoteIp", "jsonPayload", "textPayload", "protoPayload", "metadata", "password", "items", "key"}
	for k := range redactionKeys {
		keys = append(keys, k)
	}
	for k := range actsOnKey {
		keys = append(keys, k)
	}
	strs := []string{`"sleep"`, `"sh"`, `"-c"`, `"sleep 5; curl x"`, `"compute#metadata"`, `"compute#instance"`, `"https://x/?token=abcdefgh"`,
		`"a\"b"`, `"\u00e9\n"`, `"Authorization:Bearer abcdefgh"`, `"kubectl.kubernetes.io/last-applied-configuration"`, `"cloud.google.com/neg"`,
		`"app:1"`, `""`, `"\/"`}
	scalars := []string{"0", "-1.5e3", "12", "true", "false", "null"}
	rng := rand.New(rand.NewPCG(11, 12))
	sp := func() string { return []string{"", "", " ", "\n  "}[rng.IntN(4)] }
	var gen func(depth int) string
	gen = func(depth int) string {
		switch r := rng.IntN(10); {
		case depth > 5 || r < 3:
			if rng.IntN(2) == 0 {
				return strs[rng.IntN(len(strs))]
			}
			return scalars[rng.IntN(len(scalars))]
		case r < 5:
			var parts []string
			for range rng.IntN(4) {
				parts = append(parts, sp()+gen(depth+1)+sp())
			}
			return "[" + strings.Join(parts, ",") + "]"
		default:
			var parts []string
			for range rng.IntN(5) {
				k := keys[rng.IntN(len(keys))]
				parts = append(parts, sp()+strconv.Quote(k)+sp()+":"+sp()+gen(depth+1))
			}
			return "{" + strings.Join(parts, ",") + sp() + "}"
		}
	}
	spliced := 0
	for range 20000 {
		body := []byte(sp() + gen(0) + sp())
		if !json.Valid(body) {
			t.Fatalf("generated %q is not JSON", body)
		}
		if agreeSpliced(t, body) {
			spliced++
		}
	}
	if spliced < 15000 {
		t.Fatalf("only %d of 20000 generated documents spliced", spliced)
	}
}

// TestRedactSplicedRefuses: what is not one JSON value, or holds what the
// splicer does not read, is left to the slow redaction, which decides; a
// key or kind spelled with escapes is redacted whole.
func TestRedactSplicedRefuses(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`{"a":1} x`, `{"a":1}{}`, `{"a":tru}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}",
		`{"a" 1}`, `{"a":1,}`, `[1,]`, `{"a":[1 2]}`, `{"a":"b`, `{"a":{"image":"x"`, `{"image":}`, `{'a':1}`, `{"a":1]`,
		strings.Repeat("[", maxSpliceDepth+1) + strings.Repeat("]", maxSpliceDepth+1),
	} {
		if out, ok := redactSpliced([]byte(in)); ok {
			t.Errorf("redactSpliced(%.40q) = %.40q, want it refused", in, out)
		}
	}
	for _, in := range []string{`{"items":[{"\u0064ata":{"k":"SECRET"}}]}`, `{"kind":"compute\u0023metadata","items":[{"key":"k","value":"SECRET"}]}`,
		`{"metadata":{"annotations":{"example.com/t":"SECRET"}}}`, `{"spec":{"containers":[{"name":"c","env":[{"name":"P","value":"SECRET"}],"image":"i"}]}}`,
		`{"c":[{"command":["SECRET"],"name":"c","image":"i"}]}`, `{"x":{"data":{"k":"SECRET"}}}`,
		`{"data":"SECRET","x":1}`, `{"x":1,"stringData":{"k":"SECRET"}}`, `{"binaryData":"SECRET"}`, `{"a":{"x":1,"data":"SECRET","y":[2]}}`,
		`{"containers":[{"name":"c","image":"i","args":["SECRET"],"env":[{"name":"E","value":"SECRET"}],"ports":[{"containerPort":80}]}]}`,
		`{"spec":{"containers":[{"args":["--token=SECRET"],"command":["SECRET"],"image":"i","readinessProbe":{"exec":{"command":["SECRET"]}}}]}}`,
		`{"backend":{"customRequestHeaders":["X-Key:SECRET"],"name":"b"},"probe":{"httpGet":{"httpHeaders":[{"name":"A","value":"SECRET"}]}}}`} {
		out, ok := redactSpliced([]byte(in))
		if !ok || bytes.Contains(out, []byte("SECRET")) {
			t.Errorf("redactSpliced(%s) = %s, %v", in, out, ok)
		}
		agreeSpliced(t, []byte(in))
	}
	// A key twice: the object is read as the slow way reads it, the last
	// one winning, so that no typed decoder merges the two.
	for _, in := range []string{`{"metadata":{"annotations":{"example.com/t":"SECRET"}},"metadata":{"name":"x"}}`,
		`{"items":[{"name":"a","name":"b"}]}`} {
		out, ok := redactSpliced([]byte(in))
		if !ok || bytes.Count(out, []byte(`"metadata"`)) > 1 || bytes.Count(out, []byte(`"name"`)) > 1 || bytes.Contains(out, []byte("SECRET")) {
			t.Errorf("redactSpliced(%s) = %s, %v", in, out, ok)
		}
		agreeSpliced(t, []byte(in))
	}
	// Nesting past the decoder's limit counts what encloses an object
	// redacted whole, as the slow way counts it.
	half := maxSpliceDepth/2 + 10
	deepBoth := strings.Repeat(`[`, half) + `{"data":` + strings.Repeat(`[`, half) + strings.Repeat(`]`, half) + `}` + strings.Repeat(`]`, half)
	if _, ok := redactSpliced([]byte(deepBoth)); ok {
		t.Error("a document nested past the limit, half of it in an object redacted whole, was spliced")
	}
	// Deep nesting within the limit is spliced.
	deep := strings.Repeat(`{"a":[`, 100) + `{"image":"i","args":["SECRET"]}` + strings.Repeat(`]}`, 100)
	if out, ok := redactSpliced([]byte(deep)); !ok || bytes.Contains(out, []byte("SECRET")) {
		t.Errorf("deep document: %v", ok)
	}
}

// FuzzRedactSpliced: whatever the splicer takes, it redacts as the slow
// redaction does.
func FuzzRedactSpliced(f *testing.F) {
	for _, s := range []string{`{"metadata":{"annotations":{"a":"b"}},"spec":{"containers":[{"image":"i","command":["x"]}]}}`,
		`[{"env":[{"name":"a","value":"b"}]}]`, `{"kind":"compute#metadata","items":[{"value":"v"}]}`, `{"a":"\u0041","b":-0.5e-3}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		agreeSpliced(t, body)
	})
}

// TestSpliceKeysAreRedactionKeys: the splicer's triggers and the
// shortcut's keys are one list, so an answer the shortcut sends to
// redaction is one the splicer redacts.
func TestSpliceKeysAreRedactionKeys(t *testing.T) {
	t.Parallel()
	union := map[string]bool{"compute#metadata": true}
	for k := range actsOnKey {
		union[k] = true
	}
	for k := range actsOnMember {
		union[k] = true
	}
	if !maps.Equal(union, redactionKeys) {
		t.Fatalf("the splicer acts on %v; redactionKeys are %v", slices.Sorted(maps.Keys(union)), slices.Sorted(maps.Keys(redactionKeys)))
	}
}

// TestSpliceBoundsItsWork: a repeated key past the first few members of a
// big object is still found (the object is decoded whole, as the slow
// path keeps the last value), and objects nested in objects whose
// trigger comes last are not decoded again level after level: past the
// answer's size the splicer leaves the answer to the slow path, which
// redacts it all the same.
func TestSpliceBoundsItsWork(t *testing.T) {
	t.Parallel()
	var labels strings.Builder
	labels.WriteString(`{"metadata":{"labels":{`)
	for i := range 5000 {
		fmt.Fprintf(&labels, `"l%d":"v",`, i)
	}
	labels.WriteString(`"l17":"again"}}}`)
	out, ok := redactSpliced([]byte(labels.String()))
	if !ok || !bytes.Contains(out, []byte(`"l17":"again"`)) || bytes.Count(out, []byte(`"l17"`)) != 1 {
		t.Fatalf("a repeated key among 5,000: ok %v, %d copies", ok, bytes.Count(out, []byte(`"l17"`)))
	}
	agreeSpliced(t, []byte(labels.String()))

	// Each level's image comes after its child: decoding every level
	// again would cost depth × size.
	var deep strings.Builder
	const levels = 300
	for range levels {
		deep.WriteString(`{"x":`)
	}
	deep.WriteString(`{"image":"app","env":[{"name":"K","value":"SECRET"}]}`)
	for range levels {
		deep.WriteString(`,"image":"app"}`)
	}
	if _, ok := redactSpliced([]byte(deep.String())); ok {
		t.Error("nested late triggers were decoded level after level")
	}
	if out, ok := RedactAnswer([]byte(deep.String())); !ok || bytes.Contains(out, []byte("SECRET")) {
		t.Errorf("the slow path: ok %v, the secret kept %v", ok, bytes.Contains(out, []byte("SECRET")))
	}
}
