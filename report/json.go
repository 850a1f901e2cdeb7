package report

import (
	"io"

	"github.com/lbdiag/lbdiag/internal/untrusted"
)

// WriteJSON writes the report as indented JSON (schemaVersion 1), with &,
// < and > as they are and control characters escaped.
func WriteJSON(w io.Writer, r *Report) error {
	b, err := untrusted.Marshal(r, "  ")
	if err != nil {
		return err
	}
	if _, err = w.Write(b); err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n")
	return err
}
