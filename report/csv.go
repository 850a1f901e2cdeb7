package report

import (
	"encoding/csv"
	"io"

	"github.com/lbdiag/lbdiag/internal/untrusted"
)

// CSVHeader is the header row of the CSV report.
var CSVHeader = []string{"severity", "rule", "title", "kind", "project", "location", "cluster", "namespace", "name", "message", "remediation", "evidence", "docs", "fingerprint", "status"}

// WriteCSV writes one row per finding, with a header row. Evidence is a
// JSON object in one cell.
func WriteCSV(w io.Writer, r *Report) error { return writeCSV(w, r, true) }

func writeCSV(w io.Writer, r *Report, header bool) error {
	cw := csv.NewWriter(w)
	if header {
		if err := cw.Write(CSVHeader); err != nil {
			return err
		}
	}
	for _, f := range r.Findings {
		ev := ""
		if len(f.Evidence) > 0 {
			b, err := untrusted.Marshal(f.Evidence, "")
			if err != nil {
				return err
			}
			ev = string(b)
		}
		res := f.Resource
		if err := cw.Write([]string{f.Severity.String(), f.Rule, f.Title, res.Kind, res.Project, res.Location, res.Cluster,
			res.Namespace, res.Name, f.Message, f.Remediation, ev, f.Docs, f.Fingerprint, f.Status}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
