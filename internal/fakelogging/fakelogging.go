// Package fakelogging is a loopback Cloud Logging API for lbdiag's tests:
// entries.list (POST /v2/entries:list) over a set of log entries, with the
// real API's request checks, filter evaluation for the part of the Logging
// query language lbdiag writes, ordering, paging and errors. There is no
// Cloud Logging emulator; this follows the documented behaviour of
// https://cloud.google.com/logging/docs/reference/v2/rest/v2/entries/list
// and https://cloud.google.com/logging/docs/view/logging-query-language.
package fakelogging

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lbdiag/lbdiag/internal/fakegoogle"
)

// Server answers entries.list over its entries. PageLimit, when set,
// returns fewer entries than asked per page (the real API may); EmptyPages
// makes the first page of each query empty but for a token, as the real
// API answers while its search goes on.
type Server struct {
	mu      sync.Mutex
	entries []map[string]any
	// projects are the resource names the caller may read ("projects/ID");
	// the entries belong to the first.
	projects   map[string]bool
	PageLimit  int
	EmptyPages bool
	// Requests counts the entries.list calls; Filters keeps their filters.
	Requests int
	Filters  []string
}

// New returns a server holding entries (decoded LogEntry JSON objects) of
// one project.
func New(project string, entries []map[string]any) *Server {
	return &Server{projects: map[string]bool{"projects/" + project: true}, entries: entries}
}

// Queries returns the filters of the entries.list calls so far.
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.Filters...)
}

// Allow lets callers read other projects, whose logs are empty.
func (s *Server) Allow(projects ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range projects {
		s.projects["projects/"+p] = true
	}
}

type listRequest struct {
	ResourceNames []string `json:"resourceNames"`
	ProjectIDs    []string `json:"projectIds"`
	Filter        string   `json:"filter"`
	OrderBy       string   `json:"orderBy"`
	PageSize      int      `json:"pageSize"`
	PageToken     string   `json:"pageToken"`
}

// PermissionDenied writes the 403 entries.list answers without
// logging.logEntries.list.
func PermissionDenied(w http.ResponseWriter, project string) {
	fakegoogle.Error(w, http.StatusForbidden, "PERMISSION_DENIED", "Permission 'logging.logEntries.list' denied on resource (or it may not exist).",
		map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "IAM_PERMISSION_DENIED", "domain": "iam.googleapis.com",
			"metadata": map[string]any{"permission": "logging.logEntries.list", "resource": "projects/" + project}})
}

// QuotaExceeded writes the 429 of the read quota (60 a minute).
func QuotaExceeded(w http.ResponseWriter, project string) {
	fakegoogle.Error(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED",
		"Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'logging.googleapis.com' for consumer 'project:"+project+"'.",
		map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED", "domain": "googleapis.com",
			"metadata": map[string]any{"quota_metric": "logging.googleapis.com/read_requests", "quota_limit": "ReadRequestsPerMinutePerProject", "service": "logging.googleapis.com"}})
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v2/entries:list" {
		fakegoogle.Error(w, http.StatusNotFound, "NOT_FOUND", "Method not found.")
		return
	}
	if r.Method != http.MethodPost {
		fakegoogle.Error(w, http.StatusMethodNotAllowed, "INVALID_ARGUMENT", "entries.list is a POST")
		return
	}
	b, _ := io.ReadAll(r.Body)
	var req listRequest
	if err := json.Unmarshal(b, &req); err != nil {
		fakegoogle.Error(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error())
		return
	}
	names := append(req.ResourceNames, prefixed(req.ProjectIDs)...)
	if len(names) == 0 {
		fakegoogle.Error(w, http.StatusBadRequest, "INVALID_ARGUMENT", "resource_names: must specify at least one resource name")
		return
	}
	s.mu.Lock()
	var denied string
	for _, n := range names {
		if !s.projects[n] {
			denied = n
		}
	}
	s.mu.Unlock()
	if denied != "" {
		// Another project: the caller holds no permission there.
		PermissionDenied(w, strings.TrimPrefix(denied, "projects/"))
		return
	}
	if req.PageSize < 0 || req.PageSize > 1000 {
		fakegoogle.Error(w, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("page_size must be between 0 and 1000, got %d", req.PageSize))
		return
	}
	desc := false
	switch req.OrderBy {
	case "", "timestamp asc":
	case "timestamp desc":
		desc = true
	default:
		fakegoogle.Error(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid order_by: "+req.OrderBy)
		return
	}
	expr, err := Parse(req.Filter)
	if err != nil {
		fakegoogle.Error(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Unparseable filter: "+err.Error())
		return
	}
	s.mu.Lock()
	s.Requests++
	s.Filters = append(s.Filters, req.Filter)
	var match []map[string]any
	for _, e := range s.entries {
		if project, _ := lookup(e, "logName"); !slices.Contains(names, projectOf(fmt.Sprint(project))) {
			continue
		}
		if expr == nil || expr.eval(e) {
			match = append(match, e)
		}
	}
	pageLimit, empty := s.PageLimit, s.EmptyPages
	s.mu.Unlock()
	// Each entry's time is parsed once, not at each comparison.
	at := make([]time.Time, len(match))
	order := make([]int, len(match))
	for i, e := range match {
		at[i], order[i] = timestampOf(e), i
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := at[order[i]], at[order[j]]
		if desc {
			return a.After(b)
		}
		return a.Before(b)
	})
	sorted := make([]map[string]any, len(match))
	for i, k := range order {
		sorted[i] = match[k]
	}
	match = sorted

	offset := 0
	if req.PageToken != "" {
		off, ok := fakegoogle.PageOffset(req.PageToken, req.Filter, len(match))
		if !ok {
			fakegoogle.Error(w, http.StatusBadRequest, "INVALID_ARGUMENT", "page_token doesn't match arguments from the request")
			return
		}
		offset = off
	}
	size := req.PageSize
	if size == 0 {
		size = 50 // the documented default
	}
	if pageLimit > 0 && size > pageLimit {
		size = pageLimit
	}
	resp := map[string]any{}
	if empty && req.PageToken == "" && len(match) > 0 {
		resp["nextPageToken"] = fakegoogle.PageToken(0, req.Filter)
	} else {
		end := min(offset+size, len(match))
		if offset < end {
			resp["entries"] = match[offset:end]
		}
		if end < len(match) {
			resp["nextPageToken"] = fakegoogle.PageToken(end, req.Filter)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(resp)
}

// projectOf is the "projects/ID" of a log name.
func projectOf(logName string) string {
	parts := strings.SplitN(logName, "/", 3)
	if len(parts) < 2 {
		return ""
	}
	return parts[0] + "/" + parts[1]
}

func prefixed(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "projects/" + id
	}
	return out
}

func timestampOf(e map[string]any) time.Time {
	s, _ := e["timestamp"].(string)
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
