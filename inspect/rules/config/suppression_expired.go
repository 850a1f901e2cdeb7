package config

import (
	"fmt"
	"path"
	"strconv"
	"time"

	"github.com/lbdiag/lbdiag/inspect"
)

// SuppressionExpired reports the ignore file's entries whose end date has
// passed: they no longer suppress, so what they named is back in the
// report. The run keeps this finding only where the entry still names a
// finding; an expired entry that names nothing is listed as stale.
var SuppressionExpired = &inspect.Rule{
	ID:       "suppression-expired",
	Severity: inspect.Info,
	Title:    "Every suppression in the ignore file is still in force",
	Doc: inspect.Doc{
		Why: `An entry of the ignore file (--ignore-file, .lbdiag-ignore.yaml) suppresses the findings it names until its expires date, for the reason it gives. Once that date has passed the entry no longer suppresses: the findings it named are back in the table, the exit code and the alerts, and this finding says which entry lapsed, so that someone decides again whether the configuration is still intentional.`,
		Fix: `Fix what the returned findings name, then delete the entry; or, if it is still intentional, give the entry a new expires date (and reason).`,
		Sources: []string{"lbdiag README: Suppressions (the ignore file's format and semantics)",
			"gcpdiag --exclude, Network Analyzer insight dismissal, popeye spinach and Prowler mutelist files (the practice it follows)"},
		URL: "https://github.com/lbdiag/lbdiag#suppressions",
	},
	Check: func(p *inspect.Pass) {
		ig := p.Inventory.Ignores
		if ig == nil {
			return
		}
		for _, e := range ig.Entries {
			res := inspect.Resource{Kind: "IgnoreEntry", Project: p.Inventory.Project, Name: fmt.Sprintf("%s:%d", ig.File, e.Line)}
			if ok, _ := path.Match(e.Project, p.Inventory.Project); e.Project != "" && !ok {
				continue // it names another project
			}
			p.Judge(res)
			if !e.Expired(ig.Now) {
				continue
			}
			what := "fingerprint " + e.Fingerprint
			if e.Fingerprint == "" {
				what = "rule " + e.Rule
				for _, s := range []struct{ k, v string }{{"project", e.Project}, {"resource", e.Kind}, {"namespace", e.Namespace}, {"name", e.Name}} {
					if s.v != "" {
						what += ", " + s.k + " " + s.v
					}
				}
			}
			ev := map[string]any{"file": ig.File, "line": e.Line, "reason": e.Reason, "expires": e.Expires.Format(time.DateOnly), "selector": what}
			if e.Owner != "" {
				ev["owner"] = e.Owner
			}
			owner := ""
			if e.Owner != "" {
				owner = " (owner " + e.Owner + ")"
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("The suppression at %s:%d (%s)%s expired on %s, so what it named is reported again; its reason was: %s",
					ig.File, e.Line, what, owner, e.Expires.Format(time.DateOnly), e.Reason),
				Resource:    res,
				Key:         strconv.Itoa(e.Line),
				Evidence:    ev,
				Remediation: fmt.Sprintf("Fix the findings the entry named, then delete the entry at line %d of %s; or, if it is still intentional, set a new date: expires: %s", e.Line, ig.File, ig.Now.AddDate(0, 3, 0).Format(time.DateOnly)),
			})
		}
	},
}
