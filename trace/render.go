package trace

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"

	"github.com/lbdiag/lbdiag/internal/untrusted"
)

// WriteJSON writes the result as indented JSON (the contract of
// SchemaVersion), control characters escaped.
func WriteJSON(w io.Writer, r *Result) error {
	return untrusted.WriteJSON(w, r, "  ")
}

// TableOptions lay out the text form.
type TableOptions struct {
	// Width wraps the reasons (0: 160).
	Width int
	// Color enables ANSI colours.
	Color bool
}

const (
	ansiRed    = "\x1b[31;1m"
	ansiYellow = "\x1b[33;1m"
	ansiGreen  = "\x1b[32m"
	ansiBlue   = "\x1b[36m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
)

var marks = map[string]string{OK: "[ok]", Warning: "[warn]", Error: "[ERROR]", Unknown: "[unknown]"}

// WriteTable writes the request's path as an indented list, one hop per
// line with its verdict and reason, the findings on it below, the failing
// hop marked; then the answer, and fixes printed whole so that they paste.
func WriteTable(w io.Writer, r *Result, o TableOptions) error {
	width := o.Width
	if width <= 0 {
		width = 160
	}
	width = min(max(width, 60), 400)
	color := func(code, s string) string {
		if !o.Color {
			return s
		}
		return code + s + ansiReset
	}
	verdictColor := map[string]string{OK: ansiGreen, Warning: ansiYellow, Error: ansiRed, Unknown: ansiBlue}
	e := untrusted.Escape
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s  (project %s)\n", color(ansiBold, "lbdiag trace"), e(r.Request.Method), e(r.Request.URL), e(r.Project))
	names := make([]string, 0, len(r.Request.Headers))
	for name := range r.Request.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range r.Request.Headers[name] {
			fmt.Fprintf(&b, "  header %s: %s\n", e(name), e(untrusted.Bound(v, 200)))
		}
	}
	b.WriteString(wrapText("Load balancer: "+e(selectionText(r)), width, "  ") + "\n")
	var fixes []string
	for i, c := range r.Candidates {
		b.WriteString("\n")
		if len(r.Candidates) > 1 {
			fmt.Fprintf(&b, "Candidate %d of %d\n", i+1, len(r.Candidates))
		}
		failed := -1
		for j, h := range c.Hops {
			if h.Verdict == Error {
				failed = j
				break
			}
		}
		for j, h := range c.Hops {
			indent := strings.Repeat("  ", h.Depth)
			head := fmt.Sprintf("%s%s %s %s", indent, color(verdictColor[h.Verdict], marks[h.Verdict]), e(h.Kind), e(h.Name))
			if h.Cluster != "" {
				head += " (cluster " + e(h.Cluster) + ")"
			}
			if h.Branch != nil {
				head += fmt.Sprintf(" [branch %d]", *h.Branch)
			}
			if j == failed {
				head += color(ansiRed, "  <-- fails here")
			}
			b.WriteString(head + "\n")
			pad := indent + "      "
			if h.Reason != "" {
				b.WriteString(wrapText(pad+e(untrusted.Bound(h.Reason, 2000)), width, pad) + "\n")
			}
			for _, f := range h.Findings {
				b.WriteString(wrapText(fmt.Sprintf("%s- %s (%s): %s", pad, e(f.Rule), e(f.Severity), e(untrusted.Bound(f.Message, 1500))), width, pad+"  ") + "\n")
				if f.Remediation != "" && f.Severity != "info" {
					fixes = append(fixes, fmt.Sprintf("%s (%s %s)\n%s", f.Rule, h.Kind, h.Name, f.Remediation))
				}
			}
			if h.Fix != "" {
				fixes = append(fixes, fmt.Sprintf("%s %s\n%s", h.Kind, h.Name, h.Fix))
			}
		}
		if len(r.Candidates) > 1 {
			b.WriteString(wrapText("  => "+e(c.Answer), width, "     ") + "\n")
		}
	}
	if len(r.Selection.Others) > 0 {
		b.WriteString("\nForwarding rules you may mean (trace one with --ip ADDRESS):\n")
		for _, o := range r.Selection.Others {
			line := fmt.Sprintf("  %s  %s port %s", e(o.ForwardingRule.Name), e(o.Address), e(o.Ports))
			if len(o.Hosts) > 0 {
				line += "  hosts " + e(strings.Join(o.Hosts, " "))
			}
			b.WriteString(line + "\n")
		}
	}
	if l := r.Logs; l != nil {
		fmt.Fprintf(&b, "\nLogs: %d requests of %s on %s", l.Total, e(l.URL), e(strings.Join(l.ForwardingRules, ", ")))
		if l.Capped {
			b.WriteString(" (a lower bound: the cap of entries stopped the count)")
		}
		b.WriteString("\n")
		for _, c := range l.Counts {
			fmt.Fprintf(&b, "  %6d  %d %s  (last %s)\n", c.Count, c.Status, e(firstNonEmpty(c.Details, "-")), c.Last.UTC().Format("2006-01-02T15:04:05Z"))
		}
		if len(l.Unlogged) > 0 {
			b.WriteString(wrapText("  not counted: backend services with request logging off: "+e(strings.Join(l.Unlogged, ", ")), width, "    ") + "\n")
		}
	}
	if len(r.Gaps) > 0 {
		b.WriteString("\nCould not check:\n")
		for _, g := range r.Gaps {
			line := fmt.Sprintf("  %s %s: %s", e(string(g.Source)), e(g.Scope), e(untrusted.Bound(firstNonEmpty(g.Error, g.Detail, string(g.Status)), 600)))
			if g.Hint != "" {
				line += " (" + e(untrusted.Bound(g.Hint, 600)) + ")"
			}
			b.WriteString(wrapText(line, width, "    ") + "\n")
		}
	}
	b.WriteString("\n" + wrapText(color(ansiBold, "Answer:")+" "+e(r.Answer), width, "  ") + "\n")
	if len(fixes) > 0 {
		b.WriteString("\nFixes (printed whole, to paste):\n")
		for i, f := range fixes {
			fmt.Fprintf(&b, "[%d] %s\n", i+1, e(f))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// selectionText says how the load balancer was chosen.
func selectionText(r *Result) string {
	s := r.Selection
	switch s.Method {
	case SelectIP:
		return "the forwarding rules at --ip " + strings.Join(s.Addresses, ", ")
	case SelectDNS:
		return r.Request.Host + " resolves to " + strings.Join(s.Addresses, ", ")
	}
	t := "chosen by the URL maps' host rules naming " + r.Request.Host
	if s.ResolveError != "" {
		t += " (" + s.ResolveError + ")"
	}
	return t
}

// wrapText wraps text to width at spaces; continuation lines start with
// indent.
func wrapText(text string, width int, indent string) string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		lead := para[:len(para)-len(strings.TrimLeft(para, " "))]
		line := lead
		for _, word := range strings.Fields(para) {
			switch {
			case line == lead:
				line += word
			case len(line)+1+len(word) > width:
				out = append(out, line)
				line = indent + word
			default:
				line += " " + word
			}
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// WriteHTML writes the result as one self-contained page.
func WriteHTML(w io.Writer, r *Result) error {
	return htmlTemplate.Execute(w, r)
}

var htmlTemplate = template.Must(template.New("trace").Funcs(template.FuncMap{
	"indent": func(d int) int { return d * 22 },
	"clean":  func(s string) string { return untrusted.Escape(untrusted.Bound(s, 4000)) },
	"mark":   func(v string) string { return marks[v] },
	"sel":    selectionText,
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>lbdiag trace {{clean .Request.URL}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
.hop{margin:.3em 0;padding:.3em .6em;border-left:4px solid #9c9}
.hop.warning{border-color:#db3}.hop.error{border-color:#c33;background:#fff3f3}.hop.unknown{border-color:#69c;background:#f3f7ff}
.k{font-weight:600}.r{color:#444}.f{color:#633;font-size:.92em}pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap}
.answer{font-size:1.15em;font-weight:600;margin:1em 0}
</style></head><body>
<h1>lbdiag trace</h1>
<p><code>{{clean .Request.Method}} {{clean .Request.URL}}</code> in project <code>{{clean .Project}}</code></p>
<p>Load balancer: {{clean (sel .)}}</p>
<p class="answer">{{clean .Answer}}</p>
{{range $i, $c := .Candidates}}<h2>{{clean $c.ForwardingRule.Name}}: {{$c.Verdict}}</h2>
{{range $c.Hops}}<div class="hop {{.Verdict}}" style="margin-left:{{indent .Depth}}px"><span class="k">{{mark .Verdict}} {{clean .Kind}} {{clean .Name}}</span>{{if .Cluster}} (cluster {{clean .Cluster}}){{end}}
<div class="r">{{clean .Reason}}</div>{{range .Findings}}<div class="f">{{clean .Rule}} ({{clean .Severity}}): {{clean .Message}}{{if .Remediation}}<pre>{{clean .Remediation}}</pre>{{end}}</div>{{end}}{{if .Fix}}<pre>{{clean .Fix}}</pre>{{end}}</div>
{{end}}<p>{{clean $c.Answer}}</p>{{end}}
{{if .Selection.Others}}<h2>Forwarding rules you may mean</h2><ul>{{range .Selection.Others}}<li><code>{{clean .ForwardingRule.Name}}</code> {{clean .Address}} port {{clean .Ports}}{{range .Hosts}} {{clean .}}{{end}}</li>{{end}}</ul>{{end}}
{{with .Logs}}<h2>Logs</h2><p>{{.Total}} requests of {{clean .URL}}{{if .Capped}} (a lower bound){{end}}</p><ul>{{range .Counts}}<li>{{.Count}} × {{.Status}} {{clean .Details}}</li>{{end}}</ul>{{end}}
{{if .Gaps}}<h2>Could not check</h2><ul>{{range .Gaps}}<li>{{clean (printf "%s" .Source)}} {{clean .Scope}}: {{clean .Error}} {{clean .Hint}}</li>{{end}}</ul>{{end}}
</body></html>
`))
