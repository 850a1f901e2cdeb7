// Package fakegoogle holds what the loopback fakes of Google APIs share:
// the error body every Google JSON API writes, and opaque page tokens.
// Test code only.
package fakegoogle

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Error writes a Google API error: {"error": {code, message, status,
// details}}.
func Error(w http.ResponseWriter, code int, status, message string, details ...map[string]any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	body := map[string]any{"code": code, "message": message, "status": status}
	if len(details) > 0 {
		body["details"] = details
	}
	json.NewEncoder(w).Encode(map[string]any{"error": body})
}

// PageToken is an opaque page token for the page that starts at offset,
// bound to the query that made it (query "" binds to none).
func PageToken(offset int, query string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset) + "\x00" + query))
}

// PageOffset reads a token PageToken made for query; ok is false when it
// did not make it, or its offset is not within 0..n, which a real API
// refuses as an invalid page token.
func PageOffset(tok, query string, n int) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	off, q, ok := strings.Cut(string(b), "\x00")
	if !ok || q != query {
		return 0, false
	}
	i, err := strconv.Atoi(off)
	return i, err == nil && i >= 0 && i <= n
}
