package report

import (
	"io"

	"github.com/lbdiag/lbdiag/internal/untrusted"
)

// WriteJSON writes the report as indented JSON (schemaVersion 1), with &,
// < and > as they are and control characters escaped.
func WriteJSON(w io.Writer, r *Report) error {
	return untrusted.WriteJSON(w, r, "  ")
}
