// Package report renders findings and coverage: as a table for people, as
// JSON and CSV for programs. It consumes results; it never inspects.
package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"runtime"
	"sync"
	"time"

	"github.com/lbdiag/lbdiag/ignore"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
)

// SchemaVersion is the version of the JSON report. It changes only when a
// field is removed or changes meaning; new fields may be added within a
// version.
const SchemaVersion = 1

// Tool identifies the program that wrote a report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Coverage is one source's read status as reported. Status is "ok" (read
// completely; Detail "not installed" when the API group is not served, so
// nothing of that kind exists), "error" or "skipped".
type Coverage struct {
	Source string `json:"source"`
	Scope  string `json:"scope"`
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
	Hint   string `json:"hint,omitempty"`
}

// Report is the result of one run, in the shape of the JSON contract.
type Report struct {
	SchemaVersion int       `json:"schemaVersion"`
	Tool          Tool      `json:"tool"`
	Project       string    `json:"project"`
	StartedAt     time.Time `json:"startedAt"`
	FinishedAt    time.Time `json:"finishedAt"`
	Clusters      []string  `json:"clusters"`
	// ClusterAccess says how each cluster's API was reached, or why not
	// (a replayed recording that does not say gives none).
	ClusterAccess []inventory.ClusterAccess `json:"clusterAccess"`
	Coverage      []Coverage                `json:"coverage"`
	Findings      []inspect.Finding         `json:"findings"`
	// Resolved, present when the run was compared with a baseline, holds
	// the baseline's findings that are gone.
	Resolved *[]inspect.Finding `json:"resolved,omitempty"`
	// Exit is the project's exit code (0, 1 or 3), in fleet reports and
	// --output files.
	Exit int `json:"exitCode"`
	// Suppressed are the findings the ignore file suppressed, each with
	// its entry: out of the table, the exit code and the alerts.
	Suppressed []ignore.Suppressed `json:"suppressed,omitempty"`
	// Ignore says which ignore file the run applied and which of its
	// entries matched nothing in the whole run (stale).
	Ignore *IgnoreSummary `json:"ignoreFile,omitempty"`
	// Checked sums Checks: what the rules judged and passed.
	Checked *Checked `json:"checked,omitempty"`
	// Checks say, per rule that ran, how many resources it judged, passed
	// and failed, and where it could not check and why.
	Checks []inspect.Check `json:"checks,omitempty"`
	// Verdicts are every rule's verdict on every resource it judged
	// (--explain-passed).
	Verdicts []inspect.Verdict `json:"-"`
	// Chains are the load-balancing paths lbdiag inspected, drawn by the
	// HTML report.
	Chains []inspect.Chain `json:"-"`
	// IgnoreUsed are the lines of the ignore file's entries that named a
	// finding of this project.
	IgnoreUsed map[int]bool `json:"-"`
}

// IgnoreSummary is the ignore file of a run.
type IgnoreSummary struct {
	File    string `json:"file"`
	Entries int    `json:"entries"`
	// Stale are the entries no finding of the run (this shard's projects)
	// matched: delete them, or they may one day suppress something new.
	Stale []ignore.Entry `json:"stale"`
	// StaleNotJudged, when set, says which entries were not judged stale
	// and why: the run saw only part of what the file covers.
	StaleNotJudged string `json:"staleNotJudged,omitempty"`
}

// Checked is the sum of a report's checks: the rules that ran, the
// distinct resources they judged, the findings (Problems, after
// suppression), those suppressed, and the rules that could not check
// somewhere.
type Checked struct {
	Rules         int `json:"rules"`
	Resources     int `json:"resources"`
	Problems      int `json:"problems"`
	Suppressed    int `json:"suppressed"`
	CouldNotCheck int `json:"rulesCouldNotCheck"`
}

// New assembles a report.
func New(tool Tool, inv *inventory.Inventory, res inspect.Result, started, finished time.Time) *Report {
	r := &Report{
		SchemaVersion: SchemaVersion,
		Tool:          tool,
		Project:       inv.Project,
		StartedAt:     started.UTC(),
		FinishedAt:    finished.UTC(),
		Clusters:      []string{},
		ClusterAccess: []inventory.ClusterAccess{},
		Coverage:      []Coverage{},
		Findings:      res.Findings,
		Checks:        res.Checks,
		Verdicts:      res.Verdicts,
	}
	if r.Findings == nil {
		r.Findings = []inspect.Finding{}
	}
	// Each finding and verdict is cleaned on its own: on every CPU, as a
	// big project has tens of thousands of findings and hundreds of
	// thousands of verdicts.
	inParts(len(r.Findings), func(i int) { r.Findings[i] = Sanitize(r.Findings[i]) })
	// Verdicts share their resources: one that needs cleaning gets a
	// cleaned copy, and what it shares is left as it is.
	inParts(len(r.Verdicts), func(i int) {
		if clean := sanitizeResource(*r.Verdicts[i].Resource); clean != *r.Verdicts[i].Resource {
			r.Verdicts[i].Resource = &clean
		}
	})
	for i := range r.Checks {
		for j, reason := range r.Checks[i].Reasons {
			r.Checks[i].Reasons[j] = untrusted.Clean(reason)
		}
	}
	r.SumChecks()
	for _, cl := range inv.Clusters {
		r.Clusters = append(r.Clusters, cl.Location()+"/"+cl.Name())
		if a := cl.Access; a != nil {
			r.ClusterAccess = append(r.ClusterAccess, sanitizeAccess(*a))
		}
	}
	for _, c := range append(append(inventory.CoverageSet(nil), inv.Coverage...), res.Failures...) {
		c = c.Sanitized()
		rc := Coverage{Source: string(c.Source), Scope: c.Scope, Status: string(c.Status), Detail: c.Detail, Error: c.Error, Hint: c.Hint}
		if c.Status == inventory.StatusNotInstalled {
			rc.Status, rc.Detail = string(inventory.StatusOK), "not installed"
		}
		r.Coverage = append(r.Coverage, rc)
	}
	return r
}

// inParts calls f for 0 ≤ i < n, the range split in one part per CPU
// when it is long.
func inParts(n int, f func(i int)) {
	splitInto(min(runtime.GOMAXPROCS(0), n/1000+1), n, f)
}

// splitInto calls f for 0 ≤ i < n, from parts goroutines.
func splitInto(parts, n int, f func(i int)) {
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() {
			for i := p * n / parts; i < (p+1)*n/parts; i++ {
				f(i)
			}
		})
	}
	wg.Wait()
}

// SumChecks sets Checked from Checks, Verdicts, Findings and Suppressed.
func (r *Report) SumChecks() {
	if r.Checks == nil {
		r.Checked = nil
		return
	}
	t := inspect.TotalsOf(r.Checks, r.Verdicts)
	r.Checked = &Checked{Rules: t.Rules, Resources: t.Resources, Problems: len(r.Findings), Suppressed: len(r.Suppressed), CouldNotCheck: t.CouldNotCheck}
}

// Suppress moves the findings an active entry of ig names to Suppressed,
// as of now, and counts them in each rule's check.
func (r *Report) Suppress(ig *inventory.Ignores) {
	if ig == nil {
		return
	}
	res := ignore.Apply(ig, r.Findings, ig.Now)
	r.Findings, r.Suppressed, r.IgnoreUsed = res.Kept, res.Suppressed, res.Used
	if r.Findings == nil {
		r.Findings = []inspect.Finding{}
	}
	n := map[string]int{}
	for _, s := range r.Suppressed {
		n[s.Rule]++
	}
	for i := range r.Checks {
		r.Checks[i].Suppressed = n[r.Checks[i].Rule]
	}
	// Stale as far as this report goes; a run's StaleInRun says it for
	// all its projects, and for what the run saw.
	r.Ignore = &IgnoreSummary{File: untrusted.Escape(ig.File), Entries: len(ig.Entries), Stale: ignore.Stale(ig, res.Used)}
	r.SumChecks()
}

// StaleInRun lists the entries of ig no finding of the run's reports
// matched, and sets it in each report: an entry is stale only when no
// project of the run used it.
//
// Only the entries judge accepts are judged (none when judge is nil):
// in a run that saw only part of what the file covers (another shard's
// projects, a rule selection, a severity floor, focus flags, --cluster)
// an entry this run did not use may be in use elsewhere. notJudged then
// says why, and each report says it too.
func StaleInRun(ig *inventory.Ignores, reports []*Report, judge func(inventory.IgnoreEntry) bool, notJudged string) *IgnoreSummary {
	if ig == nil {
		return nil
	}
	sum := &IgnoreSummary{File: untrusted.Escape(ig.File), Entries: len(ig.Entries), StaleNotJudged: notJudged}
	if judge != nil {
		judged := *ig
		judged.Entries = nil
		blind := 0
		for _, e := range ig.Entries {
			if !judge(e) {
				continue
			}
			// Unknown is not absent: an entry whose rule could not check
			// somewhere it applies may name a finding the run could not
			// make.
			if couldNotCheck(e, reports) {
				blind++
				continue
			}
			judged.Entries = append(judged.Entries, e)
		}
		if blind > 0 {
			why := fmt.Sprintf("not called stale: %s whose rule could not check everywhere the entry applies", plural(blind, "suppression"))
			if sum.StaleNotJudged == "" {
				sum.StaleNotJudged = why
			} else {
				sum.StaleNotJudged += "; " + why
			}
		}
		var used []map[int]bool
		for _, r := range reports {
			used = append(used, r.IgnoreUsed)
		}
		sum.Stale = ignore.Stale(&judged, used...)
	}
	for _, r := range reports {
		if r.Ignore != nil {
			r.Ignore.Stale, r.Ignore.StaleNotJudged = sum.Stale, sum.StaleNotJudged
		}
	}
	return sum
}

// couldNotCheck reports whether an entry's rule could not check in a
// project the entry applies to. A fingerprint names no rule or project
// lbdiag can read: any rule that could not check anywhere counts.
func couldNotCheck(e inventory.IgnoreEntry, reports []*Report) bool {
	for _, r := range reports {
		if e.Project != "" {
			if ok, _ := path.Match(e.Project, r.Project); !ok {
				continue
			}
		}
		for _, c := range r.Checks {
			if c.CouldNotCheck > 0 && (e.Fingerprint != "" || c.Rule == e.Rule) {
				return true
			}
		}
	}
	return false
}

// sanitizeAccess escapes and bounds what a cluster's access quotes: the
// endpoints come from the GKE API, the details from errors and answers.
func sanitizeAccess(a inventory.ClusterAccess) inventory.ClusterAccess {
	out := inventory.ClusterAccess{Cluster: untrusted.Escape(a.Cluster), Via: a.Via, Endpoint: untrusted.Escape(untrusted.Bound(a.Endpoint, 300)),
		Attempts: []inventory.AccessAttempt{}}
	for _, at := range a.Attempts {
		out.Attempts = append(out.Attempts, inventory.AccessAttempt{Via: at.Via, Result: at.Result,
			Endpoint: untrusted.Escape(untrusted.Bound(at.Endpoint, 300)), Detail: untrusted.Clean(at.Detail)})
	}
	return out
}

// Sanitize makes a finding safe to print and keep: every text that may
// quote what other people wrote (the message, the evidence) is scrubbed of
// credentials, bounded to untrusted.MaxValue per value and escaped; the
// resource and the fix are bounded and escaped; so are the changes and
// traffic resources the enrichment added. Every renderer, JSON
// included, prints only sanitized findings.
func Sanitize(f inspect.Finding) inspect.Finding {
	f.Message = untrusted.Clean(f.Message)
	f.Remediation = untrusted.Escape(untrusted.Bound(f.Remediation, untrusted.MaxValue))
	f.Title = untrusted.Escape(f.Title)
	f.Resource = sanitizeResource(f.Resource)
	// The audit logs' callers and methods, and the traffic's resources.
	if len(f.Changes) > 0 {
		changes := make([]inspect.ChangeNote, len(f.Changes))
		for i, c := range f.Changes {
			c.Resource, c.Method, c.By = untrusted.Clean(c.Resource), untrusted.Clean(c.Method), untrusted.Clean(c.By)
			changes[i] = c
		}
		f.Changes = changes
	}
	if f.Impact != nil {
		imp := *f.Impact
		imp.Resources = make([]string, len(f.Impact.Resources))
		for i, r := range f.Impact.Resources {
			imp.Resources[i] = untrusted.Clean(r)
		}
		f.Impact = &imp
	}
	if len(f.Evidence) > 0 {
		if ev, ok := cleanValue(f.Evidence).(map[string]any); ok {
			f.Evidence = ev
		}
	}
	return f
}

// sanitizeResource bounds and escapes a resource's names.
func sanitizeResource(r inspect.Resource) inspect.Resource {
	for _, p := range []*string{&r.Kind, &r.Project, &r.Location, &r.Cluster, &r.Namespace, &r.Name} {
		*p = untrusted.Escape(untrusted.Bound(*p, untrusted.MaxValue))
	}
	return r
}

// cleanValue returns a copy of an evidence value with every string cleaned.
// Values are normalised through JSON, as every renderer prints them.
func cleanValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if dec.Decode(&out) != nil {
		return v
	}
	return cleanJSON(out)
}

func cleanJSON(v any) any {
	switch x := v.(type) {
	case string:
		return untrusted.Clean(x)
	case []any:
		for i := range x {
			x[i] = cleanJSON(x[i])
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[untrusted.Escape(k)] = cleanJSON(val)
		}
		return out
	}
	return v
}

// Gaps returns the coverage entries that make the report incomplete: not
// read, or not decided. Sources skipped at the user's request are not gaps.
func (r *Report) Gaps() []Coverage {
	var out []Coverage
	for _, c := range r.Coverage {
		if c.Status != string(inventory.StatusOK) && c.Status != string(inventory.StatusSkipped) {
			out = append(out, c)
		}
	}
	return out
}

// NothingRead reports whether the run read no source at all: every
// coverage entry is a gap.
func (r *Report) NothingRead() bool {
	if len(r.Coverage) == 0 {
		return false
	}
	for _, c := range r.Coverage {
		if c.Status == string(inventory.StatusOK) || c.Status == string(inventory.StatusSkipped) {
			return false
		}
	}
	return true
}

// Counts returns the number of findings per severity.
func (r *Report) Counts() map[inspect.Severity]int {
	out := map[inspect.Severity]int{}
	for _, f := range r.Findings {
		out[f.Severity]++
	}
	return out
}
