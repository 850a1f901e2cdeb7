// Package untrusted handles text lbdiag did not write: API answers, event
// messages, annotations, descriptions and error texts. It makes such text
// safe to print and to keep: control characters escaped, secrets scrubbed,
// sizes bounded. It also encodes JSON the way lbdiag's outputs want it,
// without HTML escaping.
package untrusted

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Marshal encodes v as JSON without escaping &, < and > (Go's default
// turns them into \u0026, \u003c and \u003e, which makes commands and URLs
// in reports unreadable), but with DEL and the C1 control characters
// escaped (\u007f, \u009b, ...), which Go leaves raw: the output is safe to
// print on a terminal. indent, when not empty, indents nested values.
func Marshal(v any, indent string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return escapeC1(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), nil
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
