// Package fakerecommender is a loopback Recommender API for lbdiag's
// tests: projects.locations.insightTypes.insights.list
// (GET /v1/projects/P/locations/L/insightTypes/T/insights) over a set of
// insights per location, with paging (pageSize, pageToken,
// nextPageToken), and the real API's errors: a denied location answers 403
// PERMISSION_DENIED (ErrorInfo IAM_PERMISSION_DENIED), a disabled API 403
// PERMISSION_DENIED (ErrorInfo SERVICE_DISABLED). There is no Recommender
// emulator; this follows
// https://cloud.google.com/recommender/docs/reference/rest/v1/projects.locations.insightTypes.insights/list
// and the answers recorded in gcp/testdata/gcpdiag-corpus (lb2's
// lb-insights-*.json): a location without insights answers {}.
package fakerecommender

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"sync"

	"github.com/lbdiag/lbdiag/internal/fakegoogle"
)

// Server answers insights.list for one project.
type Server struct {
	mu      sync.Mutex
	project string
	number  string
	// insights by location, then insight type: each a JSON object as the
	// API returns it.
	insights map[string]map[string][]map[string]any
	// PageSize, when set, caps the insights of a page below what the
	// caller asks (the API's default page size is its own).
	PageSize int
	// Denied locations answer 403 PERMISSION_DENIED; Disabled makes every
	// call a 403 SERVICE_DISABLED.
	Denied   map[string]bool
	Disabled bool
	// Requests counts the calls; Paths keeps each call's path and query.
	Requests int
	Paths    []string
}

// New returns a server of the project (ID and number: the API names
// insights by the project's number).
func New(project, number string) *Server {
	return &Server{project: project, number: number, insights: map[string]map[string][]map[string]any{}, Denied: map[string]bool{}}
}

// Add adds an insight of insightType to location. Its name is set from
// the project's number, the location, the type and id when it has none.
func (s *Server) Add(location, insightType, id string, insight map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := insight["name"]; !ok {
		insight["name"] = fmt.Sprintf("projects/%s/locations/%s/insightTypes/%s/insights/%s", s.number, location, insightType, id)
	}
	if s.insights[location] == nil {
		s.insights[location] = map[string][]map[string]any{}
	}
	s.insights[location][insightType] = append(s.insights[location][insightType], insight)
}

var listPath = regexp.MustCompile(`^/v1/projects/([^/]+)/locations/([^/]+)/insightTypes/([^/]+)/insights$`)

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Requests++
	s.Paths = append(s.Paths, r.URL.Path+"?"+r.URL.RawQuery)
	if r.Method != http.MethodGet {
		fakegoogle.Error(w, 405, "INVALID_ARGUMENT", "method not allowed")
		return
	}
	m := listPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		fakegoogle.Error(w, 404, "NOT_FOUND", "The requested URL "+r.URL.Path+" was not found on this server.")
		return
	}
	project, location, insightType := m[1], m[2], m[3]
	parent := fmt.Sprintf("projects/%s/locations/%s/insightTypes/%s", project, location, insightType)
	switch {
	case s.Disabled:
		fakegoogle.Error(w, 403, "PERMISSION_DENIED",
			fmt.Sprintf("Recommender API has not been used in project %s before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/recommender.googleapis.com/overview?project=%s then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.", s.number, s.number),
			map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED", "domain": "googleapis.com",
				"metadata": map[string]any{"service": "recommender.googleapis.com", "consumer": "projects/" + s.number, "serviceTitle": "Recommender API",
					"containerInfo": s.number, "activationUrl": "https://console.developers.google.com/apis/api/recommender.googleapis.com/overview?project=" + s.number}},
			map[string]any{"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
				"message": fmt.Sprintf("Recommender API has not been used in project %s before or it is disabled.", s.number)},
			map[string]any{"@type": "type.googleapis.com/google.rpc.Help", "links": []map[string]any{{"description": "Google developers console API activation",
				"url": "https://console.developers.google.com/apis/api/recommender.googleapis.com/overview?project=" + s.number}}})
		return
	case s.Denied[location] || (project != s.project && project != s.number):
		perm := "recommender.networkAnalyzerLoadBalancerInsights.list"
		fakegoogle.Error(w, 403, "PERMISSION_DENIED",
			fmt.Sprintf("Permission '%s' denied on resource '//recommender.googleapis.com/%s' (or it may not exist).", perm, parent),
			map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "IAM_PERMISSION_DENIED", "domain": "iam.googleapis.com",
				"metadata": map[string]any{"permission": perm, "resource": parent}})
		return
	}
	q := r.URL.Query()
	all := s.insights[location][insightType]
	limit := len(all)
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fakegoogle.Error(w, 400, "INVALID_ARGUMENT", fmt.Sprintf("Invalid value at 'page_size' (TYPE_INT32), %q", v))
			return
		}
		if n > 0 {
			limit = n
		}
	}
	if s.PageSize > 0 {
		limit = min(limit, s.PageSize)
	}
	start := 0
	if tok := q.Get("pageToken"); tok != "" {
		n, ok := fakegoogle.PageOffset(tok, "", len(all))
		if !ok {
			fakegoogle.Error(w, 400, "INVALID_ARGUMENT", "Invalid page token.")
			return
		}
		start = n
	}
	end := min(start+limit, len(all))
	resp := map[string]any{}
	if end > start {
		resp["insights"] = all[start:end]
	}
	if end < len(all) {
		resp["nextPageToken"] = fakegoogle.PageToken(end, "")
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(resp)
}

// PortMismatch is a HEALTH_CHECK_PORT_MISMATCH insight shaped as the API
// returns it (gcpdiag's recording of lb2): it targets the project and
// names the backend service in its content.
func PortMismatch(project, backendService, healthCheck string, hcPort int, refreshed string) map[string]any {
	return map[string]any{
		"description": "Backend services use different ports for health check and traffic",
		"content": map[string]any{"backendServiceInfos": []any{map[string]any{
			"backendServiceUri":     "//compute.googleapis.com/projects/" + project + "/" + backendService,
			"servingPortName":       "http",
			"healthCheckUri":        "//compute.googleapis.com/projects/" + project + "/" + healthCheck,
			"healthCheckPortNumber": hcPort,
		}}},
		"lastRefreshTime":   refreshed,
		"observationPeriod": "3611220.209060096s",
		"stateInfo":         map[string]any{"state": "ACTIVE"},
		"category":          "PERFORMANCE",
		"targetResources":   []any{"//cloudresourcemanager.googleapis.com/projects/" + project},
		"insightSubtype":    "HEALTH_CHECK_PORT_MISMATCH",
		"etag":              `"381e11271a290275"`,
		"severity":          "LOW",
	}
}

// FirewallNotConfigured is a HEALTH_CHECK_FIREWALL_NOT_CONFIGURED insight
// shaped as the API returns it: it targets the forwarding rule and names
// the URL map as the load balancer in its content.
func FirewallNotConfigured(project, forwardingRule, urlMap string, refreshed string) map[string]any {
	return map[string]any{
		"description": "Health check firewall is not configured",
		"content": map[string]any{
			"forwardingRuleUri": "//compute.googleapis.com/projects/" + project + "/" + forwardingRule,
			"loadBalancerType":  "EXTERNAL_HTTP_PROXY",
			"loadBalancerName":  path.Base(urlMap),
			"loadBalancerUri":   "//compute.googleapis.com/projects/" + project + "/" + urlMap,
			"healthCheckFirewallInfo": map[string]any{
				"misconfiguredInstanceUris": []any{"//compute.googleapis.com/projects/" + project + "/zones/us-east1-b/instances/vm-m5q1"},
				"matchedFirewalls":          []any{map[string]any{"firewallUri": project + "::default::default-deny-ingress", "firewallAction": "DENY"}},
			},
		},
		"lastRefreshTime":   refreshed,
		"observationPeriod": "3611997.221035498s",
		"stateInfo":         map[string]any{"state": "ACTIVE"},
		"category":          "PERFORMANCE",
		"targetResources":   []any{"//compute.googleapis.com/projects/" + project + "/" + forwardingRule},
		"insightSubtype":    "HEALTH_CHECK_FIREWALL_NOT_CONFIGURED",
		"etag":              `"5abfcf123b1d11e6"`,
		"severity":          "MEDIUM",
	}
}
