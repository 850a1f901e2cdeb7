package recording

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
)

// Redacted is what replaces a removed value that must keep its place.
const Redacted = "REDACTED-BY-LBDIAG"

// readAnnotationPrefixes are the annotations lbdiag reads (GKE's
// controllers' and the users' load-balancing annotations). The values of
// all others are removed: they are free-form text lbdiag has no use for.
//
// This list is the one place outside package gke that spells annotation
// namespaces (gke's keys test allows it): it is a security list, widened
// only on purpose, and it keeps whole namespaces where gke names keys.
var readAnnotationPrefixes = []string{
	"cloud.google.com/", "beta.cloud.google.com/", "networking.gke.io/", "ingress.kubernetes.io/",
	"ingress.gcp.kubernetes.io/", "kubernetes.io/ingress.", "service.alpha.kubernetes.io/app-protocols",
	"service.kubernetes.io/",
}

func readAnnotation(key string) bool {
	for _, p := range readAnnotationPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// Redact removes from a recorded JSON body whatever could carry a secret,
// keeping names and structure and, of what lbdiag needs, only the part it
// needs:
//   - container env values (names and valueFrom stay), container command
//     and args;
//   - preStop exec commands, reduced to the sleep whose duration lbdiag
//     reads (["sleep", "N"]); any other hook command, and probe exec
//     commands, replaced whole;
//   - the values of probe httpHeaders and of custom request and response
//     headers (BackendConfig, backend services): "Name:REDACTED";
//   - the values of annotations lbdiag does not read, and the
//     kubectl.kubernetes.io/last-applied-configuration annotation;
//     credentials and query values of URLs in the ones it reads;
//   - credentials, tokens and URL query values in event messages;
//   - any data, stringData or binaryData field;
//   - Compute Engine metadata values, GKE node metadata values and the
//     cluster's client credentials.
//
// A body that is not JSON is replaced whole. lbdiag never reads Secrets;
// this guards against what other objects carry.
//
// A bundle also keeps of an audit log entry's caller only the domain of
// its email (PrincipalDomain): lbdiag's reports show no more unless
// --show-principals, and a bundle travels further than a report.
func Redact(body []byte) []byte {
	out, ok := redact(body, "  ")
	if !ok {
		return []byte(`"` + Redacted + `: not JSON"`)
	}
	if bytes.Contains(out, []byte(`"principalEmail"`)) {
		if v, err := decodeNumbers(out); err == nil {
			redactPrincipals(v)
			if b, err := untrusted.Marshal(v, "  "); err == nil {
				out = b
			}
		}
	}
	return append(out, '\n')
}

// PrincipalDomain keeps of an audit log's caller the domain of its email:
// "…@example.com". A caller without one is kept whole (a Google-internal
// service name).
func PrincipalDomain(principal string) string {
	if i := strings.LastIndex(principal, "@"); i >= 0 {
		return "…" + principal[i:]
	}
	return principal
}

func redactPrincipals(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && k == "principalEmail" {
				x[k] = PrincipalDomain(s)
				continue
			}
			redactPrincipals(val)
		}
	case []any:
		for _, e := range x {
			redactPrincipals(e)
		}
	}
}

// RedactAnswer redacts an API answer the way Redact does, compactly; ok is
// false when the body is not JSON (it is then left for the decoder to
// refuse). A body with nothing to redact comes back as it is, unchecked:
// the decoder refuses it just the same if it is not JSON.
func RedactAnswer(body []byte) ([]byte, bool) {
	// An empty or blank body has no quote: it comes back here too.
	if !mayNeedRedaction(body) {
		return body, true
	}
	if out, ok := redactSpliced(body); ok {
		return out, true
	}
	v, ok := decodeRedacted(body)
	if !ok {
		return nil, false
	}
	// A decoded value, redacted, holds nothing AppendJSON refuses.
	return untrusted.AppendJSON(make([]byte, 0, len(body)), v)
}

// redactionKeys are the keys and the value redactObject and redactValue
// act on. An answer that holds none of them as a quoted string, and spells
// no ASCII character as an escape (which could hide one), is kept as it
// is: redacting it would decode and encode it again for nothing, as for
// nearly every Compute Engine page.
var redactionKeys = map[string]bool{
	"data": true, "stringData": true, "binaryData": true, "image": true,
	"preStop": true, "postStart": true, "livenessProbe": true, "readinessProbe": true, "startupProbe": true,
	"annotations": true, "logName": true, "involvedObject": true, "compute#metadata": true,
	"nodeConfig": true, "config": true, "nodeConfigDefaults": true, "masterAuth": true,
	"env": true, "customRequestHeaders": true, "customResponseHeaders": true, "headers": true, "httpHeaders": true,
}

// maxRedactionKey is the length of the longest of redactionKeys.
const maxRedactionKey = len("customResponseHeaders")

// mayNeedRedaction reports whether body holds a key redaction acts on, or
// an escape that could spell one. It looks at every run of bytes between
// two consecutive quotes, once: "image" occurs in the body exactly when
// one such run is image.
func mayNeedRedaction(body []byte) bool {
	for i := bytes.IndexByte(body, '"'); i >= 0; {
		j := bytes.IndexByte(body[i+1:], '"')
		if j < 0 {
			break
		}
		if j <= maxRedactionKey && redactionKeys[string(body[i+1:i+1+j])] {
			return true
		}
		i += 1 + j
	}
	// \uXXXX spelling a printable ASCII character other than the <, > and
	// & that encoders escape for HTML.
	for rest := body; ; {
		i := bytes.Index(rest, []byte(`\u`))
		if i < 0 {
			return false
		}
		rest = rest[i+2:]
		if len(rest) < 4 {
			return true
		}
		r, err := strconv.ParseUint(string(rest[:4]), 16, 32)
		if err != nil {
			return true
		}
		if r >= 0x20 && r < 0x80 && r != '<' && r != '>' && r != '&' {
			return true
		}
	}
}

func redact(body []byte, indent string) ([]byte, bool) {
	if len(bytes.TrimSpace(body)) == 0 {
		return body, true
	}
	v, ok := decodeRedacted(body)
	if !ok {
		return nil, false
	}
	out, err := untrusted.Marshal(v, indent)
	if err != nil {
		return nil, false
	}
	return out, true
}

// decodeNumbers decodes the first JSON value of b, numbers as they are
// written (json.Number), as every redaction reads an answer.
func decodeNumbers(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// decodeRedacted decodes the first JSON value of body, numbers as they are
// written, and redacts it; ok is false when body is not JSON.
func decodeRedacted(body []byte) (any, bool) {
	v, err := decodeNumbers(body)
	if err != nil {
		return nil, false
	}
	return redactValue(v, ""), true
}

func redactValue(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		return redactObject(x, key)
	case []any:
		for i := range x {
			x[i] = redactValue(x[i], key)
		}
		switch key {
		case "env":
			for _, e := range x {
				if m, ok := e.(map[string]any); ok {
					delete(m, "value")
				}
			}
		case "customRequestHeaders", "customResponseHeaders", "headers":
			for i, h := range x {
				if s, ok := h.(string); ok {
					name, _, _ := strings.Cut(s, ":")
					x[i] = name + ":" + untrusted.Redacted
				}
			}
		case "httpHeaders":
			for _, h := range x {
				if m, ok := h.(map[string]any); ok {
					if _, has := m["value"]; has {
						m["value"] = untrusted.Redacted
					}
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
	switch key {
	case "preStop", "postStart":
		if exec, ok := m["exec"].(map[string]any); ok {
			exec["command"] = sleepOnly(exec["command"])
		}
	case "livenessProbe", "readinessProbe", "startupProbe":
		if exec, ok := m["exec"].(map[string]any); ok {
			exec["command"] = []any{Redacted}
		}
	case "annotations":
		for k, v := range m {
			switch s, _ := v.(string); {
			case k == "kubectl.kubernetes.io/last-applied-configuration":
				delete(m, k)
			case !readAnnotation(k):
				m[k] = Redacted
			default:
				m[k] = untrusted.Scrub(s)
			}
		}
		return m
	}
	// A log entry: requests lose their query strings and their client's
	// address; free text is scrubbed.
	if _, ok := m["logName"]; ok {
		redactLogEntry(m)
	}
	// An event: its message is free text from a controller, which may
	// quote URLs with tokens.
	if _, ok := m["involvedObject"]; ok {
		for _, k := range []string{"message", "note"} {
			if s, ok := m[k].(string); ok {
				m[k] = untrusted.Scrub(s)
			}
		}
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

// sleepOnly keeps of a hook's command only the sleep lbdiag reads.
func sleepOnly(cmd any) []any {
	list, _ := cmd.([]any)
	args := make([]string, 0, len(list))
	for _, a := range list {
		s, ok := a.(string)
		if !ok {
			return []any{Redacted}
		}
		args = append(args, s)
	}
	if secs, ok := inventory.SleepCommand(args); ok {
		return []any{"sleep", strconv.FormatFloat(secs, 'f', -1, 64)}
	}
	return []any{Redacted}
}

// redactLogEntry removes from a Cloud Logging entry what identifies a
// client or may carry a secret: URL query strings, referers, client
// addresses.
func redactLogEntry(m map[string]any) {
	if hr, ok := m["httpRequest"].(map[string]any); ok {
		if u, ok := hr["requestUrl"].(string); ok {
			hr["requestUrl"] = stripQuery(u)
		}
		if r, ok := hr["referer"].(string); ok {
			hr["referer"] = stripQuery(r)
		}
		delete(hr, "remoteIp")
	}
	if p, ok := m["jsonPayload"].(map[string]any); ok {
		delete(p, "remoteIp")
		if c, ok := p["connection"].(map[string]any); ok {
			delete(c, "clientIp")
			delete(c, "client_ip")
		}
		if r, ok := p["healthCheckProbeResult"].(map[string]any); ok {
			if s, ok := r["probeResultText"].(string); ok {
				r["probeResultText"] = untrusted.Scrub(s)
			}
		}
	}
	if s, ok := m["textPayload"].(string); ok {
		m["textPayload"] = untrusted.Scrub(s)
	}
	// An audit entry: no caller address; of the request, the response and
	// the error only what lbdiag reads (the certificates a target proxy is
	// given, the operation's status and error code), since a request body
	// may carry headers and other secrets.
	if p, ok := m["protoPayload"].(map[string]any); ok {
		// Only the fields lbdiag reads (gcp.auditPayload): the caller's
		// subject, service account keys, request metadata and
		// authorization details go.
		for k := range p {
			if !slices.Contains([]string{"@type", "methodName", "resourceName", "serviceName", "authenticationInfo", "request", "response", "status"}, k) {
				delete(p, k)
			}
		}
		keepOnly := func(field string, keys ...string) {
			if r, ok := p[field].(map[string]any); ok {
				for k := range r {
					if !slices.Contains(keys, k) {
						delete(r, k)
					}
				}
			}
		}
		keepOnly("authenticationInfo", "principalEmail")
		keepOnly("request", "@type", "sslCertificates")
		keepOnly("response", "@type", "status", "operationType")
		// An error's message may quote the request: its code says enough.
		keepOnly("status", "code")
	}
}

// stripQuery cuts a URL's query string and fragment.
func stripQuery(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}
