package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	recommender "google.golang.org/api/recommender/v1"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
)

// Network Analyzer as a second opinion (--network-analyzer): its
// load-balancer insights, read through the Recommender API per location
// ("global" and every region where the project has regional
// load-balancing resources), once the Compute Engine lists are in.
// Reading them needs recommender.networkAnalyzerLoadBalancerInsights.list
// and the Recommender API enabled; a denied or disabled read is a
// coverage gap of that location, never a failure of the run.
const (
	DefaultRecommenderEndpoint = "https://recommender.googleapis.com/"
	// insightsPermission is what insights.list of the type needs.
	insightsPermission = "recommender.networkAnalyzerLoadBalancerInsights.list"
	// insightsRole is what the hint says to grant.
	insightsRole = "a role that includes it, such as lbdiag's custom role (deploy/iam-role.yaml, which adds recommender.networkAnalyzerLoadBalancerInsights.get)"
	// maxInsights bounds the active insights kept per location; maxInsightResources
	// the resources kept per insight; maxInsightText its texts and
	// maxInsightContent its content.
	maxInsights         = 500
	maxInsightResources = 20
	maxInsightText      = 1000
	maxInsightContent   = 2000
)

// startInsights starts the insights' read when the run asks for it: after
// listsDone (the project's Compute Engine lists, which say which regions
// to read). A run whose rules need no insight records a skipped read.
func (c *collector) startInsights(ctx context.Context, wg *sync.WaitGroup, listsDone <-chan struct{}) {
	if !c.opts.NetworkAnalyzer {
		return
	}
	if reason, ok := c.opts.skip(inventory.RecommenderLBInsights); ok {
		c.coverSkipped(inventory.RecommenderLBInsights, inventory.ProjectScope(c.opts.Project), reason)
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-listsDone:
			c.collectInsights(ctx)
		case <-ctx.Done():
			c.cover(inventory.Coverage{Source: inventory.RecommenderLBInsights, Scope: inventory.InsightScope(c.opts.Project, "global"),
				Status: inventory.StatusError, Error: c.errorText(ctx.Err()), Hint: commonHint(ctx, ctx.Err())})
		}
	}()
}

// insightLocations are the locations whose insights speak of the
// project's load balancers: "global", then the regions of its regional
// backend services, forwarding rules, URL maps and health checks, sorted.
func insightLocations(project string, cm *inventory.Compute) []string {
	regions := map[string]bool{}
	add := func(link string) {
		if inventory.ProjectOf(link) == project {
			if loc := inventory.InsightLocation(link); loc != "global" {
				regions[loc] = true
			}
		}
	}
	for _, x := range cm.BackendServices {
		add(x.SelfLink)
	}
	for _, x := range cm.ForwardingRules {
		add(x.SelfLink)
	}
	for _, x := range cm.URLMaps {
		add(x.SelfLink)
	}
	for _, x := range cm.HealthChecks {
		add(x.SelfLink)
	}
	out := make([]string, 0, len(regions)+1)
	for r := range regions {
		out = append(out, r)
	}
	sort.Strings(out)
	return append([]string{"global"}, out...)
}

// collectInsights lists the insights of every location at once; each
// location has its own coverage entry.
func (c *collector) collectInsights(ctx context.Context) {
	project := c.opts.Project
	c.mu.Lock()
	locs := insightLocations(project, &c.compute)
	c.mu.Unlock()
	ins := &inventory.Insights{Locations: locs, ByLocation: map[string][]inventory.Insight{}}
	svc, err := recommender.NewService(ctx, c.clientOptions(recording.APIRecommender, c.opts.RecommenderEndpoint, DefaultRecommenderEndpoint)...)
	if err != nil {
		for _, loc := range locs {
			c.cover(inventory.Coverage{Source: inventory.RecommenderLBInsights, Scope: inventory.InsightScope(project, loc),
				Status: inventory.StatusError, Error: c.errorText(err)})
		}
		return
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, loc := range locs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			list, inactive, capped, err := c.listInsights(ctx, svc, loc)
			cov := inventory.Coverage{Source: inventory.RecommenderLBInsights, Scope: inventory.InsightScope(project, loc), Status: inventory.StatusOK}
			cov.Detail = fmt.Sprintf("%d insights of %s, %d active", len(list)+inactive, inventory.LBInsightType, len(list))
			if capped {
				// The rest were not read: no insight is known absent.
				cov.Status, cov.Error = inventory.StatusUnknown, fmt.Sprintf("more than %d active insights: the rest were not read", maxInsights)
			}
			if err != nil {
				cov.Detail = ""
				cov.Status, cov.Error = inventory.StatusError, c.errorText(err)
				cov.Hint = c.googleHint(ctx, err, "recommender", project, insightsPermission, insightsRole)
			} else {
				mu.Lock()
				ins.ByLocation[loc] = list
				mu.Unlock()
			}
			c.cover(cov)
		}()
	}
	wg.Wait()
	c.mu.Lock()
	c.insights = ins
	c.mu.Unlock()
}

// listInsights reads every page of one location's insights and keeps the
// active ones, up to maxInsights; inactive counts the others.
func (c *collector) listInsights(ctx context.Context, svc *recommender.Service, location string) (out []inventory.Insight, inactive int, capped bool, err error) {
	parent := "projects/" + c.opts.Project + "/locations/" + location + "/insightTypes/" + inventory.LBInsightType
	var guard pageGuard
	err = svc.Projects.Locations.InsightTypes.Insights.List(parent).Context(ctx).Pages(ctx, func(resp *recommender.GoogleCloudRecommenderV1ListInsightsResponse) error {
		for _, raw := range resp.Insights {
			if raw == nil {
				continue
			}
			// Dismissed and accepted insights are not kept (nor built):
			// no rule reads them, and so they cannot crowd out active
			// ones or grow without bound.
			if raw.StateInfo == nil || !(inventory.Insight{State: raw.StateInfo.State}).Active() {
				inactive++
				continue
			}
			in := insightOf(location, raw)
			if len(out) == maxInsights {
				capped = true
				return errStopPages
			}
			out = append(out, in)
		}
		return guard.next(resp.NextPageToken)
	})
	if errors.Is(err, errStopPages) {
		err = nil
	}
	return out, inactive, capped, err
}

// errStopPages ends a Pages loop at the cap.
var errStopPages = errors.New("lbdiag: stop paging")

// insightOf keeps what lbdiag uses of an insight, every text cleaned.
func insightOf(location string, raw *recommender.GoogleCloudRecommenderV1Insight) inventory.Insight {
	i := inventory.Insight{
		Name:              untrusted.CleanN(raw.Name, maxInsightText),
		Location:          location,
		Subtype:           untrusted.CleanN(raw.InsightSubtype, 200),
		Description:       untrusted.CleanN(raw.Description, maxInsightText),
		Category:          untrusted.CleanN(raw.Category, 100),
		Severity:          untrusted.CleanN(raw.Severity, 100),
		ObservationPeriod: untrusted.CleanN(raw.ObservationPeriod, 100),
	}
	if raw.StateInfo != nil {
		i.State = untrusted.CleanN(raw.StateInfo.State, 100)
	}
	if t, err := time.Parse(time.RFC3339Nano, raw.LastRefreshTime); err == nil {
		i.LastRefresh = t.UTC()
	}
	seen := map[string]bool{}
	add := func(uri string) {
		rel, ok := lbResourceName(uri)
		rel = untrusted.CleanN(rel, maxInsightText) // a real name is unchanged
		if ok && !seen[rel] && len(i.Resources) < maxInsightResources {
			seen[rel] = true
			i.Resources = append(i.Resources, rel)
		}
	}
	for _, t := range raw.TargetResources {
		add(t)
	}
	if len(raw.Content) > 0 {
		var content any
		if json.Unmarshal(raw.Content, &content) == nil {
			var named []string
			collectURIs(content, &named)
			sort.SliceStable(named, func(a, b int) bool { return kindRank(named[a]) < kindRank(named[b]) })
			for _, u := range named {
				add(u)
			}
			if b, err := untrusted.Marshal(content, ""); err == nil {
				i.Content = untrusted.CleanN(string(b), maxInsightContent)
			}
		}
	}
	return i
}

// lbCollections are the Compute Engine collections of the load-balancing
// resources an insight can be about, in the order lbdiag prefers them as
// the insight's resource.
var lbCollections = []string{"backendServices", "urlMaps", "forwardingRules", "globalForwardingRules", "healthChecks",
	"targetHttpsProxies", "targetHttpProxies", "targetSslProxies", "targetTcpProxies"}

// lbResourceName is the relative name of a Compute Engine load-balancing
// resource named by a full resource name
// ("//compute.googleapis.com/projects/P/global/backendServices/N") or a
// URL; ok is false for anything else (a project, an instance, a firewall).
func lbResourceName(uri string) (string, bool) {
	if !strings.HasPrefix(uri, "//compute.googleapis.com/") && !strings.Contains(uri, "/compute/") {
		return "", false
	}
	rel := inventory.RelativeName(uri)
	parts := strings.Split(rel, "/")
	// projects/P/global/C/N or projects/P/regions/R/C/N
	switch {
	case len(parts) == 5 && parts[0] == "projects" && parts[2] == "global":
	case len(parts) == 6 && parts[0] == "projects" && parts[2] == "regions":
	default:
		return "", false
	}
	coll := parts[len(parts)-2]
	for _, c := range lbCollections {
		if c == coll && parts[len(parts)-1] != "" {
			return rel, true
		}
	}
	return "", false
}

// kindRank orders content URIs by lbCollections.
func kindRank(uri string) int {
	rel := inventory.RelativeName(uri)
	parts := strings.Split(rel, "/")
	if len(parts) >= 2 {
		for i, c := range lbCollections {
			if parts[len(parts)-2] == c {
				return i
			}
		}
	}
	return len(lbCollections)
}

// collectURIs gathers, depth first and in key order, the strings of an
// insight's content that name Compute Engine resources.
func collectURIs(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			collectURIs(x[k], out)
		}
	case []any:
		for _, e := range x {
			collectURIs(e, out)
		}
	case string:
		if strings.HasPrefix(x, "//compute.googleapis.com/") && len(*out) < 100 {
			*out = append(*out, x)
		}
	}
}
