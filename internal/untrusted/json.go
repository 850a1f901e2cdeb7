// Package untrusted handles text lbdiag did not write: API answers, event
// messages, annotations, descriptions and error texts. It makes such text
// safe to print and to keep: control characters escaped, secrets scrubbed,
// sizes bounded. It also encodes JSON the way lbdiag's outputs want it,
// without HTML escaping.
package untrusted

import (
	"bytes"
	"encoding/json"
)

// Marshal encodes v as JSON without escaping &, < and > (Go's default
// turns them into \u0026, \u003c and \u003e, which makes commands and URLs
// in reports unreadable). indent, when not empty, indents nested values.
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
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
