package rules

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// TestFamilyIsTheDirectory: the family read from a rule's check is the
// directory that declares it, for every rule.
func TestFamilyIsTheDirectory(t *testing.T) {
	t.Parallel()
	dir := map[string]string{}
	for _, d := range declaredRules(t) {
		dir[d.id] = d.family
	}
	for _, r := range All() {
		if got := Family(r); got != dir[r.ID] || got == "" {
			t.Errorf("Family(%s) = %q, declared in %q", r.ID, got, dir[r.ID])
		}
	}
	if got := Families(); !slices.Equal(got, families) {
		t.Errorf("Families() = %v, want %v", got, families)
	}
}

func TestSelect(t *testing.T) {
	t.Parallel()
	all := All()
	ids := func(rs []*inspect.Rule) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	tests := []struct {
		name string
		sel  Selection
		// keep says which rules of the catalogue the selection keeps.
		keep func(r *inspect.Rule) bool
	}{
		{"everything", Selection{}, func(*inspect.Rule) bool { return true }},
		{"two rules", Selection{Rules: []string{"address-unused", " quota-limit "}}, func(r *inspect.Rule) bool {
			return r.ID == "address-unused" || r.ID == "quota-limit"
		}},
		{"a family and a rule", Selection{Rules: []string{"gateway/*", "address-unused"}}, func(r *inspect.Rule) bool {
			return Family(r) == "gateway" || r.ID == "address-unused"
		}},
		{"all but a family", Selection{Skip: []string{"lb/*"}}, func(r *inspect.Rule) bool { return Family(r) != "lb" }},
		{"a family less one", Selection{Rules: []string{"network/*"}, Skip: []string{"quota-limit"}}, func(r *inspect.Rule) bool {
			return Family(r) == "network" && r.ID != "quota-limit"
		}},
		{"warnings and errors", Selection{MinSeverity: inspect.Warning}, func(r *inspect.Rule) bool { return r.Severity >= inspect.Warning }},
		{"errors of a family", Selection{Rules: []string{"ingress/*"}, MinSeverity: inspect.Error}, func(r *inspect.Rule) bool {
			return Family(r) == "ingress" && r.Severity == inspect.Error
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Select(all, tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, r := range all {
				if tc.keep(r) {
					want = append(want, r.ID)
				}
			}
			if !slices.Equal(ids(got), want) || len(want) == 0 {
				t.Errorf("got %v, want %v", ids(got), want)
			}
		})
	}
	for _, tc := range []struct {
		sel  Selection
		want string
	}{
		{Selection{Rules: []string{"adress-unused"}}, `--rules: no rule "adress-unused"; did you mean address-unused?`},
		{Selection{Skip: []string{"qota-limit"}}, `--skip-rules: no rule "qota-limit"; did you mean quota-limit?`},
		{Selection{Rules: []string{"gatway/*"}}, `--rules: no family "gatway" (families: config, events, gateway, ingress, lb, network); did you mean gateway/*?`},
		{Selection{Rules: []string{"lb"}}, `did you mean lb/*?`},
		{Selection{Rules: []string{"something-else-entirely"}}, `no rule "something-else-entirely" (lbdiag rules lists them)`},
	} {
		_, err := Select(all, tc.sel)
		var se *SelectionError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Select(%+v) = %v, want %q", tc.sel, err, tc.want)
		}
	}
}

// TestSkippedReads: a read is skipped when no selected rule needs it, and
// the whole catalogue needs every optional read.
func TestSkippedReads(t *testing.T) {
	t.Parallel()
	if got := SkippedReads(All()); len(got) != 0 {
		t.Errorf("the whole catalogue skips %v", got)
	}
	sel, _ := Select(All(), Selection{Rules: []string{"network/*"}})
	got := SkippedReads(sel)
	for _, s := range []inventory.Source{inventory.KubeEvents, inventory.KubePods, inventory.CertificateManagerMaps, inventory.LoggingRequests} {
		if !strings.Contains(got[s], "no selected rule needs it") {
			t.Errorf("%s: %q", s, got[s])
		}
	}
	// health-check-firewall-missing takes the instances behind VM backends
	// from getHealth.
	for _, s := range []inventory.Source{inventory.ComputeEffectiveFirewalls, inventory.ComputeProject, inventory.ComputeRegions, inventory.ComputeBackendHealth} {
		if _, skipped := got[s]; skipped {
			t.Errorf("%s is skipped, but a network rule needs it", s)
		}
	}
}
