package config

import (
	"strings"
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestSuppressionExpired(t *testing.T) {
	t.Parallel()
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	entries := []inventory.IgnoreEntry{
		{Line: 2, Fingerprint: "0123456789abcdef", Reason: "DR address kept on purpose", Owner: "net@example.com", Expires: day("2027-01-01")},
		{Line: 6, Rule: "address-unused", Project: ruletest.Project, Name: "legacy-*", Reason: "migration", Expires: day("2026-12-07")},
		{Line: 11, Rule: "address-unused", Project: "other-project", Reason: "not ours", Expires: day("2020-01-01")},
		{Line: 15, Rule: "address-unused", Project: "acme-*", Reason: "glob", Expires: day("2020-01-01")},
	}
	inv := ruletest.LBProject()
	inv.Ignores = &inventory.Ignores{File: ".lbdiag-ignore.yaml", Entries: entries, Now: day("2026-12-07").Add(9 * time.Hour)}
	// On 7 December 2026 at 09:00 UTC: the entry of line 2 holds (until
	// 1 January); line 6 ended at 00:00 that day; line 11 names another
	// project; line 15's glob matches the test project and ended in 2020.
	fs := ruletest.Run(t, inv, SuppressionExpired)
	ruletest.Expect(t, fs, "IgnoreEntry /.lbdiag-ignore.yaml:15: The suppression at .lbdiag-ignore.yaml:15 (rule address-unused, project acme-*) expired on 2020-01-01",
		"IgnoreEntry /.lbdiag-ignore.yaml:6: The suppression at .lbdiag-ignore.yaml:6 (rule address-unused, project "+ruletest.Project+", name legacy-*) expired on 2026-12-07")
	if fs[1].Key != "6" || fs[1].Evidence["reason"] != "migration" {
		t.Errorf("key %q evidence %v", fs[1].Key, fs[1].Evidence)
	}
	// The new date counts from the run's day, not from the old expiry
	// (2020-04-01 would be expired already).
	if !strings.HasSuffix(fs[0].Remediation, "set a new date: expires: 2027-03-07") {
		t.Errorf("remediation %q", fs[0].Remediation)
	}
	// Judged: the entries of lines 2, 6 and 15 (those naming this
	// project or none); 6 and 15 fail.
	ruletest.ExpectCounts(t, inv, SuppressionExpired, ruletest.Counts{Judged: 3, Passed: 1, Failed: 2})

	// One second before midnight, line 6 had not expired yet.
	inv.Ignores.Now = day("2026-12-07").Add(-time.Second)
	ruletest.Expect(t, ruletest.Run(t, inv, SuppressionExpired), ".lbdiag-ignore.yaml:15")
	// Without an ignore file the rule judges nothing.
	inv.Ignores = nil
	ruletest.ExpectCounts(t, inv, SuppressionExpired, ruletest.Counts{})
}
