package rules

import (
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// TestEnrichNoInsight: with --network-analyzer, a finding on a load
// balancer whose location was read and that no active insight speaks of
// says so in its evidence; one an insight speaks of, one that took an
// insight, the insights' own findings and a location not read say
// nothing.
func TestEnrichNoInsight(t *testing.T) {
	t.Parallel()
	inv := enrichProject()
	inv.Metrics, inv.Changes = nil, nil
	p := "projects/" + ruletest.Project
	inv.Insights = &inventory.Insights{Locations: []string{"global"}, ByLocation: map[string][]inventory.Insight{"global": {
		{Name: "projects/1/locations/global/insightTypes/t/insights/a", Location: "global", Subtype: "HEALTH_CHECK_PORT_MISMATCH", State: "ACTIVE",
			Resources: []string{p + "/global/backendServices/archive-bs"}},
		{Name: "projects/1/locations/global/insightTypes/t/insights/b", Location: "global", Subtype: "HEALTH_CHECK_PORT_MISMATCH", State: "DISMISSED",
			Resources: []string{p + "/global/backendServices/l4-bs"}},
	}}}
	inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.RecommenderLBInsights, Scope: inventory.InsightScope(ruletest.Project, "global"), Status: inventory.StatusOK})
	cl := inv.Clusters[0]
	took := finding("e-rule", inspect.Error, core.ResourceOf("BackendService", ruletest.G("global/backendServices/l4-bs")))
	took.Evidence = map[string]any{"network-analyzer-insight": []map[string]any{{"insightId": "c"}}}
	fs := []inspect.Finding{
		finding("a-rule", inspect.Error, core.KubeResource(cl, "Ingress", metav1.ObjectMeta{Namespace: "shop", Name: "web"})),
		finding("b-rule", inspect.Error, core.ResourceOf("BackendService", ruletest.G("global/backendServices/archive-bs"))),
		finding("c-rule", inspect.Error, core.ResourceOf("BackendService", ruletest.G("global/backendServices/l4-bs"))),
		finding("network-analyzer-insight", inspect.Warning, core.ResourceOf("UrlMap", ruletest.G("global/urlMaps/archive-um"))),
		took,
		finding("f-rule", inspect.Error, core.ResourceOf("BackendService", ruletest.G("regions/europe-west1/backendServices/api-bs"))),
	}
	Enrich(inv, fs)
	notes := map[string]map[string]any{}
	for _, f := range fs {
		if n, ok := f.Evidence["networkAnalyzer"].(map[string]any); ok {
			notes[f.Rule] = n
		}
	}
	// The Ingress stands for its URL map shop-um (its annotation); l4-bs's
	// only insight is dismissed.
	if len(notes) != 2 || notes["a-rule"] == nil || notes["c-rule"] == nil {
		t.Fatalf("notes on %v", notes)
	}
	n := notes["a-rule"]
	if res, _ := n["resources"].([]string); !slices.Equal(res, []string{p + "/global/urlMaps/shop-um"}) ||
		!slices.Equal(n["locations"].([]string), []string{"global"}) || n["activeInsights"] != 0 {
		t.Errorf("the Ingress's note %v", n)
	}

	// Not read: nothing is said.
	inv.Coverage = inv.Coverage[:len(inv.Coverage)-1]
	fs = []inspect.Finding{finding("c-rule", inspect.Error, core.ResourceOf("BackendService", ruletest.G("global/backendServices/l4-bs")))}
	Enrich(inv, fs)
	if fs[0].Evidence["networkAnalyzer"] != nil {
		t.Errorf("a note where Network Analyzer was not read: %v", fs[0].Evidence)
	}
}
