// Package report renders findings and coverage: as a table for people, as
// JSON and CSV for programs. It consumes results; it never inspects.
package report

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/lbdiag/lbdiag/internal/untrusted"

	"github.com/lbdiag/lbdiag/inspect"
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
	// Chains are the load-balancing paths lbdiag inspected, drawn by the
	// HTML report.
	Chains []inspect.Chain `json:"-"`
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
	}
	if r.Findings == nil {
		r.Findings = []inspect.Finding{}
	}
	for i := range r.Findings {
		r.Findings[i] = Sanitize(r.Findings[i])
	}
	for _, cl := range inv.Clusters {
		r.Clusters = append(r.Clusters, cl.Location()+"/"+cl.Name())
		if a := cl.Access; a != nil {
			r.ClusterAccess = append(r.ClusterAccess, sanitizeAccess(*a))
		}
	}
	for _, c := range append(append(inventory.CoverageSet(nil), inv.Coverage...), res.Failures...) {
		rc := Coverage{Source: string(c.Source), Scope: untrusted.Escape(c.Scope), Status: string(c.Status), Detail: untrusted.Clean(c.Detail),
			Error: untrusted.Clean(c.Error), Hint: untrusted.Clean(c.Hint)}
		if c.Status == inventory.StatusNotInstalled {
			rc.Status, rc.Detail = string(inventory.StatusOK), "not installed"
		}
		r.Coverage = append(r.Coverage, rc)
	}
	return r
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
// resource and the fix are bounded and escaped. Every renderer, JSON
// included, prints only sanitized findings.
func Sanitize(f inspect.Finding) inspect.Finding {
	f.Message = untrusted.Clean(f.Message)
	f.Remediation = untrusted.Escape(untrusted.Bound(f.Remediation, untrusted.MaxValue))
	f.Title = untrusted.Escape(f.Title)
	r := &f.Resource
	for _, p := range []*string{&r.Kind, &r.Project, &r.Location, &r.Cluster, &r.Namespace, &r.Name} {
		*p = untrusted.Escape(untrusted.Bound(*p, untrusted.MaxValue))
	}
	if len(f.Evidence) > 0 {
		if ev, ok := cleanValue(f.Evidence).(map[string]any); ok {
			f.Evidence = ev
		}
	}
	return f
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
