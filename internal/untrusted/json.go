// Package untrusted handles text lbdiag did not write: API answers, event
// messages, annotations, descriptions and error texts. It makes such text
// safe to print and to keep: control characters escaped, secrets scrubbed,
// sizes bounded. It also encodes JSON the way lbdiag's outputs want it,
// without HTML escaping.
package untrusted

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Marshal encodes v as JSON without escaping &, < and > (Go's default
// turns them into \u0026, \u003c and \u003e, which makes commands and URLs
// in reports unreadable), but with DEL and the C1 control characters
// escaped (\u007f, \u009b, ...), which Go leaves raw: the output is safe to
// print on a terminal. indent, when not empty, indents nested values.
//
// A decoded JSON value (maps, lists, strings, json.Number, booleans and
// null, as a decoder with UseNumber gives them) is encoded without
// reflection, to the same bytes: a bundle re-encodes every answer.
func Marshal(v any, indent string) ([]byte, error) {
	if b, ok := appendValue(nil, v, indent, 0, true); ok {
		return escapeC1(b), nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	compact := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	if indent == "" {
		return escapeC1(compact), nil
	}
	// Indented here, into room made for it once, rather than by the
	// encoder, whose buffer grows by doubling: a big project's report is
	// tens of megabytes.
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", indent); err != nil {
		return nil, err
	}
	return escapeC1(out.Bytes()), nil
}

// WriteJSON writes v as Marshal(v, indent) gives it, and a newline, but
// lays it out and escapes it as it writes: only the compact encoding is
// held, not an indented copy beside it (a big project's report is tens of
// megabytes).
func WriteJSON(w io.Writer, v any, indent string) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	out := &jsonWriter{w: bw, indent: indent}
	if b, ok := appendValue(nil, v, "", 0, true); ok {
		out.Write(append(b, '\n'))
	} else {
		// The encoder writes the whole value at once, and its newline.
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// jsonWriter writes compact JSON (as an encoder gives it: no space outside
// strings, a whole value per Write) laid out as json.Indent lays it out
// (one element or member a line, ": " after keys, empty objects and
// arrays kept whole) when indent is set, and with DEL and the C1 control
// characters escaped as escapeC1 does.
type jsonWriter struct {
	w      *bufio.Writer
	indent string
	depth  int
}

func (j *jsonWriter) Write(src []byte) (int, error) {
	w := j.w
	newline := func() {
		w.WriteByte('\n')
		for range j.depth {
			w.WriteString(j.indent)
		}
	}
	run := 0 // the start of the bytes not yet written
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			for i++; i < len(src) && src[i] != '"'; i++ {
				switch {
				case src[i] == '\\':
					i++
				case src[i] == 0x7f:
					w.Write(src[run:i])
					w.WriteString(`\u007f`)
					run = i + 1
				case src[i] == 0xc2 && i+1 < len(src) && src[i+1] >= 0x80 && src[i+1] <= 0x9f:
					w.Write(src[run:i])
					fmt.Fprintf(w, `\u%04x`, src[i+1])
					i++
					run = i + 1
				}
			}
			continue
		case '{', '[', '}', ']', ',', ':':
			if j.indent != "" {
				break
			}
			continue
		default:
			continue
		}
		w.Write(src[run:i])
		run = i + 1
		switch c {
		case '{', '[':
			w.WriteByte(c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				w.WriteByte(src[i+1])
				i++
				run = i + 1
				continue
			}
			j.depth++
			newline()
		case '}', ']':
			j.depth--
			newline()
			w.WriteByte(c)
		case ',':
			w.WriteByte(c)
			newline()
		case ':':
			w.WriteString(": ")
		}
	}
	w.Write(src[min(run, len(src)):])
	return len(src), nil
}

// escapeC1 rewrites DEL and C1 characters of encoded JSON as \u escapes.
// They can only occur inside strings, where the escape means the same.
func escapeC1(b []byte) []byte {
	clean := true
	for i := 0; i < len(b); i++ {
		if b[i] == 0x7f || (b[i] == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f) {
			clean = false
			break
		}
	}
	if clean {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == 0x7f:
			out = append(out, `\u007f`...)
		case b[i] == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f:
			out = append(out, fmt.Sprintf(`\u%04x`, b[i+1])...)
			i++
		default:
			out = append(out, b[i])
		}
	}
	return out
}

// AppendJSON appends a decoded JSON value, compactly and with its keys in
// map order: for a decoder to read again, not for a person or a
// reproducible file (use Marshal). ok is false, with b unspecified, when v
// holds anything a decoder does not give.
func AppendJSON(b []byte, v any) ([]byte, bool) {
	return appendValue(b, v, "", 0, false)
}

// appendValue encodes a decoded JSON value as encoding/json does with
// HTML escaping off: keys sorted (when sorted), the same string escapes,
// and with indent the layout of json.Indent. ok is false, with b unspecified, when v holds
// anything else (a struct, a float), which encoding/json must encode.
func appendValue(b []byte, v any, indent string, depth int, sorted bool) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case bool:
		return strconv.AppendBool(b, x), true
	case json.Number:
		if x == "" {
			return append(b, '0'), true
		}
		// Left to encoding/json, which refuses it, unless it is a number.
		if strings.Trim(string(x), "0123456789+-.eE") != "" || !json.Valid([]byte(x)) {
			return b, false
		}
		return append(b, x...), true
	case string:
		return AppendString(b, x), true
	case []any:
		if x == nil {
			return append(b, "null"...), true // as encoding/json writes it
		}
		if len(x) == 0 {
			return append(b, "[]"...), true
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = newline(b, indent, depth+1)
			var ok bool
			if b, ok = appendValue(b, e, indent, depth+1, sorted); !ok {
				return b, false
			}
		}
		return append(newline(b, indent, depth), ']'), true
	case map[string]any:
		if x == nil {
			return append(b, "null"...), true
		}
		if len(x) == 0 {
			return append(b, "{}"...), true
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		if sorted {
			slices.Sort(keys)
		}
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(AppendString(newline(b, indent, depth+1), k), ':')
			if indent != "" {
				b = append(b, ' ')
			}
			var ok bool
			if b, ok = appendValue(b, x[k], indent, depth+1, sorted); !ok {
				return b, false
			}
		}
		return append(newline(b, indent, depth), '}'), true
	}
	return b, false
}

func newline(b []byte, indent string, depth int) []byte {
	if indent == "" {
		return b
	}
	b = append(b, '\n')
	for range depth {
		b = append(b, indent...)
	}
	return b
}

// AppendString quotes s as encoding/json does without HTML escaping.
func AppendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(append(b, s[start:i]...), `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029, which encoding/json always escapes.
		if r == '\u2028' || r == '\u2029' {
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
