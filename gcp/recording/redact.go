package recording

import (
	"bytes"
	"encoding/json"

	"github.com/lbdiag/lbdiag/internal/untrusted"
)

// Redacted is what replaces a removed value that must keep its place.
const Redacted = "REDACTED-BY-LBDIAG"

// Redact removes from a recorded JSON body whatever could carry a secret:
// container env values (names and valueFrom stay), container command and
// args (lifecycle hooks and probes stay: the rules read them), any data,
// stringData or binaryData, the kubectl.kubernetes.io/last-applied-
// configuration annotation, Compute Engine metadata values, GKE node
// metadata values and the cluster's client credentials. A body that is not
// JSON is replaced whole. lbdiag never reads Secrets; this guards against
// what other objects carry.
func Redact(body []byte) []byte {
	if len(bytes.TrimSpace(body)) == 0 {
		return body
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []byte(`"` + Redacted + `: not JSON"`)
	}
	v = redactValue(v, "")
	out, err := untrusted.Marshal(v, "  ")
	if err != nil {
		return []byte(`"` + Redacted + `"`)
	}
	return append(out, '\n')
}

func redactValue(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		return redactObject(x, key)
	case []any:
		for i := range x {
			x[i] = redactValue(x[i], key)
		}
		if key == "env" {
			for _, e := range x {
				if m, ok := e.(map[string]any); ok {
					delete(m, "value")
				}
			}
		}
		return x
	}
	return v
}

func redactObject(m map[string]any, key string) map[string]any {
	for _, k := range []string{"data", "stringData", "binaryData"} {
		delete(m, k)
	}
	// A container: its command line can carry credentials.
	if _, ok := m["image"]; ok {
		delete(m, "command")
		delete(m, "args")
	}
	if ann, ok := m["annotations"].(map[string]any); ok {
		delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
	}
	// Compute Engine metadata (startup scripts, ssh keys).
	if m["kind"] == "compute#metadata" {
		if items, ok := m["items"].([]any); ok {
			for _, it := range items {
				if im, ok := it.(map[string]any); ok {
					if _, has := im["value"]; has {
						im["value"] = Redacted
					}
				}
			}
		}
	}
	// GKE: node metadata and client credentials of old clusters.
	if key == "nodeConfig" || key == "config" || key == "nodeConfigDefaults" {
		if md, ok := m["metadata"].(map[string]any); ok {
			for k := range md {
				md[k] = Redacted
			}
		}
	}
	if key == "masterAuth" {
		for _, k := range []string{"password", "clientKey", "clientCertificate", "username"} {
			delete(m, k)
		}
	}
	for k, v := range m {
		m[k] = redactValue(v, k)
	}
	return m
}
