package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
)

// collapseEvidenceAbove is the number of findings above which the HTML
// report starts with every evidence block folded.
const collapseEvidenceAbove = 10

// WriteHTML writes the report as one self-contained HTML page: no external
// stylesheet, script, font or image, readable on screen and on paper.
func WriteHTML(w io.Writer, r *Report) error {
	return htmlTemplate.Execute(w, map[string]any{"Title": "Load-balancing report for " + r.Project, "Projects": []map[string]any{htmlData(r)}})
}

// WriteFleetHTML writes the reports of several projects as one page, a
// section per project.
func WriteFleetHTML(w io.Writer, f *Fleet) error {
	var ps []map[string]any
	for _, r := range f.Projects {
		ps = append(ps, htmlData(r))
	}
	return htmlTemplate.Execute(w, map[string]any{"Title": fmt.Sprintf("Load-balancing report for %d projects", len(f.Projects)), "Projects": ps, "Fleet": f})
}

func htmlData(r *Report) map[string]any {
	type group struct {
		Severity string
		Findings []inspect.Finding
	}
	var groups []group
	for _, sev := range []inspect.Severity{inspect.Error, inspect.Warning, inspect.Info} {
		g := group{Severity: sev.String()}
		for _, f := range r.Findings {
			if f.Severity == sev {
				g.Findings = append(g.Findings, f)
			}
		}
		if len(g.Findings) > 0 {
			groups = append(groups, g)
		}
	}
	chains := map[string][]inspect.Chain{}
	var clusters []string
	for _, c := range r.Chains {
		if _, ok := chains[c.Cluster]; !ok {
			clusters = append(clusters, c.Cluster)
		}
		chains[c.Cluster] = append(chains[c.Cluster], c)
	}
	counts := r.Counts()
	data := map[string]any{
		"R": r, "Groups": groups, "Gaps": r.Gaps(), "Clusters": clusters, "Chains": chains,
		"Errors": counts[inspect.Error], "Warnings": counts[inspect.Warning], "Infos": counts[inspect.Info],
		// With many findings the evidence starts folded, so that the
		// page reads as a list.
		"OpenEvidence": len(r.Findings) <= collapseEvidenceAbove,
	}
	if r.Resolved != nil {
		data["Resolved"] = *r.Resolved
		data["Compared"] = true
	}
	return data
}

// pageStyle is the stylesheet of every page lbdiag writes.
const pageStyle = `body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1f1f1f; margin: 2em auto; max-width: 72em; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; } h3 { font-size: 1.05em; margin: 1.2em 0 .3em; }
.meta { color: #555; } .summary span { display: inline-block; padding: .2em .7em; margin-right: .5em; border-radius: .3em; font-weight: 600; }
.error { background: #fce8e6; color: #a50e0e; } .warning { background: #fef7e0; color: #8a5300; } .info { background: #e8f0fe; color: #174ea6; } .ok { background: #e6f4ea; color: #0d652d; }
.finding { border: 1px solid #ddd; border-left: 6px solid #999; border-radius: .3em; padding: .6em .9em; margin: .8em 0; page-break-inside: avoid; }
.finding.sev-error { border-left-color: #d93025; } .finding.sev-warning { border-left-color: #f9ab00; } .finding.sev-info { border-left-color: #1a73e8; }
.rule { font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 600; } .resource { color: #333; }
pre { background: #f6f8fa; border: 1px solid #e1e4e8; border-radius: .3em; padding: .5em .7em; white-space: pre-wrap; word-break: break-all; font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; }
table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { border: 1px solid #ddd; padding: .3em .5em; text-align: left; vertical-align: top; } th { background: #f1f3f4; }
details summary { cursor: pointer; color: #555; }
.badge { display: inline-block; padding: 0 .4em; border-radius: .3em; font-size: 12px; font-weight: 600; } .badge.new { background: #d93025; color: #fff; } .badge.ongoing { background: #e8eaed; color: #3c4043; }
section.project + section.project { border-top: 3px solid #5f6368; margin-top: 3em; }
.group.unhealthy { background: #fce8e6; color: #a50e0e; font-weight: 600; padding: 0 .2em; border-radius: .2em; }
@media print { body { margin: 0; max-width: none; } details { display: block; } details > * { display: block; } a { color: inherit; } }
.checks td.n { text-align: right; font-variant-numeric: tabular-nums; } .muted { color: #777; }
`

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"evidence": func(ev map[string]any) string {
		if len(ev) == 0 {
			return ""
		}
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // html/template escapes; the JSON stays readable
		enc.SetIndent("", "  ")
		if enc.Encode(ev) != nil {
			return ""
		}
		return strings.TrimSpace(b.String())
	},
	"upper": strings.ToUpper,
	"style": func() template.CSS { return template.CSS(pageStyle) },
	"time":  func(t interface{ Format(string) string }) string { return t.Format("2006-01-02 15:04:05 MST") },
	"date":  func(t interface{ Format(string) string }) string { return t.Format("2006-01-02") },
	"pct":   func(r float64) float64 { return 100 * r },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lbdiag: {{.Title}}</title>
<style>
{{style}}
</style>
</head>
<body>
{{range .Projects}}
<section class="project" id="project-{{.R.Project}}">
<h1>Load-balancing report for {{.R.Project}}</h1>
<p class="meta">{{.R.Tool.Name}} {{.R.Tool.Version}} · started {{time .R.StartedAt}} · finished {{time .R.FinishedAt}} · clusters: {{range $i, $c := .R.Clusters}}{{if $i}}, {{end}}{{$c}}{{else}}none{{end}}</p>
{{with .R.ClusterAccess}}<p class="meta">reached: {{range $i, $a := .}}{{if $i}}, {{end}}{{$a.Cluster}} {{if eq $a.Via "none"}}<span class="group unhealthy">by no path</span>{{else}}via {{$a.Via}} ({{$a.Endpoint}}){{end}}{{end}}</p>{{end}}
<p class="summary" id="summary"><span class="error">{{.Errors}} errors</span><span class="warning">{{.Warnings}} warnings</span><span class="info">{{.Infos}} info</span>{{if .Gaps}}<span class="warning">{{len .Gaps}} sources could not be read</span>{{else}}<span class="ok">every source was read</span>{{end}}</p>

<h2>Findings</h2>
{{$p := .}}{{range .Groups}}
<h3>{{upper .Severity}} ({{len .Findings}})</h3>
{{range .Findings}}
<div class="finding sev-{{.Severity}}" data-rule="{{.Rule}}">
<div>{{if eq .Status "new"}}<span class="badge new">new</span> {{else if eq .Status "ongoing"}}<span class="badge ongoing">ongoing</span> {{end}}<span class="rule">{{.Rule}}</span> — <span class="resource">{{.Resource.Kind}} {{if .Resource.Namespace}}{{.Resource.Namespace}}/{{end}}{{.Resource.Name}}{{if .Resource.Cluster}} · cluster {{.Resource.Location}}/{{.Resource.Cluster}}{{else if .Resource.Location}} · {{.Resource.Location}}{{end}} · project {{.Resource.Project}}</span></div>
<p><em>{{.Title}}</em></p>
<p class="message">{{.Message}}</p>
{{with .Impact}}<p class="impact">{{if .Idle}}<span class="badge ongoing">idle</span> no request in the last {{.Window}} ({{range $i, $r := .Resources}}{{if $i}}, {{end}}{{$r}}{{end}}){{else}}<strong>Impact</strong> over the last {{.Window}}: {{printf "%.1f" .RequestsPerSecond}} requests a second, {{printf "%.1f" (pct .Ratio5xx)}}% server errors{{with .P95LatencyMs}}, p95 backend latency {{printf "%.0f" .}} ms{{end}} ({{range $i, $r := .Resources}}{{if $i}}, {{end}}{{$r}}{{end}}){{end}}</p>{{end}}
{{with .Changes}}<div class="changes"><strong>Last changes</strong><ul>{{range .}}<li>{{time .At}}: {{.Method}} on {{.Resource}}{{with .By}} by {{.}}{{end}}{{if .Failed}} (failed){{end}}</li>{{end}}</ul></div>{{end}}
<div><strong>Fix</strong></div>
<pre class="fix">{{.Remediation}}</pre>
{{with evidence .Evidence}}<details{{if $p.OpenEvidence}} open{{end}}><summary>Evidence</summary><pre>{{.}}</pre></details>{{end}}
{{if .Docs}}<p class="meta">More: <a href="{{.Docs}}">{{.Docs}}</a></p>{{end}}
</div>
{{end}}
{{else}}
<p>No problems found.</p>
{{end}}

{{if .Compared}}
<h2>Resolved since the last run</h2>
{{if .Resolved}}<ul id="resolved">{{range .Resolved}}<li><span class="rule">{{.Rule}}</span> — {{.Resource.Kind}} {{if .Resource.Namespace}}{{.Resource.Namespace}}/{{end}}{{.Resource.Name}}: {{.Message}}</li>{{end}}</ul>{{else}}<p>Nothing was resolved.</p>{{end}}
{{end}}

<h2>Could not check</h2>
{{if .Gaps}}
<table id="gaps"><tr><th>Source</th><th>Scope</th><th>Status</th><th>Error</th><th>Hint</th></tr>
{{range .Gaps}}<tr><td>{{.Source}}</td><td>{{.Scope}}</td><td>{{.Status}}</td><td>{{.Error}}</td><td>{{.Hint}}</td></tr>
{{end}}</table>
{{else}}
<p>Every source was read: the checks above are complete.</p>
{{end}}

{{with .R.Suppressed}}
<h2>Suppressed</h2>
<details id="suppressed"><summary>{{len .}} findings suppressed by the ignore file</summary>
<ul>{{range .}}<li data-fingerprint="{{.Fingerprint}}"><span class="rule">{{.Rule}}</span> — {{.Resource.Kind}} {{if .Resource.Namespace}}{{.Resource.Namespace}}/{{end}}{{.Resource.Name}}: {{.Message}}<br><span class="meta">{{.SuppressedBy.File}}:{{.SuppressedBy.Line}} until {{date .SuppressedBy.Expires}}{{with .SuppressedBy.Owner}} · owner {{.}}{{end}} · {{.SuppressedBy.Reason}}</span></li>{{end}}</ul>
</details>
{{end}}
{{with .R.Ignore}}{{if .Stale}}
<h3>Stale suppressions</h3>
<p>These entries of {{.File}} matched nothing in this run: delete them, or one day they may suppress something new.</p>
<ul id="stale">{{range .Stale}}<li>{{.File}}:{{.Line}}: {{if .Fingerprint}}fingerprint {{.Fingerprint}}{{else}}rule {{.Rule}}{{end}} (until {{date .Expires}}) — {{.Reason}}</li>{{end}}</ul>
{{end}}{{if .StaleNotJudged}}<p id="stale-not-judged">Stale suppressions: {{.StaleNotJudged}}.</p>{{end}}{{end}}

{{with .R.Checked}}
<h2>Checked and passed</h2>
<details id="checks"><summary>{{.Rules}} rules judged {{.Resources}} resources: {{.Problems}} problems{{if .Suppressed}}, {{.Suppressed}} suppressed{{end}}{{if .CouldNotCheck}}, {{.CouldNotCheck}} rules could not check everywhere{{end}}</summary>
<table class="checks"><tr><th>Rule</th><th>Severity</th><th>Judged</th><th>Passed</th><th>Failed</th><th>Suppressed</th><th>Could not check</th><th>Why not</th></tr>
{{range $p.R.Checks}}<tr data-check="{{.Rule}}"><td class="rule">{{.Rule}}</td><td>{{.Severity}}</td><td class="n">{{.Judged}}</td><td class="n">{{.Passed}}</td><td class="n">{{.Failed}}</td><td class="n">{{.Suppressed}}</td><td class="n">{{.CouldNotCheck}}</td><td>{{range $i, $r := .Reasons}}{{if $i}}<br>{{end}}{{$r}}{{end}}</td></tr>
{{end}}</table>
</details>
{{end}}

<h2>What lbdiag followed</h2>
{{range $cl := .Clusters}}
<h3>Cluster {{$cl}}</h3>
<table class="chains"><tr><th>Ingress / Gateway</th><th>Class</th><th>Service port</th><th>Backend service</th><th>Backend groups</th></tr>
{{range index $p.Chains $cl}}<tr><td>{{.Owner}}</td><td>{{.Class}}</td><td>{{.Service}} {{.Port}}</td><td>{{if .BackendService}}{{.BackendService}}{{else}}—{{end}}</td><td>{{range .Groups}}<span class="group{{if .Unhealthy}} unhealthy{{end}}">{{.Name}} ({{.Zone}}{{if .Health}}, {{.Health}}{{else}}, health not read{{end}})</span><br>{{else}}—{{end}}</td></tr>
{{end}}</table>
{{end}}
{{if .Clusters}}<p class="meta legend">— in the backend service column: lbdiag found no backend service built for that Service port (the load balancer is not synced yet, or its controller annotations name none). — in the groups column: the backend service has no backend group. Groups in <span class="group unhealthy">red</span> have endpoints and none is healthy.</p>
{{else}}
<p>No Ingress or Gateway was inspected.</p>
{{end}}
</section>
{{end}}
</body>
</html>
`))
