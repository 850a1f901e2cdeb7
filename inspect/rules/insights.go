package rules

import (
	"sort"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// noteInsights, with --network-analyzer, says in a finding's evidence
// ("networkAnalyzer") that Network Analyzer was read where the finding's
// load balancer lives and has no active insight on its resources: lbdiag
// reports what Network Analyzer does not. Nothing is said when a location
// was not read (no insight is then unknown), when an insight speaks of
// one of the resources, or when one was attached to the finding.
func (x *enrichIndex) noteInsights(f *inspect.Finding, refs lbRefs) {
	inv := x.inv
	if f.Rule == "network-analyzer-insight" || f.Evidence["network-analyzer-insight"] != nil {
		return
	}
	var rels []string
	seen := map[string]bool{}
	for _, list := range [][]string{refs.urlMaps, refs.backends, refs.frs, {computeRelative(f.Resource)}} {
		for _, rel := range list {
			if rel != "" && !seen[rel] && inventory.ProjectOf(rel) == inv.Project {
				seen[rel] = true
				rels = append(rels, rel)
			}
		}
	}
	if len(rels) == 0 {
		return
	}
	locs := map[string]bool{}
	for _, rel := range rels {
		loc := inventory.InsightLocation(rel)
		if !inv.Known(inventory.RecommenderLBInsights, inventory.InsightScope(inv.Project, loc)) || len(inv.Insights.On(loc, rel)) > 0 {
			return
		}
		locs[loc] = true
	}
	where := make([]string, 0, len(locs))
	for l := range locs {
		where = append(where, l)
	}
	sort.Strings(where)
	sort.Strings(rels)
	if f.Evidence == nil {
		f.Evidence = map[string]any{}
	}
	f.Evidence["networkAnalyzer"] = map[string]any{"activeInsights": 0, "locations": where, "resources": rels,
		"note": "Network Analyzer was read in these locations and has no active load-balancer insight on these resources: it does not confirm this finding"}
}
