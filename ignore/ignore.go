// Package ignore reads lbdiag's ignore file and applies it: each entry
// suppresses the findings it names (a fingerprint, or a rule with optional
// project, kind, namespace and name globs) until its end date, for a
// stated reason. A suppressed finding leaves the table, the exit code and
// the alerts, and stays in the JSON report with its entry; an expired entry
// stops suppressing (the rule suppression-expired says so); an entry that
// matched nothing in a whole run is stale.
//
// The file is strict: a malformed one is an error that names its line, so
// that a typo never suppresses nothing, or everything.
package ignore

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
)

// DefaultFile is read from the working directory when --ignore-file is not
// given and it exists.
const DefaultFile = ".lbdiag-ignore.yaml"

// MaxSize bounds the file lbdiag reads.
const MaxSize = 1 << 20

// Error is a malformed ignore file: where and what.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

var fingerprintPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

// ValidFingerprint reports whether s is a finding's fingerprint: 16
// lower-case hexadecimal digits.
func ValidFingerprint(s string) bool { return fingerprintPattern.MatchString(s) }

// keys are an entry's fields; any other key is an error (a misspelt
// "expires" must not go unnoticed).
var keys = []string{"fingerprint", "rule", "project", "resource", "namespace", "name", "reason", "expires", "owner"}

// Parse reads an ignore file: a mapping whose "suppressions" key holds a
// list of entries. ruleIDs are the catalogue's IDs, which a selector's rule
// must be one of. An empty file has no entries.
func Parse(file string, data []byte, ruleIDs []string) ([]inventory.IgnoreEntry, error) {
	fail := func(line int, format string, args ...any) error {
		return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	if len(data) > MaxSize {
		return nil, fail(0, "the file is larger than %d bytes", MaxSize)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil // an empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fail(root.Line, "want a mapping with a suppressions list, such as\n  suppressions:\n    - fingerprint: 0123456789abcdef\n      reason: ...\n      expires: 2027-01-31")
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "suppressions" {
			return nil, fail(k.Line, "unknown key %q (the file holds one key, suppressions)", k.Value)
		}
		if list != nil {
			return nil, fail(k.Line, "suppressions is given twice")
		}
		list = v
	}
	if list == nil || (list.Kind == yaml.ScalarNode && list.Tag == "!!null") {
		return nil, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fail(list.Line, "suppressions must be a list of entries")
	}
	var out []inventory.IgnoreEntry
	for _, item := range list.Content {
		e, err := parseEntry(item, ruleIDs, fail)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func parseEntry(item *yaml.Node, ruleIDs []string, fail func(int, string, ...any) error) (inventory.IgnoreEntry, error) {
	e := inventory.IgnoreEntry{Line: item.Line}
	if item.Kind != yaml.MappingNode {
		return e, fail(item.Line, "an entry must be a mapping (fingerprint or rule, reason, expires)")
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(item.Content); i += 2 {
		k, v := item.Content[i], item.Content[i+1]
		if !slices.Contains(keys, k.Value) {
			return e, fail(k.Line, "unknown key %q (want one of %s)", k.Value, strings.Join(keys, ", "))
		}
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return e, fail(v.Line, "%s must be a single value", k.Value)
		}
		if prev := seen[k.Value]; prev != nil {
			return e, fail(k.Line, "%s is given twice in one entry (also on line %d)", k.Value, prev.Line)
		}
		seen[k.Value] = v
	}
	str := func(k string) string {
		if v := seen[k]; v != nil {
			return strings.TrimSpace(v.Value)
		}
		return ""
	}
	line := func(k string) int {
		if v := seen[k]; v != nil {
			return v.Line
		}
		return item.Line
	}
	e.Fingerprint, e.Rule, e.Project, e.Kind = strings.ToLower(str("fingerprint")), str("rule"), str("project"), str("resource")
	e.Namespace, e.Name, e.Reason, e.Owner = str("namespace"), str("name"), str("reason"), str("owner")
	switch {
	case e.Fingerprint == "" && e.Rule == "":
		return e, fail(item.Line, "the entry names neither a fingerprint nor a rule")
	case e.Fingerprint != "" && e.Rule != "":
		return e, fail(line("rule"), "a fingerprint names one finding: give either fingerprint or rule (with project, resource, namespace, name), not both")
	case e.Fingerprint != "" && (e.Project != "" || e.Kind != "" || e.Namespace != "" || e.Name != ""):
		return e, fail(item.Line, "a fingerprint names one finding: project, resource, namespace and name go with rule")
	case e.Fingerprint != "" && !ValidFingerprint(e.Fingerprint):
		return e, fail(line("fingerprint"), "fingerprint %q is not 16 hexadecimal digits (copy it from the report, or use lbdiag ignore)", e.Fingerprint)
	case e.Reason == "":
		return e, fail(item.Line, "the entry gives no reason: say why the finding is intentional")
	case seen["expires"] == nil:
		return e, fail(item.Line, "the entry gives no expires date (YYYY-MM-DD): every suppression ends")
	}
	if e.Rule != "" && !slices.Contains(ruleIDs, e.Rule) {
		return e, fail(line("rule"), "no rule %q%s", e.Rule, suggest(e.Rule, ruleIDs))
	}
	for _, k := range []string{"project", "namespace", "name"} {
		if g := str(k); g != "" {
			if _, err := path.Match(g, ""); err != nil {
				return e, fail(line(k), "%s %q is not a valid glob", k, g)
			}
		}
	}
	exp, err := ParseExpires(str("expires"))
	if err != nil {
		return e, fail(line("expires"), "%v", err)
	}
	e.Expires = exp
	return e, nil
}

// ParseExpires reads an end date: YYYY-MM-DD (00:00 UTC of that day, when
// the entry stops suppressing) or an RFC 3339 time.
func ParseExpires(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("expires %q: want a date, YYYY-MM-DD", s)
}

func suggest(name string, ids []string) string {
	if n := core.Nearest(name, ids); n != "" {
		return "; did you mean " + n + "?"
	}
	return ""
}

// Matches reports whether the entry names the finding (expired or not).
func Matches(e inventory.IgnoreEntry, f inspect.Finding) bool {
	if e.Fingerprint != "" {
		return e.Fingerprint == f.Fingerprint
	}
	glob := func(pattern, v string) bool {
		if pattern == "" {
			return true
		}
		ok, _ := path.Match(pattern, v)
		return ok
	}
	return e.Rule == f.Rule && glob(e.Project, f.Resource.Project) && (e.Kind == "" || strings.EqualFold(e.Kind, f.Resource.Kind)) &&
		glob(e.Namespace, f.Resource.Namespace) && glob(e.Name, f.Resource.Name)
}

// Suppressed is a finding an entry suppressed.
type Suppressed struct {
	inspect.Finding
	SuppressedBy Entry `json:"suppressedBy"`
}

// Entry is an entry as reports show it.
type Entry struct {
	File        string    `json:"file"`
	Line        int       `json:"line"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	Rule        string    `json:"rule,omitempty"`
	Project     string    `json:"project,omitempty"`
	Resource    string    `json:"resource,omitempty"`
	Namespace   string    `json:"namespace,omitempty"`
	Name        string    `json:"name,omitempty"`
	Reason      string    `json:"reason"`
	Owner       string    `json:"owner,omitempty"`
	Expires     time.Time `json:"expires"`
}

// EntryOf is the reported form of an entry of file.
// Its texts are escaped and bounded: a file may be anyone's (a bucket's).
func EntryOf(file string, e inventory.IgnoreEntry) Entry {
	esc := func(s string) string { return untrusted.Escape(untrusted.Bound(s, untrusted.MaxValue)) }
	return Entry{File: esc(file), Line: e.Line, Fingerprint: e.Fingerprint, Rule: e.Rule, Project: esc(e.Project), Resource: esc(e.Kind),
		Namespace: esc(e.Namespace), Name: esc(e.Name), Reason: untrusted.Clean(e.Reason), Owner: esc(e.Owner), Expires: e.Expires}
}

// Result is what the file did to one project's findings.
type Result struct {
	// Kept are the findings no active entry names, Suppressed the others.
	Kept       []inspect.Finding
	Suppressed []Suppressed
	// Used are the lines of the entries that matched a finding, active or
	// expired.
	Used map[int]bool
}

// Apply splits findings by the file's entries at now: the first active
// entry that names a finding suppresses it. An expired entry suppresses
// nothing; a suppression-expired finding about it is kept only where the
// entry still names a finding (elsewhere the entry is merely stale).
func Apply(ig *inventory.Ignores, findings []inspect.Finding, now time.Time) Result {
	res := Result{Used: map[int]bool{}}
	if ig == nil || len(ig.Entries) == 0 {
		res.Kept = findings
		return res
	}
	for _, f := range findings {
		var by *inventory.IgnoreEntry
		for i := range ig.Entries {
			e := &ig.Entries[i]
			if !Matches(*e, f) {
				continue
			}
			res.Used[e.Line] = true
			if by == nil && !e.Expired(now) {
				by = e
			}
		}
		if by != nil {
			res.Suppressed = append(res.Suppressed, Suppressed{Finding: f, SuppressedBy: EntryOf(ig.File, *by)})
			continue
		}
		res.Kept = append(res.Kept, f)
	}
	kept := res.Kept[:0]
	for _, f := range res.Kept {
		if f.Rule == ExpiredRuleID {
			if line, err := strconv.Atoi(f.Key); err == nil && !res.Used[line] {
				continue
			}
		}
		kept = append(kept, f)
	}
	res.Kept = kept
	return res
}

// ExpiredRuleID is the rule that reports expired entries.
const ExpiredRuleID = "suppression-expired"

// Stale returns the entries no finding of the run matched, given the
// lines each project used.
func Stale(ig *inventory.Ignores, used ...map[int]bool) []Entry {
	if ig == nil {
		return nil
	}
	var out []Entry
	for _, e := range ig.Entries {
		hit := false
		for _, u := range used {
			if u[e.Line] {
				hit = true
				break
			}
		}
		if !hit {
			out = append(out, EntryOf(ig.File, e))
		}
	}
	return out
}

// Snippet is the entry lbdiag ignore prints for a fingerprint: YAML to
// append under suppressions, its strings quoted.
func Snippet(fingerprint, reason, owner string, expires time.Time, comment string) string {
	var b strings.Builder
	// The comment quotes a report's resource: one line, whatever it holds.
	if comment = strings.Join(strings.Fields(untrusted.Escape(untrusted.Bound(comment, untrusted.MaxValue))), " "); comment != "" {
		fmt.Fprintf(&b, "  # %s\n", comment)
	}
	fmt.Fprintf(&b, "  - fingerprint: %s\n    reason: %s\n    expires: %s\n", fingerprint, quote(reason), expires.UTC().Format(time.DateOnly))
	if owner != "" {
		fmt.Fprintf(&b, "    owner: %s\n", quote(owner))
	}
	return b.String()
}

// quote writes s as a YAML double-quoted scalar: Go's escapes (\n, \t,
// \x.., \u....) are YAML's too.
func quote(s string) string { return strconv.Quote(s) }
