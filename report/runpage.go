package report

import (
	"fmt"
	"html/template"
	"io"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/internal/untrusted"
)

// The fleet page: runs/<run-id>/index.html in --output, one self-contained
// page for every project of a run, built from the shards' summaries (each
// task of a sharded run writes its own, then rebuilds the page from all
// those present), with a link to each project's HTML report.

// ProjectRunPath is where a project's report of a run is kept in --output
// (with .json and .html).
func ProjectRunPath(project, runID string) string {
	return "projects/" + project + "/runs/" + runID
}

// ShardPath is where a shard's summary is kept.
func ShardPath(runID string, s Shard) string {
	return fmt.Sprintf("runs/%s/shard-%d-of-%d.json", runID, s.Index, s.Count)
}

// RunPagePath is the run's fleet page; LatestPagePath points at the
// newest run's.
func RunPagePath(runID string) string { return "runs/" + runID + "/index.html" }

// LatestPagePath and LatestRunPath are the pointer to the newest run.
const (
	LatestPagePath = "latest/index.html"
	LatestRunPath  = "latest/run.json"
)

// maxListed bounds the findings a summary lists per project and kind.
const maxListed = 50

// FindingLine is a finding as a summary lists it.
type FindingLine struct {
	Rule        string `json:"rule"`
	Severity    string `json:"severity"`
	Resource    string `json:"resource"`
	Fingerprint string `json:"fingerprint"`
}

// GapLine is a coverage gap as a summary lists it.
type GapLine struct {
	Source string `json:"source"`
	Scope  string `json:"scope"`
	Error  string `json:"error,omitempty"`
	Hint   string `json:"hint,omitempty"`
}

func lineOf(f inspect.Finding) FindingLine {
	res := f.Resource.String()
	if f.Resource.Cluster != "" {
		res += " (cluster " + f.Resource.Location + "/" + f.Resource.Cluster + ")"
	}
	return FindingLine{Rule: f.Rule, Severity: f.Severity.String(), Resource: res, Fingerprint: f.Fingerprint}
}

// summarize fills a project's summary line from its report.
func summarize(r *Report, runID string) ProjectSummary {
	s := ProjectSummary{Project: r.Project, ExitCode: r.Exit, Counts: r.CountMap(), Suppressed: len(r.Suppressed),
		Gaps: []GapLine{}, Report: ProjectRunPath(r.Project, runID) + ".html"}
	for _, g := range r.Gaps() {
		if len(s.Gaps) == maxListed {
			break
		}
		s.Gaps = append(s.Gaps, GapLine{Source: g.Source, Scope: g.Scope, Error: untrusted.Bound(g.Error, 300), Hint: untrusted.Bound(g.Hint, 300)})
	}
	s.GapCount = len(r.Gaps())
	if r.Resolved != nil {
		n := 0
		for _, f := range r.Findings {
			if f.Status == StatusNew {
				n++
				if len(s.NewFindings) < maxListed {
					s.NewFindings = append(s.NewFindings, lineOf(f))
				}
			}
		}
		resolved := len(*r.Resolved)
		s.New, s.Resolved = &n, &resolved
		for _, f := range *r.Resolved {
			if len(s.ResolvedFindings) == maxListed {
				break
			}
			s.ResolvedFindings = append(s.ResolvedFindings, lineOf(f))
		}
	}
	return s
}

// RunPage is what the fleet page shows: the summaries of the shards
// present, and which of the run's shards are not (yet).
type RunPage struct {
	RunID   string
	Shards  []ShardSummary
	Missing []int
	Count   int
}

type runPageProject struct {
	ProjectSummary
	Link string
	// GapGroups are the project's gaps, those with one error and hint
	// together.
	GapGroups []gapGroup
}

// gapGroup is the sources of one project that failed alike.
type gapGroup struct {
	Sources, Scopes []string
	Error, Hint     string
}

func groupGaps(gaps []GapLine) []gapGroup {
	var out []gapGroup
	index := map[string]int{}
	add := func(list []string, v string) []string {
		if slices.Contains(list, v) {
			return list
		}
		return append(list, v)
	}
	for _, g := range gaps {
		key := g.Error + "\x00" + g.Hint
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, gapGroup{Error: g.Error, Hint: g.Hint})
		}
		out[i].Sources = add(out[i].Sources, g.Source)
		out[i].Scopes = add(out[i].Scopes, g.Scope)
	}
	return out
}

// WriteRunPage writes the fleet page of a run: counts per project and
// severity, what is new and resolved since the baseline, the projects with
// coverage gaps and why, and a link to each project's report (relative to
// runs/<run-id>/).
func WriteRunPage(w io.Writer, p RunPage) error {
	var projects []runPageProject
	total := map[string]int{}
	newN, resolvedN, suppressed, compared := 0, 0, 0, false
	var started, finished time.Time
	var tool Tool
	var unlisted []Coverage
	codes := []int{}
	for _, sh := range p.Shards {
		codes = append(codes, sh.ExitCode)
		for _, c := range sh.Coverage {
			// Every shard enumerates the whole tree: one entry per gap.
			if c.Status != "ok" && c.Status != "skipped" && !containsCoverage(unlisted, c) {
				unlisted = append(unlisted, c)
			}
		}
		tool = sh.Tool
		if started.IsZero() || (!sh.StartedAt.IsZero() && sh.StartedAt.Before(started)) {
			started = sh.StartedAt
		}
		if sh.FinishedAt.After(finished) {
			finished = sh.FinishedAt
		}
		for _, ps := range sh.Projects {
			projects = append(projects, runPageProject{ProjectSummary: ps, Link: "../../" + escapePath(ps.Report), GapGroups: groupGaps(ps.Gaps)})
			for k, v := range ps.Counts {
				total[k] += v
			}
			suppressed += ps.Suppressed
			if ps.New != nil {
				compared = true
				newN += *ps.New
				resolvedN += *ps.Resolved
			}
		}
	}
	exit := WorstExit(codes...)
	sort.Slice(projects, func(i, j int) bool {
		a, b := projects[i], projects[j]
		if a.Counts["error"] != b.Counts["error"] {
			return a.Counts["error"] > b.Counts["error"]
		}
		if a.Counts["warning"] != b.Counts["warning"] {
			return a.Counts["warning"] > b.Counts["warning"]
		}
		return a.Project < b.Project
	})
	var gapped []runPageProject
	for _, ps := range projects {
		if ps.GapCount > 0 {
			gapped = append(gapped, ps)
		}
	}
	sort.Slice(gapped, func(i, j int) bool { return gapped[i].Project < gapped[j].Project })
	return runPageTemplate.Execute(w, map[string]any{
		"RunID": p.RunID, "Projects": projects, "Gapped": gapped, "Total": total, "New": newN, "Resolved": resolvedN, "Compared": compared,
		"Suppressed": suppressed, "Shards": len(p.Shards), "Count": p.Count, "Missing": p.Missing, "Started": started, "Finished": finished,
		"Tool": tool, "Exit": exit, "Unlisted": unlisted,
	})
}

func containsCoverage(cs []Coverage, c Coverage) bool {
	for _, x := range cs {
		if x.Source == c.Source && x.Scope == c.Scope && x.Error == c.Error {
			return true
		}
	}
	return false
}

// escapePath escapes each segment of a slash path for a link.
func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i := range parts {
		parts[i] = url.PathEscape(parts[i])
	}
	return strings.Join(parts, "/")
}

// LatestRun is latest/run.json: the newest run whose page latest/ points
// at.
type LatestRun struct {
	RunID     string    `json:"runId"`
	StartedAt time.Time `json:"startedAt"`
}

// WriteLatestPage writes latest/index.html: a page that sends the browser
// to the newest run's fleet page.
func WriteLatestPage(w io.Writer, l LatestRun) error {
	return latestTemplate.Execute(w, map[string]any{"RunID": l.RunID, "Link": "../" + escapePath(RunPagePath(l.RunID)), "Started": l.StartedAt})
}

var pageFuncs = template.FuncMap{
	"style": func() template.CSS { return template.CSS(pageStyle) },
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Format("2006-01-02 15:04:05 MST")
	},
	"count": func(m map[string]int, k string) int { return m[k] },
}

var latestTemplate = template.Must(template.New("latest").Funcs(pageFuncs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0; url={{.Link}}">
<title>lbdiag: latest run</title>
<style>{{style}}</style>
</head>
<body>
<h1>Latest lbdiag run</h1>
<p>The newest run is <a id="latest" href="{{.Link}}">{{.RunID}}</a>, started {{time .Started}}.</p>
</body>
</html>
`))

var runPageTemplate = template.Must(template.New("run").Funcs(pageFuncs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lbdiag: run {{.RunID}}</title>
<style>{{style}}</style>
</head>
<body>
<h1>lbdiag run {{.RunID}}</h1>
<p class="meta">{{.Tool.Name}} {{.Tool.Version}} · started {{time .Started}} · finished {{time .Finished}} · {{len .Projects}} projects · exit code {{.Exit}}</p>
{{if .Missing}}<p class="summary" id="missing"><span class="warning">{{.Shards}} of {{.Count}} shards reported; not (yet) here: {{range $i, $m := .Missing}}{{if $i}}, {{end}}shard {{$m}}{{end}}</span></p>{{end}}
<p class="summary" id="summary"><span class="error">{{count .Total "error"}} errors</span><span class="warning">{{count .Total "warning"}} warnings</span><span class="info">{{count .Total "info"}} info</span>{{if .Compared}}<span class="error">{{.New}} new</span><span class="ok">{{.Resolved}} resolved</span>{{end}}{{if .Suppressed}}<span class="info">{{.Suppressed}} suppressed</span>{{end}}{{if .Gapped}}<span class="warning">{{len .Gapped}} projects could not be read whole</span>{{else}}<span class="ok">every project was read whole</span>{{end}}</p>

<h2>Projects</h2>
<table id="projects"><tr><th>Project</th><th>Errors</th><th>Warnings</th><th>Info</th>{{if .Compared}}<th>New</th><th>Resolved</th>{{end}}<th>Suppressed</th><th>Not read</th><th>Exit</th></tr>
{{range .Projects}}<tr data-project="{{.Project}}"><td><a href="{{.Link}}">{{.Project}}</a></td><td class="n">{{count .Counts "error"}}</td><td class="n">{{count .Counts "warning"}}</td><td class="n">{{count .Counts "info"}}</td>{{if $.Compared}}<td class="n">{{with .New}}{{.}}{{else}}—{{end}}</td><td class="n">{{with .Resolved}}{{.}}{{else}}—{{end}}</td>{{end}}<td class="n">{{.Suppressed}}</td><td class="n">{{.GapCount}}</td><td class="n">{{.ExitCode}}</td></tr>
{{else}}<tr><td colspan="9">No project was inspected.</td></tr>
{{end}}</table>

{{if .Compared}}
<h2>New since the last run</h2>
{{range .Projects}}{{if .NewFindings}}<h3><a href="{{.Link}}">{{.Project}}</a></h3>
<ul class="new">{{range .NewFindings}}<li><span class="badge new">{{.Severity}}</span> <span class="rule">{{.Rule}}</span> — {{.Resource}} <span class="muted">{{.Fingerprint}}</span></li>{{end}}</ul>
{{end}}{{end}}{{if not .New}}<p>Nothing new.</p>{{end}}
<h2>Resolved since the last run</h2>
{{range .Projects}}{{if .ResolvedFindings}}<h3><a href="{{.Link}}">{{.Project}}</a></h3>
<ul class="resolved">{{range .ResolvedFindings}}<li><span class="rule">{{.Rule}}</span> — {{.Resource}} <span class="muted">{{.Fingerprint}}</span></li>{{end}}</ul>
{{end}}{{end}}{{if not .Resolved}}<p>Nothing was resolved.</p>{{end}}
{{end}}

{{with .Unlisted}}
<h2>Could not enumerate</h2>
<ul id="unlisted">{{range .}}<li>{{.Scope}}: {{.Error}}{{with .Hint}} — {{.}}{{end}}</li>{{end}}</ul>
{{end}}
<h2>Could not read</h2>
{{if .Gapped}}
<table id="gaps"><tr><th>Project</th><th>Sources</th><th>Scope</th><th>Error</th><th>Hint</th></tr>
{{range $p := .Gapped}}{{range .GapGroups}}<tr><td><a href="{{$p.Link}}">{{$p.Project}}</a></td><td>{{range $i, $s := .Sources}}{{if $i}}, {{end}}{{$s}}{{end}}</td><td>{{range $i, $s := .Scopes}}{{if $i}}, {{end}}{{$s}}{{end}}</td><td>{{.Error}}</td><td>{{.Hint}}</td></tr>
{{end}}{{if gt .GapCount (len .Gaps)}}<tr><td><a href="{{$p.Link}}">{{$p.Project}}</a></td><td colspan="4">and {{.GapCount}} sources in all: see its report</td></tr>{{end}}{{end}}</table>
{{else}}
<p>Every source of every project was read.</p>
{{end}}
</body>
</html>
`))
