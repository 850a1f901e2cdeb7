package inspect

import (
	"slices"
	"strings"
	"testing"
)

// TestAttach: findings fold into the first finding of the rules they
// name that fired; a symptom with no cause stands and takes the evidence
// meant for it; nothing folds into a finding that moved.
func TestAttach(t *testing.T) {
	t.Parallel()
	bs := Resource{Kind: "BackendService", Project: "p", Location: "global", Name: "web"}
	ing := Resource{Kind: "Ingress", Project: "p", Cluster: "c", Namespace: "shop", Name: "site"}
	f := func(rule string, r Resource, to ...Attachment) Finding {
		x := Finding{Rule: rule, Resource: r, Message: rule, Evidence: map[string]any{"from": rule}}
		if len(to) > 0 {
			x.AttachTo = &Attachment{Rule: to[0].Rule, Resource: to[0].Resource, Or: to[1:]}
			x.AttachNote = "note of " + rule
		}
		return x
	}
	// backend-unhealthy folds into a cause; the probe logs into the cause,
	// else into backend-unhealthy.
	unhealthy := func() Finding {
		return f("backend-unhealthy", bs, Attachment{Rule: "health-check-firewall-missing", Resource: ing}, Attachment{Rule: "health-check-port-mismatch", Resource: bs})
	}
	probes := func() Finding {
		return f("lb-traffic-errors", bs, Attachment{Rule: "health-check-firewall-missing", Resource: ing}, Attachment{Rule: "backend-unhealthy", Resource: bs})
	}
	tests := []struct {
		name string
		in   []Finding
		// want lists the rules left, each with the rules folded into it.
		want map[string][]string
		// severity, when set, is the one row's severity.
		severity Severity
	}{
		{name: "cause fired: the symptom and the logs fold into it",
			in:   []Finding{unhealthy(), probes(), f("health-check-firewall-missing", ing)},
			want: map[string][]string{"health-check-firewall-missing": {"backend-unhealthy", "lb-traffic-errors"}}},
		{name: "no cause: the logs fold into the symptom",
			in:   []Finding{unhealthy(), probes()},
			want: map[string][]string{"backend-unhealthy": {"lb-traffic-errors"}}},
		{name: "no cause, logs listed first",
			in:   []Finding{probes(), unhealthy()},
			want: map[string][]string{"backend-unhealthy": {"lb-traffic-errors"}}},
		{name: "second candidate",
			in:   []Finding{unhealthy(), f("health-check-port-mismatch", bs)},
			want: map[string][]string{"health-check-port-mismatch": {"backend-unhealthy"}}},
		{name: "an error folded into a warning's row makes it an error",
			in: []Finding{func() Finding { x := unhealthy(); x.Severity = Error; return x }(),
				func() Finding { x := f("health-check-port-mismatch", bs); x.Severity = Warning; return x }()},
			want: map[string][]string{"health-check-port-mismatch": {"backend-unhealthy"}}, severity: Error},
		{name: "nothing to fold into",
			in:   []Finding{f("lb-sync-error", ing, Attachment{Rule: "backendconfig-missing", Resource: ing})},
			want: map[string][]string{"lb-sync-error": nil}},
		{name: "two findings naming each other: one takes the other",
			in:   []Finding{f("a", bs, Attachment{Rule: "b", Resource: bs}), f("b", bs, Attachment{Rule: "a", Resource: bs})},
			want: map[string][]string{"b": {"a"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := attach(tc.in)
			got := map[string][]string{}
			for _, x := range out {
				var folded []string
				for k := range x.Evidence {
					if k != "from" {
						folded = append(folded, k)
					}
				}
				slices.Sort(folded)
				got[x.Rule] = folded
			}
			if len(got) != len(tc.want) {
				t.Fatalf("left %v, want %v", got, tc.want)
			}
			for rule, folded := range tc.want {
				if g, ok := got[rule]; !ok || !slices.Equal(g, folded) {
					t.Errorf("%s holds %v, want %v (all: %v)", rule, g, folded, got)
				}
			}
			if tc.severity != 0 && (len(out) != 1 || out[0].Severity != tc.severity) {
				t.Errorf("severity %v, want %v", out[0].Severity, tc.severity)
			}
			for _, x := range out {
				for _, r := range tc.want[x.Rule] {
					if !strings.Contains(x.Message, "note of "+r) {
						t.Errorf("%s's message %q lacks the note of %s", x.Rule, x.Message, r)
					}
				}
			}
		})
	}
}
