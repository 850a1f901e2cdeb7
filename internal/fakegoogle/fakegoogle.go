// Package fakegoogle holds what the loopback fakes of Google APIs share:
// the error body every Google JSON API writes. Test code only.
package fakegoogle

import (
	"encoding/json"
	"net/http"
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
