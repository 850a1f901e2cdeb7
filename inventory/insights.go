package inventory

import (
	"strings"
	"time"
)

// RecommenderLBInsights is the coverage source of Network Analyzer's
// load-balancer insights, read through the Recommender API
// (insightTypes/google.networkanalyzer.networkservices.loadBalancerInsight)
// with --network-analyzer; its scope is a location of the project
// (InsightScope: "global" or a region).
const RecommenderLBInsights Source = "recommender.loadBalancerInsights"

// LBInsightType is the Recommender insight type of Network Analyzer's
// load-balancer insights.
const LBInsightType = "google.networkanalyzer.networkservices.loadBalancerInsight"

// InsightScope is the coverage scope of the insights of one location of a
// project: "projects/P/locations/L".
func InsightScope(project, location string) string {
	return ProjectScope(project) + "/locations/" + location
}

// Insights are what Network Analyzer said of the project's load balancers
// (--network-analyzer): its insights, by location. A location whose read
// failed has no entry here and an error in the coverage.
type Insights struct {
	// Locations are the locations read, "global" first.
	Locations []string
	// ByLocation holds each location's insights, in the API's order.
	ByLocation map[string][]Insight
}

// Insight is one Network Analyzer insight, its texts cleaned (escaped and
// bounded) by the collector.
type Insight struct {
	// Name is the insight's full name
	// ("projects/N/locations/L/insightTypes/T/insights/ID").
	Name     string
	Location string
	// Subtype is insightSubtype ("HEALTH_CHECK_FIREWALL_NOT_CONFIGURED",
	// "HEALTH_CHECK_PORT_MISMATCH", ...).
	Subtype     string
	Description string
	// State is stateInfo.state: ACTIVE, ACCEPTED or DISMISSED.
	State    string
	Category string
	Severity string
	// LastRefresh is lastRefreshTime (zero when absent or unparsable);
	// ObservationPeriod is the API's duration text ("3611220.2s").
	LastRefresh       time.Time
	ObservationPeriod string
	// Resources are the relative names of the Compute Engine resources
	// the insight is about ("projects/P/global/forwardingRules/N"): its
	// targetResources, then the load-balancing resources its content
	// names (backend services, URL maps, forwarding rules, health checks).
	Resources []string
	// Content is the insight's content as compact JSON, bounded.
	Content string
}

// ID is the insight's ID, the last segment of its name.
func (i Insight) ID() string { return LastSegment(i.Name) }

// Active reports whether the insight is ACTIVE (neither accepted nor
// dismissed).
func (i Insight) Active() bool { return strings.EqualFold(i.State, "ACTIVE") }

// On returns the active insights of a location that are about the
// resource rel (a relative name).
func (ins *Insights) On(location, rel string) []Insight {
	if ins == nil {
		return nil
	}
	var out []Insight
	for _, i := range ins.ByLocation[location] {
		if !i.Active() {
			continue
		}
		for _, r := range i.Resources {
			if r == rel {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// InsightLocation is the location whose insights speak of a Compute
// Engine resource: its region (a zone's region), or "global".
func InsightLocation(rel string) string {
	if loc := LocationOf(rel); loc != "" {
		return RegionOfLocation(loc)
	}
	return "global"
}
