package core

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lbdiag/lbdiag/internal/untrusted"
)

// Nearest returns the candidate closest to name when it is close enough to
// be a likely typo, else "".
func Nearest(name string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := editDistance(strings.ToLower(name), strings.ToLower(c))
		limit := max(2, len(name)/4)
		if d <= limit && (bestD < 0 || d < bestD || (d == bestD && c < best)) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// QuoteList renders names as `"a", "b"`, at most limit of them.
func QuoteList(names []string, limit int) string {
	var b strings.Builder
	for i, n := range names {
		if i == limit {
			fmt.Fprintf(&b, " and %d more", len(names)-limit)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", n)
	}
	return b.String()
}

func Contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func OrEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// Capitalize upper-cases the first letter of a message, unless it starts
// with a field path such as spec.securityPolicy.name.
func Capitalize(s string) string {
	first, _, _ := strings.Cut(s, " ")
	if s == "" || strings.Contains(first, ".") {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func MustJSON(v any) string {
	b, err := untrusted.Marshal(v, "")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func SortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ShellQuote makes s one single-quoted shell word: a value taken from an
// annotation can hold a quote, and a fix is pasted into a shell.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// safeName is a name Kubernetes or Compute Engine could hold: lower-case
// letters, digits, dashes and dots. It has nothing a shell or a heredoc
// gives a meaning to.
var safeName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)

// NameOr is name when it could name a Kubernetes or Compute Engine object,
// else placeholder: a name read from an annotation goes into a fix that is
// pasted into a shell, and an annotation is anyone's text.
func NameOr(name, placeholder string) string {
	if safeName.MatchString(name) {
		return name
	}
	return placeholder
}

// AnnotateServiceFix is the kubectl command that sets a Service's
// annotation to value (quoted for the shell).
func AnnotateServiceFix(ns, name, key, value string) string {
	return fmt.Sprintf("kubectl annotate service %s -n %s %s=%s --overwrite", name, ns, key, ShellQuote(value))
}

// HumanDuration renders an age for a message: "3 days", "5 hours", or,
// under two hours, minutes ("40m0s").
func HumanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + " days"
	case d >= 2*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	}
	return d.Round(time.Minute).String()
}
