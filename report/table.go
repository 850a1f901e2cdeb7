package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/lbdiag/lbdiag/ignore"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// TableOptions control the human-readable report.
type TableOptions struct {
	// Width is the width to wrap to, in columns: 0 means 160, less than 40
	// means 40 and more than MaxWidth means MaxWidth. Below 140, findings
	// are listed as blocks.
	Width int
	// Color enables ANSI colours.
	Color bool
}

// MaxWidth bounds the width a report is laid out for: a larger $COLUMNS
// would only add padding.
const MaxWidth = 400

func (o TableOptions) widthOrDefault() int {
	if o.Width == 0 {
		return 160
	}
	return min(max(o.Width, 40), MaxWidth)
}

// minProblemColumn is the narrowest PROBLEM column.
const minProblemColumn = 40

// narrowWidth is the width below which findings are listed one block each
// instead of as table rows: the columns do not fit.
const narrowWidth = 140

const (
	ansiRed    = "\x1b[31;1m"
	ansiYellow = "\x1b[33;1m"
	ansiBlue   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
)

// WriteTable writes one numbered row per finding (errors first), then each
// finding's fix under its number, then a summary line and the coverage
// gaps. Fixes are printed as they are, never wrapped or indented, so that
// every command and manifest can be copied and pasted whole; a fix line
// longer than the terminal is left to the terminal to fold. Below 140
// columns each finding is a block of its own, its fix again unwrapped.
func WriteTable(w io.Writer, r *Report, o TableOptions) error {
	width := o.widthOrDefault()
	if width < narrowWidth {
		writeList(w, r, width, o.Color)
	} else if len(r.Findings) > 0 {
		if err := writeFindingTable(w, r, width, o.Color); err != nil {
			return err
		}
		writeFixes(w, r, o.Color)
	}
	writeResolved(w, r, width)
	return writeSummary(w, r, o)
}

func writeFindingTable(w io.Writer, r *Report, width int, color bool) error {
	// Content widths; each cell adds one space of padding either side.
	num := max(len("#"), len(strconv.Itoa(len(r.Findings))))
	sev, rule, res, longest := len("SEVERITY"), len("RULE"), len("RESOURCE"), 0
	for _, f := range r.Findings {
		rule = max(rule, len(f.Rule))
		for _, l := range strings.Split(resourceCell(f.Resource), "\n") {
			res = max(res, utf8.RuneCountInString(l))
		}
		for _, l := range strings.Split(f.Message, "\n") {
			longest = max(longest, utf8.RuneCountInString(l))
		}
	}
	// Five cells of padding (2 each) and six borders take 16 columns; the
	// PROBLEM column takes what the others leave, and RESOURCE and RULE
	// shrink (wrapping at separators) before it gets narrower than 40.
	content := width - 16
	rule, res = min(rule, 36), min(res, 42)
	for num+sev+rule+res+minProblemColumn > content && (res > 24 || rule > 20) {
		if res > 24 && res >= rule {
			res--
		} else {
			rule--
		}
	}
	problem := max(min(content-num-sev-rule-res, longest), minProblemColumn)
	widths := []int{num, sev, rule, res, problem}
	mapper := tw.NewMapper[int, int]()
	for i, wd := range widths {
		mapper.Set(i, wd+2)
	}
	table := tablewriter.NewTable(w,
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithColumnWidths(mapper),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
	)
	table.Header("#", "SEVERITY", "RULE", "RESOURCE", "PROBLEM")
	for i, f := range r.Findings {
		cells := []string{strconv.Itoa(i + 1), f.Severity.String(), f.Rule, resourceCell(f.Resource), f.Message}
		for i := range cells {
			cells[i] = wrap(cells[i], widths[i])
		}
		cells[1] = severityCell(f.Severity, color)
		if f.Status != "" {
			cells[1] += "\n" + f.Status
		}
		if im := ImpactText(f.Impact); im != "" {
			cells[1] += "\n" + wrap(im, widths[1])
		}
		if err := table.Append(cells); err != nil {
			return err
		}
	}
	return table.Render()
}

// writeResolved lists, after a comparison with a baseline, the findings
// that are gone.
func writeResolved(w io.Writer, r *Report, width int) {
	if r.Resolved == nil {
		return
	}
	newN := 0
	for _, f := range r.Findings {
		if f.Status == StatusNew {
			newN++
		}
	}
	fmt.Fprintf(w, "Compared with the last run: %s, %d resolved.\n", plural(newN, "new finding"), len(*r.Resolved))
	for _, f := range *r.Resolved {
		fmt.Fprintln(w, indentLines(wrap(fmt.Sprintf("resolved: %s on %s", f.Rule, strings.ReplaceAll(resourceCell(f.Resource), "\n", ", ")), width-4), "  - ", "    "))
	}
	fmt.Fprintln(w)
}

// writeFixes prints each finding's fix under its number, as it is.
func writeFixes(w io.Writer, r *Report, color bool) {
	head := "Fixes (each as it is, to copy and paste):"
	if color {
		head = ansiBold + head + ansiReset
	}
	fmt.Fprintf(w, "\n%s\n", head)
	for i, f := range r.Findings {
		fmt.Fprintf(w, "\n[%d] %s on %s:\n%s\n", i+1, f.Rule, strings.ReplaceAll(resourceCell(f.Resource), "\n", ", "), f.Remediation)
	}
	fmt.Fprintln(w)
}

func severityCell(s inspect.Severity, color bool) string {
	if !color {
		return s.String()
	}
	switch s {
	case inspect.Error:
		return ansiRed + s.String() + ansiReset
	case inspect.Warning:
		return ansiYellow + s.String() + ansiReset
	}
	return ansiBlue + s.String() + ansiReset
}

// ImpactText renders a finding's impact shortly: "idle", or "12 rps 5.0%
// 5xx" (the requests a second and the share of server errors).
func ImpactText(im *inspect.Impact) string {
	switch {
	case im == nil:
		return ""
	case im.Idle:
		return "idle"
	}
	rps := strconv.FormatFloat(im.RequestsPerSecond, 'f', 1, 64)
	if im.RequestsPerSecond >= 10 {
		rps = strconv.FormatFloat(im.RequestsPerSecond, 'f', 0, 64)
	}
	s := rps + " rps"
	if im.Errors5xx > 0 {
		s += fmt.Sprintf(" %.1f%% 5xx", 100*im.Ratio5xx)
	}
	return s
}

// resourceCell renders "Kind ns/name" and where it lives.
func resourceCell(r inspect.Resource) string {
	s := r.String()
	switch {
	case r.Cluster != "":
		s += "\ncluster " + r.Location + "/" + r.Cluster
	case r.Location != "":
		s += "\n" + r.Location
	}
	return s
}

func writeSummary(w io.Writer, r *Report, o TableOptions) error {
	width := o.widthOrDefault()
	counts := r.Counts()
	gaps := r.Gaps()
	var b strings.Builder
	switch {
	case len(r.Findings) == 0 && r.NothingRead():
		fmt.Fprintf(&b, "Nothing could be checked in project %s: no source could be read", r.Project)
	case len(r.Findings) == 0:
		fmt.Fprintf(&b, "No problems found in project %s", r.Project)
	default:
		fmt.Fprintf(&b, "%s, %s, %s in project %s",
			plural(counts[inspect.Error], "error"), plural(counts[inspect.Warning], "warning"), plural(counts[inspect.Info], "info finding"), r.Project)
	}
	fmt.Fprintf(&b, " (%s inspected", plural(len(r.Clusters), "cluster"))
	if len(gaps) == 0 {
		b.WriteString("; every source was read).")
	} else {
		fmt.Fprintf(&b, "; %s could not be read, so some checks were not made: see below).", plural(len(gaps), "source"))
	}
	if checked := checkedLine(r); checked != "" {
		b.WriteString("\n" + checked)
	}
	if reached := accessLine(r); reached != "" {
		b.WriteString("\n" + reached)
	}
	summary := wrap(b.String(), width) + "\n"
	b.Reset()
	b.WriteString(summary)
	if r.Ignore != nil && len(r.Ignore.Stale) > 0 {
		b.WriteString("\nStale suppressions (they matched nothing in this run; delete them):\n")
		for _, e := range r.Ignore.Stale {
			b.WriteString(indentLines(wrap(staleLine(e), width-4), "  - ", "    ") + "\n")
		}
	}
	if r.Ignore != nil && r.Ignore.StaleNotJudged != "" {
		b.WriteString("\n" + wrap("Stale suppressions: "+r.Ignore.StaleNotJudged+".", width) + "\n")
	}
	if len(gaps) > 0 {
		b.WriteString("\nCould not check:\n")
		for _, g := range gaps {
			line := fmt.Sprintf("%s in %s: %s", g.Source, g.Scope, g.Status)
			if g.Error != "" {
				line += ": " + g.Error
			}
			b.WriteString(indentLines(wrap(line, width-4), "  - ", "    ") + "\n")
			if g.Hint != "" {
				hint := indentLines(wrap(g.Hint, width-6), "    → ", "      ")
				if o.Color {
					hint = ansiDim + hint + ansiReset
				}
				b.WriteString(hint + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// checkedLine sums the checks: "76 rules judged 1,240 resources: 9
// problems, 2 suppressed, 3 rules could not check everywhere."
func checkedLine(r *Report) string {
	c := r.Checked
	if c == nil {
		return ""
	}
	s := fmt.Sprintf("%s judged %s: %s", plural(c.Rules, "rule"), pluralN(c.Resources, "resource"), plural(c.Problems, "problem"))
	if c.Suppressed > 0 && r.Ignore != nil {
		s += fmt.Sprintf(", %d suppressed by %s", c.Suppressed, r.Ignore.File)
	}
	if c.CouldNotCheck > 0 {
		s += fmt.Sprintf(", %d could not check everywhere", c.CouldNotCheck)
	}
	return s + "."
}

// staleLine names a stale ignore entry.
func staleLine(e ignore.Entry) string {
	what := "fingerprint " + e.Fingerprint
	if e.Fingerprint == "" {
		what = "rule " + e.Rule
		for _, kv := range [][2]string{{"project", e.Project}, {"resource", e.Resource}, {"namespace", e.Namespace}, {"name", e.Name}} {
			if kv[1] != "" {
				what += ", " + kv[0] + " " + kv[1]
			}
		}
	}
	return fmt.Sprintf("%s:%d: %s (until %s): %s", e.File, e.Line, what, e.Expires.Format("2006-01-02"), e.Reason)
}

// pluralN is plural with thousands separated: "1,240 resources".
func pluralN(n int, word string) string {
	digits := strconv.Itoa(n)
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if n == 1 {
		return b.String() + " " + word
	}
	return b.String() + " " + word + "s"
}

// accessLine says how each cluster was reached: "Clusters reached:
// europe-west1/shop-eu via public (34.76.102.18), ...".
func accessLine(r *Report) string {
	var parts []string
	for _, a := range r.ClusterAccess {
		if a.Via == inventory.ViaNone {
			parts = append(parts, a.Cluster+" by no path (see below)")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s via %s (%s)", a.Cluster, a.Via, a.Endpoint))
	}
	if len(parts) == 0 {
		return ""
	}
	return "Clusters reached: " + strings.Join(parts, ", ") + "."
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// wrap breaks text into lines of at most width runes: at spaces where it
// can; a word longer than a line is broken after a separator (/ - . _ , =
// :) where it has one, else at the width. Nothing is lost.
func wrap(text string, width int) string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		line := []rune{}
		for _, word := range strings.Fields(para) {
			wr := []rune(word)
			if len(line) > 0 && len(line)+1+len(wr) <= width {
				line = append(append(line, ' '), wr...)
				continue
			}
			if len(line) > 0 {
				out = append(out, string(line))
			}
			for len(wr) > width {
				cut := width
				for i := width; i > width/2; i-- {
					if strings.ContainsRune("/-._,=:", wr[i-1]) {
						cut = i
						break
					}
				}
				out = append(out, string(wr[:cut]))
				wr = wr[cut:]
			}
			line = wr
		}
		out = append(out, string(line))
	}
	return strings.Join(out, "\n")
}

// indentLines prefixes the first line with first and the others with rest.
func indentLines(text, first, rest string) string {
	lines := strings.Split(text, "\n")
	for i := range lines {
		if i == 0 {
			lines[i] = first + lines[i]
		} else {
			lines[i] = rest + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// writeList renders each finding as a block, for narrow terminals: the
// problem wrapped, the fix as it is.
func writeList(w io.Writer, r *Report, width int, color bool) {
	for i, f := range r.Findings {
		head := strings.ToUpper(f.Severity.String())
		if color {
			head = severityCell(f.Severity, true)
			head = strings.Replace(head, f.Severity.String(), strings.ToUpper(f.Severity.String()), 1)
		}
		if f.Status != "" {
			head += " (" + f.Status + ")"
		}
		if im := ImpactText(f.Impact); im != "" {
			head += " [" + im + "]"
		}
		fmt.Fprintf(w, "[%d] %s %s\n", i+1, head, f.Rule)
		fmt.Fprintln(w, indentLines(wrap(strings.ReplaceAll(resourceCell(f.Resource), "\n", ", "), width-2), "  ", "  "))
		fmt.Fprintln(w, indentLines(wrap(f.Message, width-2), "  ", "  "))
		fmt.Fprintf(w, "  Fix:\n%s\n\n", f.Remediation)
	}
}
