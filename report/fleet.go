package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
)

// Exit codes of a project and of a run: a stable contract, documented in
// the README and by lbdiag --help. They are declared here only.
const (
	// ExitOK: no finding at or above --fail-on, and everything was read.
	ExitOK = 0
	// ExitFindings: a finding at or above --fail-on.
	ExitFindings = 1
	// ExitError: a usage, credential or fatal error; nothing was judged.
	ExitError = 2
	// ExitIncomplete: no such finding, but some sources could not be read.
	ExitIncomplete = 3
)

// Policy says which findings fail a run.
type Policy struct {
	// Threshold is the least severity that fails; ignored with None.
	Threshold inspect.Severity
	// None is --fail-on none: findings never fail.
	None bool
	// NewOnly counts only new findings (a baseline was given).
	NewOnly bool
}

// Failing counts the findings that fail the run under the policy.
func (r *Report) Failing(p Policy) int {
	if p.None {
		return 0
	}
	n := 0
	for _, f := range r.Findings {
		if f.Severity >= p.Threshold && (!p.NewOnly || f.Status == StatusNew) {
			n++
		}
	}
	return n
}

// ExitCode is the project's code: 1 when a finding fails the policy, else
// 3 when a source could not be read (never with --fail-on none), else 0.
func (r *Report) ExitCode(p Policy) int {
	switch {
	case r.Failing(p) > 0:
		return ExitFindings
	case len(r.Gaps()) > 0 && !p.None:
		return ExitIncomplete
	}
	return ExitOK
}

// WorstExit combines codes the way a run does: 1 before 3 before 0.
func WorstExit(codes ...int) int {
	out := ExitOK
	for _, c := range codes {
		switch {
		case c == ExitFindings:
			return ExitFindings
		case c == ExitIncomplete:
			out = ExitIncomplete
		}
	}
	return out
}

// Baseline statuses.
const (
	StatusNew     = "new"
	StatusOngoing = "ongoing"
)

// CompareWith marks each finding new or ongoing against a baseline report
// (nil: none, every finding is new), and lists in Resolved the baseline's
// findings that are gone, whole (a finding suppressed now is not
// resolved). Findings match by fingerprint: one suppressed in the baseline
// and back now, its entry expired, is new again, so that it alerts.
func (r *Report) CompareWith(baseline *Report) {
	before := map[string]bool{}
	if baseline != nil {
		for _, f := range baseline.Findings {
			before[fingerprintOf(f)] = true
		}
	}
	now, muted := map[string]bool{}, map[string]bool{}
	for _, s := range r.Suppressed {
		muted[s.Fingerprint] = true
	}
	for i := range r.Findings {
		now[r.Findings[i].Fingerprint] = true
		r.Findings[i].Status = StatusNew
		if before[r.Findings[i].Fingerprint] {
			r.Findings[i].Status = StatusOngoing
		}
	}
	resolved := []inspect.Finding{}
	if baseline != nil {
		for _, f := range baseline.Findings {
			if !now[fingerprintOf(f)] && !muted[fingerprintOf(f)] {
				f.Status = ""
				resolved = append(resolved, Sanitize(f)) // read back from a file: untrusted
			}
		}
	}
	r.Resolved = &resolved
}

// fingerprintOf reads a baseline finding's fingerprint, computing it for
// reports written before lbdiag had them.
func fingerprintOf(f inspect.Finding) string {
	if f.Fingerprint != "" {
		return f.Fingerprint
	}
	return inspect.Fingerprint(f)
}

// ReadJSON reads a report written by WriteJSON (a single project's).
func ReadJSON(b []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("not an lbdiag JSON report: %w", err)
	}
	if r.SchemaVersion != SchemaVersion || r.Project == "" {
		return nil, fmt.Errorf("not a single-project lbdiag report of schema version %d", SchemaVersion)
	}
	return &r, nil
}

// Shard is one task's share of a fleet run.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Fleet is the report of a run over several projects. Its JSON keeps
// schemaVersion 1 and holds each project's report in projects.
type Fleet struct {
	SchemaVersion int       `json:"schemaVersion"`
	Tool          Tool      `json:"tool"`
	StartedAt     time.Time `json:"startedAt"`
	FinishedAt    time.Time `json:"finishedAt"`
	// RunID names the run (Cloud Run's execution, or a UTC time).
	RunID string `json:"runId,omitempty"`
	Shard Shard  `json:"shard"`
	// Coverage holds what the run could not enumerate (a folder that could
	// not be listed), scoped "folders/ID" or "organizations/ID".
	Coverage []Coverage `json:"coverage"`
	Projects []*Report  `json:"projects"`
	// Ignore is the run's ignore file and its stale entries.
	Ignore *IgnoreSummary `json:"ignoreFile,omitempty"`
	// ExitCode is the run's code.
	ExitCode int `json:"exitCode"`
}

// FleetCoverage converts enumeration gaps for a fleet report.
func FleetCoverage(cs inventory.CoverageSet) []Coverage {
	out := []Coverage{}
	for _, c := range cs {
		out = append(out, Coverage{Source: string(c.Source), Scope: untrusted.Escape(c.Scope), Status: string(c.Status),
			Error: untrusted.Clean(c.Error), Hint: untrusted.Clean(c.Hint)})
	}
	return out
}

// WriteFleetJSON writes the fleet report as indented JSON.
func WriteFleetJSON(w io.Writer, f *Fleet) error {
	return untrusted.WriteJSON(w, f, "  ")
}

// ShardSummary is runs/<run-id>/shard-<I>-of-<N>.json, which the fleet
// page is built from.
type ShardSummary struct {
	RunID      string           `json:"runId"`
	Shard      Shard            `json:"shard"`
	Tool       Tool             `json:"tool"`
	StartedAt  time.Time        `json:"startedAt"`
	FinishedAt time.Time        `json:"finishedAt"`
	ExitCode   int              `json:"exitCode"`
	Projects   []ProjectSummary `json:"projects"`
	// Coverage holds what the shard could not enumerate.
	Coverage []Coverage `json:"coverage"`
}

// ProjectSummary is one project's line of a shard summary.
type ProjectSummary struct {
	Project  string         `json:"project"`
	ExitCode int            `json:"exitCode"`
	Counts   map[string]int `json:"counts"`
	// New and Resolved count the findings new and resolved since the
	// baseline (absent without one); NewFindings and ResolvedFindings list
	// at most 50 of each.
	New              *int          `json:"new,omitempty"`
	Resolved         *int          `json:"resolved,omitempty"`
	NewFindings      []FindingLine `json:"newFindings,omitempty"`
	ResolvedFindings []FindingLine `json:"resolvedFindings,omitempty"`
	Suppressed       int           `json:"suppressed"`
	// GapCount is the number of sources not read; Gaps lists at most 50.
	GapCount int       `json:"gapCount"`
	Gaps     []GapLine `json:"gaps"`
	// Report is the project's HTML report of the run in --output.
	Report string `json:"report"`
}

// Summary returns the shard summary of a fleet run.
func (f *Fleet) Summary() ShardSummary {
	s := ShardSummary{RunID: f.RunID, Shard: f.Shard, Tool: f.Tool, StartedAt: f.StartedAt, FinishedAt: f.FinishedAt, ExitCode: f.ExitCode,
		Projects: []ProjectSummary{}, Coverage: f.Coverage}
	for _, r := range f.Projects {
		s.Projects = append(s.Projects, summarize(r, f.RunID))
	}
	return s
}

// CountMap returns the number of findings per severity name.
func (r *Report) CountMap() map[string]int {
	c := r.Counts()
	return map[string]int{"error": c[inspect.Error], "warning": c[inspect.Warning], "info": c[inspect.Info]}
}

// Cloud Logging structured-log keys.
const (
	logLabels = "logging.googleapis.com/labels"
)

// WriteLog writes one JSON object per line in Cloud Logging's structured
// form (severity, message, logging.googleapis.com/labels): a line per
// finding at its severity, with the finding under "finding"; a WARNING line
// per coverage gap, with the entry under "coverage"; per project a NOTICE
// line whose "summary" holds its counts; and an INFO line per stale
// suppression of the run. Run-level gaps (folders) come first. Every line
// carries the run's ID (label run_id, field runId); finding lines carry
// the fingerprint (label fingerprint). Label values are strings.
//
// The lines keep one shape whatever the rule, so that a Cloud Logging sink
// to BigQuery (deploy/bigquery) infers one table schema: a finding's
// evidence, whose shape differs from rule to rule, is a JSON string.
func WriteLog(w io.Writer, f *Fleet) error {
	enc := func(v map[string]any) error {
		v["runId"] = f.RunID
		if labels, ok := v[logLabels].(map[string]string); ok && f.RunID != "" {
			labels["run_id"] = f.RunID
		}
		b, err := untrusted.Marshal(v, "")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	gapLine := func(project string, c Coverage) error {
		msg := fmt.Sprintf("could not check %s in %s: %s", c.Source, c.Scope, c.Status)
		if c.Error != "" {
			msg += ": " + c.Error
		}
		labels := map[string]string{"source": c.Source, "status": c.Status}
		if project != "" {
			labels["project"] = project
		}
		return enc(map[string]any{"severity": "WARNING", "message": msg, logLabels: labels, "coverage": c})
	}
	for _, c := range f.Coverage {
		if c.Status != string(inventory.StatusOK) && c.Status != string(inventory.StatusSkipped) {
			if err := gapLine("", c); err != nil {
				return err
			}
		}
	}
	for _, r := range f.Projects {
		for _, fd := range r.Findings {
			labels := map[string]string{"rule": fd.Rule, "project": r.Project, "severity": fd.Severity.String(), "fingerprint": fd.Fingerprint,
				"resource_kind": fd.Resource.Kind}
			if fd.Resource.Cluster != "" {
				labels["cluster"] = fd.Resource.Location + "/" + fd.Resource.Cluster
			}
			if fd.Status != "" {
				labels["status"] = fd.Status
			}
			// Impact as labels a log-based metric can use (strings, as
			// every label).
			if im := fd.Impact; im != nil {
				labels["impact_idle"] = strconv.FormatBool(im.Idle)
				labels["impact_rps"] = strconv.FormatFloat(im.RequestsPerSecond, 'f', 3, 64)
				labels["impact_ratio_5xx"] = strconv.FormatFloat(im.Ratio5xx, 'f', 4, 64)
			}
			msg := fmt.Sprintf("%s: %s: %s", fd.Rule, fd.Resource, fd.Message)
			if err := enc(map[string]any{"severity": strings.ToUpper(fd.Severity.String()), "message": msg, logLabels: labels, "finding": logFinding(fd)}); err != nil {
				return err
			}
		}
		for _, c := range r.Gaps() {
			if err := gapLine(r.Project, c); err != nil {
				return err
			}
		}
		counts := r.CountMap()
		summary := map[string]any{"error": counts["error"], "warning": counts["warning"], "info": counts["info"], "gaps": len(r.Gaps()),
			"suppressed": len(r.Suppressed), "exitCode": r.Exit}
		msg := fmt.Sprintf("project %s: %d errors, %d warnings, %d info findings, %d sources not read", r.Project, counts["error"], counts["warning"], counts["info"], len(r.Gaps()))
		if len(r.Suppressed) > 0 {
			msg += fmt.Sprintf(", %d suppressed", len(r.Suppressed))
		}
		if c := r.Checked; c != nil {
			summary["rules"], summary["judged"], summary["rulesCouldNotCheck"] = c.Rules, c.Resources, c.CouldNotCheck
		}
		if r.Resolved != nil {
			newN := 0
			for _, fd := range r.Findings {
				if fd.Status == StatusNew {
					newN++
				}
			}
			summary["new"], summary["resolved"] = newN, len(*r.Resolved)
			msg += fmt.Sprintf("; %d new, %d resolved since the last run", newN, len(*r.Resolved))
		}
		if err := enc(map[string]any{"severity": "NOTICE", "message": msg, logLabels: map[string]string{"project": r.Project, "exit_code": fmt.Sprint(r.Exit)}, "summary": summary}); err != nil {
			return err
		}
	}
	if ig := f.Ignore; ig != nil {
		if ig.StaleNotJudged != "" {
			if err := enc(map[string]any{"severity": "INFO", "message": "stale suppressions: " + ig.StaleNotJudged, logLabels: map[string]string{"ignore_file": ig.File}}); err != nil {
				return err
			}
		}
		for _, e := range ig.Stale {
			msg := fmt.Sprintf("stale suppression %s:%d matched nothing in this run: delete it", e.File, e.Line)
			if err := enc(map[string]any{"severity": "INFO", "message": msg, logLabels: map[string]string{"ignore_file": e.File}, "staleSuppression": e}); err != nil {
				return err
			}
		}
	}
	return nil
}

// logFinding is a finding as a log line holds it: its evidence as a JSON
// string.
func logFinding(fd inspect.Finding) map[string]any {
	b, err := json.Marshal(fd)
	if err != nil {
		return map[string]any{"rule": fd.Rule}
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return map[string]any{"rule": fd.Rule}
	}
	if ev, ok := m["evidence"]; ok {
		eb, _ := json.Marshal(ev)
		m["evidence"] = string(eb)
	}
	return m
}

// Of returns the shard's share of the projects: sorted by ID in byte
// order, the k-th (0-based) belongs to shard k mod Count.
func (s Shard) Of(projects []string) []string {
	sorted := append([]string(nil), projects...)
	sort.Strings(sorted)
	var out []string
	for k, p := range sorted {
		if s.Count <= 1 || k%s.Count == s.Index {
			out = append(out, p)
		}
	}
	return out
}

// WriteFleetCSV writes one CSV row per finding of every project, after one
// header row.
func WriteFleetCSV(w io.Writer, f *Fleet) error {
	for i, r := range f.Projects {
		if err := writeCSV(w, r, i == 0); err != nil {
			return err
		}
	}
	if len(f.Projects) == 0 {
		return writeCSV(w, &Report{}, true)
	}
	return nil
}

// WriteFleetTable writes each project's table under its name, then the
// run's summary and what it could not enumerate.
func WriteFleetTable(w io.Writer, f *Fleet, o TableOptions) error {
	for _, r := range f.Projects {
		head := "Project " + r.Project
		if o.Color {
			head = ansiBold + head + ansiReset
		}
		if _, err := fmt.Fprintf(w, "%s\n\n", head); err != nil {
			return err
		}
		if err := WriteTable(w, r, o); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	counts := map[string]int{}
	for _, r := range f.Projects {
		for k, v := range r.CountMap() {
			counts[k] += v
		}
	}
	fmt.Fprintf(w, "%d projects inspected (shard %d of %d): %s, %s, %s in all; exit code %d.\n", len(f.Projects), f.Shard.Index, f.Shard.Count,
		plural(counts["error"], "error"), plural(counts["warning"], "warning"), plural(counts["info"], "info finding"), f.ExitCode)
	var gaps []Coverage
	for _, c := range f.Coverage {
		if c.Status != string(inventory.StatusOK) {
			gaps = append(gaps, c)
		}
	}
	if len(gaps) > 0 {
		fmt.Fprintln(w, "\nCould not enumerate:")
		for _, g := range gaps {
			fmt.Fprintf(w, "  - %s: %s\n    → %s\n", g.Scope, g.Error, g.Hint)
		}
	}
	return nil
}
