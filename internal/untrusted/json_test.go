package untrusted

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// normalized is v as a decoder gives it back (an empty json.Number is
// encoded as 0), and whether every string of it is valid UTF-8: invalid
// bytes come back as U+FFFD, and two keys may then become one.
func normalized(v any) (any, bool) {
	switch x := v.(type) {
	case json.Number:
		if x == "" {
			return json.Number("0"), true
		}
	case string:
		return x, utf8.ValidString(x)
	case []any:
		out, valid := make([]any, len(x)), true
		for i, e := range x {
			var ok bool
			out[i], ok = normalized(e)
			valid = valid && ok
		}
		return out, valid
	case map[string]any:
		out, valid := map[string]any{}, true
		for k, e := range x {
			var ok bool
			out[k], ok = normalized(e)
			valid = valid && ok && utf8.ValidString(k)
		}
		return out, valid
	}
	return v, true
}

// slowMarshal is Marshal by encoding/json alone, which the fast path of
// decoded values must agree with byte for byte.
func slowMarshal(t *testing.T, v any, indent string) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return string(escapeC1(bytes.TrimSuffix(b.Bytes(), []byte("\n"))))
}

// writeJSON is what WriteJSON writes.
func writeJSON(t *testing.T, v any, indent string) string {
	t.Helper()
	var b strings.Builder
	if err := WriteJSON(&b, v, indent); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestMarshalDecodedAgrees: a decoded JSON value encodes to the bytes
// encoding/json gives, indented or not: every escape (\b, \f, U+2028,
// invalid UTF-8, DEL and C1, HTML characters), key order, empty and nested
// containers, numbers as written.
func TestMarshalDecodedAgrees(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	runes := []rune{'"', '\\', '\b', '\f', '\n', '\t', '\r', 0, 0x1f, ' ', 0x7f, 'a', 'Z', 'é', 0x2028, 0x2029, 0x9b, 0x85, '<', '>', '&', '😀', 0xfffd}
	var gen func(depth int) any
	gen = func(depth int) any {
		switch k := rng.IntN(7); {
		case k == 0 || depth > 4:
			var b []byte
			for range rng.IntN(8) {
				if rng.IntN(12) == 0 {
					b = append(b, []byte{0xff, 0xc0, 0xe2, 0x80}[rng.IntN(4)]) // invalid UTF-8
					continue
				}
				b = append(b, string(runes[rng.IntN(len(runes))])...)
			}
			return string(b)
		case k == 1:
			return json.Number([]string{"0", "-1.5e3", "12345678901234567890", "3.25", "1E+2", ""}[rng.IntN(6)])
		case k == 2:
			return rng.IntN(2) == 0
		case k == 3:
			return nil
		case k == 4:
			l := []any{}
			for range rng.IntN(4) {
				l = append(l, gen(depth+1))
			}
			return l
		default:
			m := map[string]any{}
			for range rng.IntN(5) {
				m[gen(9).(string)] = gen(depth + 1)
			}
			return m
		}
	}
	for i := range 20000 {
		v := gen(0)
		// Compact and in map order, what AppendJSON writes decodes to
		// the value it was given.
		b, ok := AppendJSON(nil, v)
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var back any
		if err := dec.Decode(&back); !ok || err != nil {
			t.Fatalf("AppendJSON(%#v) = %s: %v", v, b, err)
		}
		if want, valid := normalized(v); valid && !reflect.DeepEqual(back, want) {
			t.Fatalf("AppendJSON(%#v) = %s, decodes to %#v", v, b, back)
		}
		for _, indent := range []string{"", "  ", "\t"} {
			got, err := Marshal(v, indent)
			if err != nil {
				t.Fatal(err)
			}
			want := slowMarshal(t, v, indent)
			if string(got) != want {
				t.Fatalf("value %d, indent %q: Marshal(%#v)\n= %s\nwant %s", i, indent, v, got, want)
			}
			if w := writeJSON(t, v, indent); w != want+"\n" {
				t.Fatalf("value %d, indent %q: WriteJSON(%#v)\n= %s\nwant %s", i, indent, v, w, want)
			}
		}
	}
}

// TestMarshalDecodedRecorded: every recorded answer of the fixtures,
// decoded as Redact decodes it, encodes to encoding/json's bytes.
func TestMarshalDecodedRecorded(t *testing.T) {
	t.Parallel()
	n := 0
	filepath.WalkDir("../../fixtures", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return nil
		}
		n++
		got, err := Marshal(v, "  ")
		if err != nil {
			t.Fatal(err)
		}
		want := slowMarshal(t, v, "  ")
		if string(got) != want {
			t.Fatalf("%s: fast and encoding/json encodings differ", p)
		}
		if writeJSON(t, v, "  ") != want+"\n" {
			t.Fatalf("%s: WriteJSON differs from encoding/json", p)
		}
		return nil
	})
	if n < 100 {
		t.Fatalf("only %d recorded answers under fixtures/", n)
	}
}

// TestMarshalOtherValues: what is not a decoded value (structs, floats,
// invalid numbers) still goes through encoding/json, with its errors.
func TestMarshalOtherValues(t *testing.T) {
	t.Parallel()
	type s struct {
		A string `json:"a"`
		B float64
	}
	type nested struct {
		L []int          `json:"l"`
		M map[string]int `json:"m"`
		E []string       `json:"e"`
		S []s            `json:"s,omitempty"`
	}
	for _, v := range []any{s{"<x>", 1.5}, map[string]any{"k": 1.25, "s": []any{s{}}}, []any{3},
		map[string]any{"nil list": []any(nil), "nil map": map[string]any(nil), "in a list": []any{[]any(nil), map[string]any(nil)}},
		nested{M: map[string]int{}, E: []string{}}, nested{L: []int{1}, M: map[string]int{`a"{[,:]}\\`: 2}, E: []string{`\"`, "\u2028\x7f"}, S: []s{{A: "}"}, {}}}} {
		got, err := Marshal(v, "  ")
		if err != nil {
			t.Fatal(err)
		}
		want := slowMarshal(t, v, "  ")
		if string(got) != want {
			t.Fatalf("Marshal(%#v) = %s, want %s", v, got, want)
		}
		if w := writeJSON(t, v, "  "); w != want+"\n" {
			t.Fatalf("WriteJSON(%#v) = %s, want %s", v, w, want)
		}
	}
	for _, n := range []json.Number{"1 ", "abc", "true", "--1", "1e"} {
		if _, err := Marshal(map[string]any{"n": n}, ""); err == nil {
			t.Errorf("Marshal of json.Number %q: no error", n)
		}
	}
}
