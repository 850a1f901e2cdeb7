package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/lbdiag/lbdiag/inspect"
)

// TableOptions control the human-readable report.
type TableOptions struct {
	// Width is the width to wrap to, in columns: 0 means 160, and less
	// than 40 means 40. Below 140, findings are listed as blocks.
	Width int
	// Color enables ANSI colours.
	Color bool
}

func (o TableOptions) widthOrDefault() int {
	if o.Width == 0 {
		return 160
	}
	return max(o.Width, 40)
}

// minTextColumn is the narrowest PROBLEM or FIX column.
const minTextColumn = 16

// narrowWidth is the width below which findings are listed one block each
// instead of as table rows: five columns do not fit.
const narrowWidth = 140

const (
	ansiRed    = "\x1b[31;1m"
	ansiYellow = "\x1b[33;1m"
	ansiBlue   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
	ansiReset  = "\x1b[0m"
)

// WriteTable writes one row per finding (errors first), then a summary line
// and the coverage gaps.
func WriteTable(w io.Writer, r *Report, o TableOptions) error {
	width := o.widthOrDefault()
	if width < narrowWidth {
		writeList(w, r, width, o.Color)
	} else if len(r.Findings) > 0 {
		// Content widths; each cell adds one space of padding either side.
		sev, rule, res := len("SEVERITY"), len("RULE"), len("RESOURCE")
		for _, f := range r.Findings {
			rule = max(rule, len(f.Rule))
			for _, l := range strings.Split(resourceCell(f.Resource), "\n") {
				res = max(res, len(l))
			}
		}
		// Five cells of padding (2 each) and six borders take 16 columns;
		// PROBLEM and FIX share what the other three leave, and those
		// three shrink (wrapping) on narrow terminals.
		content := width - 16
		rule, res = min(rule, 36), min(res, 34)
		for rule+res > max(content-sev-2*minTextColumn, 24) {
			if res >= rule {
				res--
			} else {
				rule--
			}
		}
		rest := content - sev - rule - res
		problem := max(min(rest*11/20, rest-minTextColumn), minTextColumn)
		fix := max(rest-problem, minTextColumn)
		widths := []int{sev, rule, res, problem, fix}
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
		table.Header("SEVERITY", "RULE", "RESOURCE", "PROBLEM", "FIX")
		for _, f := range r.Findings {
			cells := []string{f.Severity.String(), f.Rule, resourceCell(f.Resource), f.Message, f.Remediation}
			for i := range cells {
				cells[i] = wrap(cells[i], widths[i])
			}
			cells[0] = severityCell(f.Severity, o.Color)
			if err := table.Append(cells); err != nil {
				return err
			}
		}
		if err := table.Render(); err != nil {
			return err
		}
	}
	return writeSummary(w, r, o)
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
	if len(r.Findings) == 0 {
		fmt.Fprintf(&b, "No problems found in project %s", r.Project)
	} else {
		fmt.Fprintf(&b, "%s, %s, %s in project %s",
			plural(counts[inspect.Error], "error"), plural(counts[inspect.Warning], "warning"), plural(counts[inspect.Info], "info finding"), r.Project)
	}
	fmt.Fprintf(&b, " (%s inspected", plural(len(r.Clusters), "cluster"))
	if len(gaps) == 0 {
		b.WriteString("; every source was read).")
	} else {
		fmt.Fprintf(&b, "; %s could not be read, so some checks were not made: see below).", plural(len(gaps), "source"))
	}
	summary := wrap(b.String(), width) + "\n"
	b.Reset()
	b.WriteString(summary)
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

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// wrap breaks text into lines of at most width runes: at spaces where it
// can, inside a word where a word is longer than a line. Nothing is lost.
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
				out = append(out, string(wr[:width]))
				wr = wr[width:]
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

// writeList renders each finding as a block, for narrow terminals.
func writeList(w io.Writer, r *Report, width int, color bool) {
	for _, f := range r.Findings {
		head := strings.ToUpper(f.Severity.String())
		if color {
			head = severityCell(f.Severity, true)
			head = strings.Replace(head, f.Severity.String(), strings.ToUpper(f.Severity.String()), 1)
		}
		fmt.Fprintf(w, "%s %s\n", head, f.Rule)
		fmt.Fprintln(w, indentLines(wrap(strings.ReplaceAll(resourceCell(f.Resource), "\n", ", "), width-2), "  ", "  "))
		fmt.Fprintln(w, indentLines(wrap(f.Message, width-10), "  Problem ", "          "))
		fmt.Fprintln(w, indentLines(wrap(f.Remediation, width-10), "  Fix     ", "          "))
		fmt.Fprintln(w)
	}
}
