package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lbdiag/lbdiag/ignore"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/report"
)

type ignoreFlags struct {
	reason, expires, owner, report, now string
}

// newIgnoreCommand prints the ignore-file entry that suppresses one
// finding, so that nobody copies a fingerprint by hand into YAML.
func newIgnoreCommand(env *environment) *cobra.Command {
	f := &ignoreFlags{}
	cmd := &cobra.Command{
		Use:   "ignore FINGERPRINT",
		Short: "Print the ignore-file entry that suppresses a finding (append it under suppressions: in " + ignore.DefaultFile + ")",
		Example: `  lbdiag ignore 3f2a9c0d1e2b4a5c --reason "kept for the DR failover, see INC-123" --expires 2027-03-01 --owner net-team@example.com >> .lbdiag-ignore.yaml
  lbdiag ignore 3f2a9c0d1e2b4a5c --reason "..." --expires 2027-03-01 --report report.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runIgnore(env, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.reason, "reason", "", "why the finding is intentional (required)")
	fl.StringVar(&f.expires, "expires", "", "the date the suppression ends, YYYY-MM-DD (required)")
	fl.StringVar(&f.owner, "owner", "", "who answers for it")
	fl.StringVar(&f.report, "report", "", "a JSON report holding the finding (lbdiag inspect --format json): checks the fingerprint and names the finding in a comment")
	fl.StringVar(&f.now, "now", "", "run as if the clock read this RFC 3339 time (for tests)")
	fl.MarkHidden("now")
	return cmd
}

func runIgnore(env *environment, f *ignoreFlags, fingerprint string) error {
	fingerprint = strings.ToLower(strings.TrimSpace(fingerprint))
	clock, err := newClock(f.now)
	if err != nil {
		return err
	}
	if !ignore.ValidFingerprint(fingerprint) {
		return usagef("%q is not a fingerprint: 16 hexadecimal digits, from the report's fingerprint column or field", fingerprint)
	}
	if strings.TrimSpace(f.reason) == "" {
		return usagef("--reason is required: say why the finding is intentional")
	}
	if f.expires == "" {
		return usagef("--expires is required: every suppression ends (YYYY-MM-DD)")
	}
	exp, err := ignore.ParseExpires(f.expires)
	if err != nil {
		return usagef("--%v", err)
	}
	if !exp.After(clock()) {
		return usagef("--expires %s is not in the future", f.expires)
	}
	comment := ""
	if f.report != "" {
		fd, err := findInReport(f.report, fingerprint)
		if err != nil {
			return err
		}
		comment = fmt.Sprintf("%s: %s (project %s)", fd.Rule, fd.Resource, fd.Resource.Project)
	}
	fmt.Fprint(env.stdout, ignore.Snippet(fingerprint, strings.TrimSpace(f.reason), strings.TrimSpace(f.owner), exp, comment))
	return nil
}

// findInReport finds a finding by fingerprint in a JSON report, of one
// project or of a fleet.
func findInReport(file, fingerprint string) (inspect.Finding, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return inspect.Finding{}, usagef("--report: %v", err)
	}
	var fleet report.Fleet
	var reports []*report.Report
	if json.Unmarshal(b, &fleet) == nil && len(fleet.Projects) > 0 {
		reports = fleet.Projects
	} else if rep, err := report.ReadJSON(b); err == nil {
		reports = []*report.Report{rep}
	} else {
		return inspect.Finding{}, usagef("--report %s: %v", file, err)
	}
	for _, rep := range reports {
		for _, fd := range rep.Findings {
			if fd.Fingerprint == fingerprint {
				return fd, nil
			}
		}
		for _, s := range rep.Suppressed {
			if s.Fingerprint == fingerprint {
				return s.Finding, nil
			}
		}
	}
	return inspect.Finding{}, usagef("--report %s holds no finding with fingerprint %s", file, fingerprint)
}
