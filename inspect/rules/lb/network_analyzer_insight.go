package lb

import (
	"fmt"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// NetworkAnalyzerInsight reports Network Analyzer's active load-balancer
// insights, as a second opinion: each one joins lbdiag's finding on the
// same resource as evidence, and stands on its own, unconfirmed, when
// lbdiag has none.
var NetworkAnalyzerInsight = &inspect.Rule{
	ID:         "network-analyzer-insight",
	Severity:   inspect.Warning,
	JudgesOnly: inventory.RecommenderLBInsights,
	Needs:      []inventory.Source{inventory.RecommenderLBInsights},
	Title:      "Network Analyzer has no active load-balancer insight that lbdiag's own findings do not show (--network-analyzer)",
	Doc: inspect.Doc{
		Why: `With --network-analyzer, lbdiag reads Network Analyzer's load-balancer insights (Recommender insight type google.networkanalyzer.networkservices.loadBalancerInsight) in "global" and every region of the project's load balancers. Network Analyzer checks the deployed configuration on its own schedule: health-check firewalls not configured, blocking, partially blocking or inconsistent across backends (HEALTH_CHECK_FIREWALL_*), health checks probing another port than the backends serve (HEALTH_CHECK_PORT_MISMATCH), balancing modes that break session affinity (BALANCING_MODE_BREAKS_SESSION_AFFINITY). An active insight on a resource lbdiag reports on becomes evidence of lbdiag's finding; one lbdiag has no finding for is reported here, with its description, as not confirmed by lbdiag, and says which of lbdiag's rules checked the same thing and found no problem, when one did. The other way round, a finding of lbdiag on a load balancer whose location was read and has no insight says so in its evidence (networkAnalyzer). Only ACTIVE insights count: accepted and dismissed ones are someone's decision. A location whose read failed (the Recommender API disabled, the permission denied) is a coverage gap, never "no insight".`,
		Fix: `Read the insight (gcloud recommender insights describe ID --insight-type=google.networkanalyzer.networkservices.loadBalancerInsight --location=LOCATION --project=PROJECT), check what it names against the resource, and fix the configuration; when the insight is wrong or accepted, mark it (gcloud recommender insights mark-accepted) so that it stops being ACTIVE.`,
		Sources: []string{"Network Analyzer load balancer insights (" + docNALBInsights + ")",
			"Network Analyzer insight groups and types: loadBalancerInsight subtypes (cloud.google.com/network-intelligence-center/docs/network-analyzer/insight-groups-types)",
			"Recommender API: projects.locations.insightTypes.insights.list (cloud.google.com/recommender/docs/reference/rest/v1/projects.locations.insightTypes.insights/list)"},
		URL: docNALBInsights,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		ins := inv.Insights
		if ins == nil {
			// Insights asked for (--network-analyzer) and not read are a
			// place the rule could not check; not asked for, they are not.
			for _, c := range inv.Coverage {
				if c.Source == inventory.RecommenderLBInsights && c.Status != inventory.StatusSkipped {
					p.Known(inventory.RecommenderLBInsights, c.Scope)
				}
			}
			return
		}
		read := map[string]bool{}
		for _, loc := range ins.Locations {
			read[loc] = p.Known(inventory.RecommenderLBInsights, inventory.InsightScope(inv.Project, loc))
		}
		// Judged: the project's load balancers in the locations read;
		// each passes unless an active insight speaks of it (the finding
		// judges the insight's first resource; the others it names have
		// not passed).
		named := map[inspect.Resource]bool{}
		for _, loc := range ins.Locations {
			for _, in := range ins.ByLocation[loc] {
				if !read[loc] || !in.Active() {
					continue
				}
				for _, rel := range in.Resources {
					if r, ok := insightResource(rel); ok {
						named[r] = true
					}
				}
			}
		}
		judge := func(kind, link string) {
			if r := core.ResourceOf(kind, link); inventory.ProjectOf(link) == inv.Project && read[inventory.InsightLocation(link)] && !named[r] {
				p.Judge(r)
			}
		}
		for _, x := range inv.Compute.URLMaps {
			judge("UrlMap", x.SelfLink)
		}
		for _, x := range inv.Compute.BackendServices {
			judge("BackendService", x.SelfLink)
		}
		for _, x := range inv.Compute.ForwardingRules {
			judge("ForwardingRule", x.SelfLink)
		}
		for _, loc := range ins.Locations {
			if !read[loc] {
				continue
			}
			for _, in := range ins.ByLocation[loc] {
				if in.Active() {
					p.Report(insightFinding(p, in))
				}
			}
		}
	},
}

const docNALBInsights = "https://cloud.google.com/network-intelligence-center/docs/network-analyzer/insights/network-services/load-balancer"

// insightRules are lbdiag's rules that check what an insight subtype
// says, by subtype prefix: an insight joins their finding first, and
// their passing verdict is lbdiag's disagreement.
var insightRules = []struct {
	prefix string
	rules  []string
}{
	{"HEALTH_CHECK_FIREWALL_", []string{"health-check-firewall-missing", "l4-health-check-firewall-missing", "backend-unhealthy"}},
	{"HEALTH_CHECK_PORT_MISMATCH", []string{"health-check-port-mismatch", "readiness-probe-health-check-mismatch", "backend-unhealthy"}},
	{"BALANCING_MODE_BREAKS_SESSION_AFFINITY", []string{"session-affinity-utilization", "session-affinity-locality-policy"}},
}

// insightFixes say what to check, by subtype prefix.
var insightFixes = []struct{ prefix, fix string }{
	{"HEALTH_CHECK_FIREWALL_", "check that the VPC's firewall admits Google's health-check ranges (35.191.0.0/16 and 130.211.0.0/22) to every backend's health-check port, and that no higher-priority rule denies them"},
	{"HEALTH_CHECK_PORT_MISMATCH", "check that the health check probes the port the backends serve (the backend service's named port, or --use-serving-port)"},
	{"BALANCING_MODE_BREAKS_SESSION_AFFINITY", "check the backends' balancing mode: with session affinity, use RATE or CONNECTION rather than UTILIZATION"},
}

// insightResource names the resource a relative name of an insight
// designates, as lbdiag's findings do.
func insightResource(rel string) (inspect.Resource, bool) {
	parts := strings.Split(rel, "/")
	if len(parts) < 2 {
		return inspect.Resource{}, false
	}
	kind, ok := core.KindOf(parts[len(parts)-2])
	if !ok {
		return inspect.Resource{}, false
	}
	return core.ResourceOf(kind, rel), true
}

// insightFinding is the finding of one insight: on its first resource,
// attached to a finding of the rules that check its subtype on the load
// balancer's resources or their owners; an insight of a subtype no rule
// checks attaches to any finding on its resources instead.
func insightFinding(p *inspect.Pass, in inventory.Insight) inspect.Finding {
	inv := p.Inventory
	var resources []inspect.Resource
	var names []string
	for _, rel := range in.Resources {
		if r, ok := insightResource(rel); ok {
			resources = append(resources, r)
			names = append(names, kindWords(r.Kind)+" "+r.Name)
		}
	}
	res := inspect.Resource{Kind: "Project", Project: inv.Project, Location: "global", Name: inv.Project}
	about := "project " + inv.Project
	if len(resources) > 0 {
		res, about = resources[0], names[0]
		if resources[0].Location != "global" {
			about += " (" + resources[0].Location + ")"
		}
	}
	var rules []string
	for _, r := range insightRules {
		if strings.HasPrefix(in.Subtype, r.prefix) {
			rules = r.rules
		}
	}
	// Candidates: the subtype's rules on the resources and what owns
	// their backend services; for a subtype no rule checks, any finding
	// on the resources. An insight a rule checks never folds into another
	// rule's finding: it would "agree" with what it is not about, and the
	// rule's own verdict (ReportPassed) would go unsaid.
	var cands []inspect.Attachment
	for _, r := range resources {
		for _, rule := range rules {
			cands = append(cands, inspect.Attachment{Rule: rule, Resource: r})
		}
	}
	if len(rules) > 0 {
		for _, bs := range insightBackends(p, in.Resources) {
			if a := ownersOf(p, bs).attachments(rules); a != nil {
				cands = append(cands, append([]inspect.Attachment{{Rule: a.Rule, Resource: a.Resource}}, a.Or...)...)
			}
		}
	}
	if len(rules) == 0 {
		for _, r := range resources {
			cands = append(cands, inspect.Attachment{Resource: r})
		}
	}
	refreshed := "unknown"
	if !in.LastRefresh.IsZero() {
		refreshed = in.LastRefresh.Format(time.RFC3339)
	}
	subtype := in.Subtype
	if subtype == "" {
		subtype = "an insight"
	}
	ev := map[string]any{"insight": in.Name, "insightId": in.ID(), "insightType": inventory.LBInsightType, "location": in.Location,
		"subtype": in.Subtype, "description": in.Description, "lastRefreshTime": refreshed, "observationPeriod": in.ObservationPeriod,
		"state": in.State, "severity": in.Severity, "category": in.Category, "resources": in.Resources, "content": in.Content}
	if len(names) > 1 {
		about += " and " + strings.Join(names[1:], ", ")
	}
	check := "check what it names against the resource"
	for _, f := range insightFixes {
		if strings.HasPrefix(in.Subtype, f.prefix) {
			check = f.fix
		}
	}
	// The insight's name is the API's text (or a bundle's): into the
	// command only as a name.
	id, loc := core.NameOr(in.ID(), "INSIGHT_ID"), core.NameOr(in.Location, "LOCATION")
	f := inspect.Finding{
		Key:      "insight:" + in.ID(),
		Resource: res,
		Evidence: ev,
		Message: fmt.Sprintf("Network Analyzer reports %s on %s: %q (insight %s, refreshed %s); lbdiag did not confirm it",
			subtype, about, in.Description, in.ID(), refreshed),
		Remediation: fmt.Sprintf("gcloud recommender insights describe %s --insight-type=%s --location=%s --project=%s   # then %s; if the insight is wrong, mark it: gcloud recommender insights mark-accepted %s --insight-type=%s --location=%s --project=%s --etag=ETAG",
			id, inventory.LBInsightType, loc, inv.Project, check, id, inventory.LBInsightType, loc, inv.Project),
		AttachNote:   fmt.Sprintf("%s: %s %q (insight %s, refreshed %s)", map[bool]string{true: "Network Analyzer agrees", false: "Network Analyzer also reports"}[len(rules) > 0], subtype, in.Description, in.ID(), refreshed),
		ReportPassed: true,
	}
	if len(cands) > 0 {
		f.AttachTo = &inspect.Attachment{Rule: cands[0].Rule, Resource: cands[0].Resource, Or: cands[1:]}
	}
	return f
}

// insightBackends are the backend services behind an insight's
// resources: the backend services themselves, a URL map's, and a
// forwarding rule's (its proxy's URL map, or its backend service).
func insightBackends(p *inspect.Pass, rels []string) []*compute.BackendService {
	g, x := core.GraphOf(p), insightIndexes.Of(p)
	var out []*compute.BackendService
	seen := map[string]bool{}
	add := func(rel string) {
		if bs := x.bs[rel]; bs != nil && !seen[rel] {
			seen[rel] = true
			out = append(out, bs)
		}
	}
	for _, rel := range rels {
		add(rel)
		for _, b := range g.MapBackends[rel] {
			add(b)
		}
		for _, fr := range x.frs[rel] {
			if fr.BackendService != "" {
				add(inventory.RelativeName(fr.BackendService))
			}
			for _, b := range g.MapBackends[x.proxyMaps[inventory.RelativeName(fr.Target)]] {
				add(b)
			}
		}
	}
	return out
}

// insightIndex finds, by relative name, the backend services and
// forwarding rules an insight names, and a target proxy's URL map: built
// once a run, not once an insight.
type insightIndex struct {
	bs        map[string]*compute.BackendService
	frs       map[string][]*compute.ForwardingRule
	proxyMaps map[string]string
}

var insightIndexes = inspect.NewDerived("lb.insightIndex", func(p *inspect.Pass) *insightIndex {
	inv := p.Inventory
	x := &insightIndex{bs: map[string]*compute.BackendService{}, frs: map[string][]*compute.ForwardingRule{}, proxyMaps: map[string]string{}}
	for _, bs := range inv.Compute.BackendServices {
		x.bs[inventory.RelativeName(bs.SelfLink)] = bs
	}
	for _, fr := range inv.Compute.ForwardingRules {
		rel := inventory.RelativeName(fr.SelfLink)
		x.frs[rel] = append(x.frs[rel], fr)
	}
	for _, t := range inv.Compute.TargetHTTPProxies {
		x.proxyMaps[inventory.RelativeName(t.SelfLink)] = inventory.RelativeName(t.UrlMap)
	}
	for _, t := range inv.Compute.TargetHTTPSProxies {
		x.proxyMaps[inventory.RelativeName(t.SelfLink)] = inventory.RelativeName(t.UrlMap)
	}
	return x
})

// kindWords spells a Compute Engine kind for a message: "BackendService"
// is "backend service".
func kindWords(kind string) string {
	var b strings.Builder
	for i, r := range kind {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return strings.Replace(strings.ToLower(b.String()), "url map", "URL map", 1)
}
