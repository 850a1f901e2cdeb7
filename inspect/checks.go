package inspect

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
)

// What a rule checked, and what it could not: a rule calls Judge for every
// resource it decides on (its findings' resources count as judged), and
// asks the pass, not the inventory, whether a source was read where its
// verdict depends on it (Known, KnownObject, KnownResource,
// ClusterListComplete), so that each place it could not decide is counted
// with its reason. An auditor reads the result as the report's checks;
// --explain-passed reads the verdicts.

// Check is one rule's account of a run.
type Check struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	// Judged is the number of resources the rule decided on; Passed of
	// them had no finding, Failed had one (Suppressed of those were
	// muted by the ignore file).
	Judged     int `json:"judged"`
	Passed     int `json:"passed"`
	Failed     int `json:"failed"`
	Suppressed int `json:"suppressed,omitempty"`
	// CouldNotCheck is the number of places (a cluster, a project, a VPC,
	// an object) where the rule could not decide, because what its verdict
	// rests on was not read; Reasons say why (at most maxReasons, then how
	// many more).
	CouldNotCheck int      `json:"couldNotCheck"`
	Reasons       []string `json:"reasons,omitempty"`
	// Gaps are the places of CouldNotCheck with their reasons, for
	// --explain-passed.
	Gaps []CheckGap `json:"-"`
}

// CheckGap is one place a rule could not decide.
type CheckGap struct {
	Scope  string
	Reason string
}

// Verdict is one rule's judgement of one resource. Resource points into
// the run's table of judged resources, which the verdicts share: a big
// project has hundreds of thousands of verdicts on a quarter as many
// resources. Treat it as read-only.
type Verdict struct {
	Rule     string
	Resource *Resource
	// Failed is set when the rule reported a finding on the resource.
	Failed bool
}

const maxReasons = 5

// Judge records that the rule decided on res: it passes unless the rule
// reports a finding on it. Call it for every resource the rule's test
// applies to, before or after deciding.
func (p *Pass) Judge(res Resource) {
	// Repeats are dropped once, when the rule is done (account); a repeat
	// of the last one here.
	if len(p.judged) > 0 && p.lastJudged == res {
		return
	}
	p.judged = append(p.judged, p.shared.resources.id(res))
	p.lastJudged = res
}

// Known reports whether source was read completely in scope, and, when
// not, records that the rule could not check there.
func (p *Pass) Known(source inventory.Source, scope string) bool {
	if p.Inventory.Known(source, scope) {
		return true
	}
	p.noteUnknown(source, scope)
	return false
}

// KnownObject is Inventory.KnownObject, recording the place it is false.
func (p *Pass) KnownObject(source inventory.Source, cl *inventory.Cluster, resource, ns, name string) bool {
	if p.Inventory.KnownObject(source, cl, resource, ns, name) {
		return true
	}
	if !p.Inventory.Known(source, cl.Scope()) {
		p.noteUnknown(source, cl.Scope())
	} else {
		p.noteUnknown(source, inventory.ObjectScope(cl.Scope(), resource, ns, name))
	}
	return false
}

// KnownResource is Inventory.KnownResource, recording the place it is
// false.
func (p *Pass) KnownResource(source inventory.Source, url string) bool {
	if p.Inventory.KnownResource(source, url) {
		return true
	}
	p.noteUnknown(source, inventory.ProjectScope(inventory.ProjectOf(url)))
	return false
}

// ClusterListComplete is Inventory.ClusterListComplete, recording that
// the rule could not check the project when it is false.
func (p *Pass) ClusterListComplete() bool {
	if p.Inventory.ClusterListComplete() {
		return true
	}
	p.noteUnknown(inventory.GKEClusters, inventory.ProjectScope(p.Inventory.Project))
	return false
}

func (p *Pass) noteUnknown(source inventory.Source, scope string) {
	g := unknownRead{source, scope}
	if n := len(p.captures); n > 0 {
		p.captures[n-1] = append(p.captures[n-1], g)
		return
	}
	if p.unknown == nil {
		p.unknown = map[unknownRead]bool{}
	}
	if !p.unknown[g] {
		p.unknown[g] = true
		p.unknownOrder = append(p.unknownOrder, g)
	}
}

// unknownRead is a source a rule needed and was not read in a scope.
type unknownRead struct {
	source inventory.Source
	scope  string
}

// reason says why the source is unknown in scope, from the coverage.
func (u unknownRead) reason(inv *inventory.Inventory) string {
	if u.source == inventory.GKEClusters && u.scope == inventory.ProjectScope(inv.Project) && inv.ClustersSelected {
		return "--cluster narrowed the run, so not every cluster was read"
	}
	for _, c := range inv.Coverage {
		if c.Source == u.source && c.Scope == u.scope && !c.Complete() {
			r := string(c.Source) + " " + string(c.Status)
			switch {
			case c.Error != "":
				r += ": " + c.Error
			case c.Detail != "":
				r += ": " + c.Detail
			}
			return untrusted.Bound(r, 300)
		}
	}
	if c, ok := clusterDown(inv, u.scope); ok {
		return untrusted.Bound("the cluster's API could not be read: "+c.Error, 300)
	}
	return string(u.source) + " was not read"
}

// clusterDown finds the kubernetes.api gap of the cluster a scope is in.
func clusterDown(inv *inventory.Inventory, scope string) (inventory.Coverage, bool) {
	for _, c := range inv.Coverage {
		if c.Source == inventory.KubeAPI && !c.Complete() && (scope == c.Scope || strings.HasPrefix(scope, c.Scope+"/")) {
			return c, true
		}
	}
	return inventory.Coverage{}, false
}

// account builds the rule's check and its verdicts, numbered (see
// resourceTable).
func (p *Pass) account() (Check, []uint32) {
	r, inv := p.rule, p.Inventory
	c := Check{Rule: r.ID, Severity: r.Severity}
	failed := make(map[uint32]bool, len(p.findings))
	for _, f := range p.findings {
		p.Judge(f.Resource)
		failed[p.judged[len(p.judged)-1]] = true
	}
	// The judged resources in the order first judged, each once.
	seen := make(map[uint32]struct{}, len(p.judged))
	verdicts := make([]uint32, 0, len(p.judged))
	for _, id := range p.judged {
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = struct{}{}
		if failed[id] {
			id |= verdictFailed
		}
		verdicts = append(verdicts, id)
	}
	p.judged = nil
	c.Judged, c.Failed = len(verdicts), len(failed)
	c.Passed = c.Judged - c.Failed
	for _, u := range p.unknownOrder {
		c.Gaps = append(c.Gaps, CheckGap{Scope: u.scope, Reason: u.reason(inv)})
	}
	for _, s := range p.skipped {
		if s.Status == inventory.StatusUnknown || s.Status == inventory.StatusError {
			c.Gaps = append(c.Gaps, CheckGap{Scope: s.Scope, Reason: untrusted.Bound(s.Error, 300)})
		}
	}
	c.CouldNotCheck = len(c.Gaps)
	c.Reasons = summarizeGaps(c.Gaps)
	return c, verdicts
}

// summarizeGaps lists the distinct reasons of a rule's gaps with where
// they hold, the commonest first, at most maxReasons of them.
func summarizeGaps(gaps []CheckGap) []string {
	if len(gaps) == 0 {
		return nil
	}
	where := map[string][]string{}
	var order []string
	for _, g := range gaps {
		if _, ok := where[g.Reason]; !ok {
			order = append(order, g.Reason)
		}
		where[g.Reason] = append(where[g.Reason], g.Scope)
	}
	sort.SliceStable(order, func(i, j int) bool { return len(where[order[i]]) > len(where[order[j]]) })
	var out []string
	for i, reason := range order {
		if i == maxReasons {
			out = append(out, fmt.Sprintf("and %d more reasons", len(order)-maxReasons))
			break
		}
		scopes := where[reason]
		s := scopes[0]
		if len(scopes) > 1 {
			s = fmt.Sprintf("%s and %d more", s, len(scopes)-1)
		}
		out = append(out, s+": "+reason)
	}
	return out
}

// Totals sums the checks of a run: the rules that ran, the distinct
// resources they judged, and the rules that could not check somewhere.
type Totals struct {
	Rules, Resources, CouldNotCheck int
}

// TotalsOf sums checks and verdicts.
func TotalsOf(checks []Check, verdicts []Verdict) Totals {
	t := Totals{Rules: len(checks)}
	seen := map[Resource]bool{}
	for _, v := range verdicts {
		seen[*v.Resource] = true
	}
	t.Resources = len(seen)
	for _, c := range checks {
		if c.CouldNotCheck > 0 {
			t.CouldNotCheck++
		}
	}
	return t
}
