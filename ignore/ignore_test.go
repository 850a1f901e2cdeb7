package ignore

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

var ids = []string{"address-unused", "backendconfig-missing", "suppression-expired"}

func day(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParse(t *testing.T) {
	t.Parallel()
	file := `# intentional configurations
suppressions:
  - fingerprint: 0123456789ABCDEF
    reason: "DR address, see INC-123"
    expires: 2027-03-01
    owner: net-team@example.com
  - rule: address-unused
    project: acme-*
    resource: Address
    name: legacy-*
    reason: kept until the migration ends
    expires: 2027-01-31T12:00:00+01:00
`
	got, err := Parse(".lbdiag-ignore.yaml", []byte(file), ids)
	if err != nil {
		t.Fatal(err)
	}
	want := []inventory.IgnoreEntry{
		{Line: 3, Fingerprint: "0123456789abcdef", Reason: "DR address, see INC-123", Owner: "net-team@example.com", Expires: day(t, "2027-03-01")},
		{Line: 7, Rule: "address-unused", Project: "acme-*", Kind: "Address", Name: "legacy-*", Reason: "kept until the migration ends",
			Expires: time.Date(2027, 1, 31, 11, 0, 0, 0, time.UTC)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	for _, empty := range []string{"", "# nothing yet\n", "suppressions:\n", "suppressions: []\n"} {
		if es, err := Parse("f", []byte(empty), ids); err != nil || len(es) != 0 {
			t.Errorf("Parse(%q) = %v, %v", empty, es, err)
		}
	}
}

// TestParseErrorsNameTheLine: every malformed file is an error naming its
// line; none suppresses nothing or everything silently.
func TestParseErrorsNameTheLine(t *testing.T) {
	t.Parallel()
	entry := "  - fingerprint: 0123456789abcdef\n    reason: r\n    expires: 2027-01-01\n"
	tests := []struct{ name, file, want string }{
		{"not YAML", "suppressions: [\n", "f:"},
		{"a list at the top", "- fingerprint: 0123456789abcdef\n", "f:1: want a mapping with a suppressions list"},
		{"a misspelt top key", "supressions:\n" + entry, "f:1: unknown key \"supressions\""},
		{"suppressions not a list", "suppressions:\n  fingerprint: x\n", "f:2: suppressions must be a list"},
		{"an entry not a mapping", "suppressions:\n  - 0123456789abcdef\n", "f:2: an entry must be a mapping"},
		{"a misspelt key", "suppressions:\n" + entry + "    experies: 2027-01-01\n", "f:5: unknown key \"experies\""},
		{"no reason", "suppressions:\n  - fingerprint: 0123456789abcdef\n    expires: 2027-01-01\n", "f:2: the entry gives no reason"},
		{"an empty reason", "suppressions:\n  - fingerprint: 0123456789abcdef\n    reason: \"  \"\n    expires: 2027-01-01\n", "f:2: the entry gives no reason"},
		{"no expires", "suppressions:\n  - fingerprint: 0123456789abcdef\n    reason: r\n", "f:2: the entry gives no expires date"},
		{"a bad date", "suppressions:\n  - fingerprint: 0123456789abcdef\n    reason: r\n    expires: next year\n", "f:4: expires \"next year\""},
		{"no selector", "suppressions:\n  - reason: r\n    expires: 2027-01-01\n", "f:2: the entry names neither a fingerprint nor a rule"},
		{"both", "suppressions:\n" + entry + "    rule: address-unused\n", "f:5: a fingerprint names one finding: give either fingerprint or rule"},
		{"a fingerprint with a selector", "suppressions:\n" + entry + "    name: web\n", "f:2: a fingerprint names one finding"},
		{"a short fingerprint", "suppressions:\n  - fingerprint: 0123abcd\n    reason: r\n    expires: 2027-01-01\n", "f:2: fingerprint \"0123abcd\" is not 16 hexadecimal digits"},
		{"an unknown rule", "suppressions:\n  - rule: adress-unused\n    reason: r\n    expires: 2027-01-01\n", "f:2: no rule \"adress-unused\"; did you mean address-unused?"},
		{"a bad glob", "suppressions:\n  - rule: address-unused\n    name: \"web-[\"\n    reason: r\n    expires: 2027-01-01\n", "f:3: name \"web-[\" is not a valid glob"},
		{"a list value", "suppressions:\n  - rule: address-unused\n    name: [a, b]\n    reason: r\n    expires: 2027-01-01\n", "f:3: name must be a single value"},
		{"a duplicate key", "suppressions:\n" + entry + "    reason: again\n", "f:5: reason is given twice in one entry (also on line 3)"},
		{"two lists", "suppressions:\n" + entry + "suppressions: []\n", "f:5: suppressions is given twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			es, err := Parse("f", []byte(tc.file), ids)
			var pe *Error
			if err == nil || !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse = %v, %v; want an error containing %q", es, err, tc.want)
			}
		})
	}
	if _, err := Parse("f", []byte(strings.Repeat("#", MaxSize+1)), ids); err == nil {
		t.Error("a file over MaxSize parsed")
	}
}

func finding(rule, project, kind, ns, name, fp string) inspect.Finding {
	return inspect.Finding{Rule: rule, Fingerprint: fp, Resource: inspect.Resource{Kind: kind, Project: project, Namespace: ns, Name: name}}
}

func TestMatches(t *testing.T) {
	t.Parallel()
	f := finding("address-unused", "acme-prod", "Address", "", "legacy-vip", "00000000000000aa")
	tests := []struct {
		e    inventory.IgnoreEntry
		want bool
	}{
		{inventory.IgnoreEntry{Fingerprint: "00000000000000aa"}, true},
		{inventory.IgnoreEntry{Fingerprint: "00000000000000ab"}, false},
		{inventory.IgnoreEntry{Rule: "address-unused"}, true},
		{inventory.IgnoreEntry{Rule: "backendconfig-missing"}, false},
		{inventory.IgnoreEntry{Rule: "address-unused", Project: "acme-*"}, true},
		{inventory.IgnoreEntry{Rule: "address-unused", Project: "acme"}, false},
		{inventory.IgnoreEntry{Rule: "address-unused", Kind: "address"}, true},
		{inventory.IgnoreEntry{Rule: "address-unused", Kind: "ForwardingRule"}, false},
		{inventory.IgnoreEntry{Rule: "address-unused", Name: "legacy-*"}, true},
		{inventory.IgnoreEntry{Rule: "address-unused", Name: "legacy"}, false},
		{inventory.IgnoreEntry{Rule: "address-unused", Namespace: "shop"}, false},
		{inventory.IgnoreEntry{Rule: "address-unused", Namespace: "*"}, true},
	}
	for _, tc := range tests {
		if got := Matches(tc.e, f); got != tc.want {
			t.Errorf("Matches(%+v) = %v, want %v", tc.e, got, tc.want)
		}
	}
}

// TestApplyDates: an entry suppresses until 00:00 UTC of its date, then
// stops; the first active entry is the one reported; an expired entry's
// suppression-expired finding stays only where the entry still names a
// finding.
func TestApplyDates(t *testing.T) {
	t.Parallel()
	fs := []inspect.Finding{
		finding("address-unused", "acme-prod", "Address", "", "legacy-vip", "00000000000000aa"),
		finding("address-unused", "acme-prod", "Address", "", "spare", "00000000000000bb"),
		finding("backendconfig-missing", "acme-prod", "Service", "shop", "web", "00000000000000cc"),
		{Rule: ExpiredRuleID, Key: "9", Resource: inspect.Resource{Kind: "IgnoreEntry", Name: "f:9"}},
		{Rule: ExpiredRuleID, Key: "12", Resource: inspect.Resource{Kind: "IgnoreEntry", Name: "f:12"}},
	}
	ig := &inventory.Ignores{File: "f", Entries: []inventory.IgnoreEntry{
		{Line: 3, Fingerprint: "00000000000000aa", Reason: "DR", Expires: day(t, "2027-01-01")},
		{Line: 6, Rule: "address-unused", Reason: "all of them", Expires: day(t, "2026-12-08")},
		{Line: 9, Rule: "backendconfig-missing", Reason: "lapsed", Expires: day(t, "2026-12-01")},
		{Line: 12, Rule: "address-unused", Name: "gone-*", Reason: "lapsed, names nothing", Expires: day(t, "2026-12-01")},
	}}
	names := func(r Result) (kept, suppressed []string) {
		for _, f := range r.Kept {
			kept = append(kept, f.Resource.Name)
		}
		for _, s := range r.Suppressed {
			suppressed = append(suppressed, s.Resource.Name+"@"+strconv.Itoa(s.SuppressedBy.Line))
		}
		return kept, suppressed
	}
	// 7 December, 23:59:59 UTC: lines 3 and 6 hold; 9 and 12 lapsed.
	r := Apply(ig, fs, day(t, "2026-12-08").Add(-time.Second))
	kept, suppressed := names(r)
	if strings.Join(kept, ",") != "web,f:9" || strings.Join(suppressed, ",") != "legacy-vip@3,spare@6" {
		t.Errorf("kept %v suppressed %v", kept, suppressed)
	}
	if !r.Used[3] || !r.Used[6] || !r.Used[9] || r.Used[12] {
		t.Errorf("used %v", r.Used)
	}
	if st := Stale(ig, r.Used); len(st) != 1 || st[0].Line != 12 {
		t.Errorf("stale %+v", st)
	}
	// 8 December, 00:00 UTC: line 6 has ended too; spare is back.
	kept, suppressed = names(Apply(ig, fs, day(t, "2026-12-08")))
	if strings.Join(kept, ",") != "spare,web,f:9" || strings.Join(suppressed, ",") != "legacy-vip@3" {
		t.Errorf("kept %v suppressed %v", kept, suppressed)
	}
	// An entry used in another project of the run is not stale.
	if st := Stale(ig, r.Used, map[int]bool{12: true}); len(st) != 0 {
		t.Errorf("stale %+v", st)
	}
}

// TestSnippetParsesBack: what lbdiag ignore prints is an entry the parser
// reads back as it was given, quotes and all.
func TestSnippetParsesBack(t *testing.T) {
	t.Parallel()
	reason := `kept for "DR": see INC-123 # not a comment` + "\nsecond line"
	// A resource name from a report cannot add lines to the entry.
	s := Snippet("0123456789abcdef", reason, "net@example.com", day(t, "2027-03-01"), "address-unused: Address legacy-vip\n  - rule: quota-limit\n    reason: x\n    expires: 2099-01-01")
	es, err := Parse("f", []byte("suppressions:\n"+s), ids)
	if err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	if len(es) != 1 || es[0].Reason != reason || es[0].Owner != "net@example.com" || !es[0].Expires.Equal(day(t, "2027-03-01")) {
		t.Errorf("parsed %+v from\n%s", es, s)
	}
}
