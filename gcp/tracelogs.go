package gcp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"
	logging "google.golang.org/api/logging/v2"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inventory"
)

// frontendLogType is the monitored-resource type of the request logs of
// the Application Load Balancer a forwarding rule fronts ("" for others).
func frontendLogType(fr *compute.ForwardingRule) string {
	switch {
	case fr.Region == "" && (fr.LoadBalancingScheme == "EXTERNAL" || fr.LoadBalancingScheme == "EXTERNAL_MANAGED" || fr.LoadBalancingScheme == ""):
		return "http_load_balancer"
	case fr.Region != "" && fr.LoadBalancingScheme == "INTERNAL_MANAGED":
		return "internal_http_lb_rule"
	case fr.Region != "" && fr.LoadBalancingScheme == "EXTERNAL_MANAGED":
		return "http_external_regional_lb_rule"
	}
	return ""
}

// collectTraceLogs counts the window's requests of the traced URL (its
// scheme, host and path, any query) on the chosen forwarding rules, by
// status and statusDetails, newest first up to the cap of entries. Cloud
// Logging matches the URL as a substring; lbdiag keeps the entries whose
// host and path are exactly the traced ones.
func (c *collector) collectTraceLogs(ctx context.Context, traced *url.URL, chosen []string) {
	scope := inventory.ProjectScope(c.opts.Project)
	cov := inventory.Coverage{Source: inventory.LoggingRequests, Scope: scope, Status: inventory.StatusOK}
	since, until, unknown := c.window(c.opts.Logs, "logs")
	if unknown != "" {
		cov.Status, cov.Error = inventory.StatusUnknown, unknown
		c.cover(cov)
		return
	}
	ts := since.UTC().Format(time.RFC3339)
	c.mu.Lock()
	var names, types []string
	seenType := map[string]bool{}
	for _, fr := range c.compute.ForwardingRules {
		t := frontendLogType(fr)
		if !slices.Contains(chosen, fr.SelfLink) || t == "" {
			continue
		}
		names = append(names, fr.Name)
		if !seenType[t] {
			seenType[t] = true
			types = append(types, t)
		}
	}
	var unlogged []string
	for _, bs := range c.compute.BackendServices {
		if bs.LogConfig == nil || !bs.LogConfig.Enable {
			unlogged = append(unlogged, bs.Name)
		}
	}
	c.mu.Unlock()
	sort.Strings(names)
	sort.Strings(types)
	sort.Strings(unlogged)
	host := strings.ToLower(traced.Hostname())
	if p := traced.Port(); p != "" && !(traced.Scheme == "https" && p == "443") && !(traced.Scheme == "http" && p == "80") {
		host += ":" + p
	}
	want := traced.Scheme + "://" + host + traced.EscapedPath()
	out := &inventory.URLRequests{URL: want, ForwardingRules: names, Unlogged: unlogged}
	logs := &inventory.Logs{Since: since, Until: until, URL: out}
	defer func() {
		c.mu.Lock()
		c.logs = logs
		c.mu.Unlock()
		c.cover(cov)
	}()
	if len(names) == 0 {
		cov.Detail = "no Application Load Balancer forwarding rule to read request logs of"
		return
	}
	svc, err := logging.NewService(ctx, c.clientOptions(recording.APILogging, c.opts.LoggingEndpoint, DefaultLoggingEndpoint)...)
	if err != nil {
		cov.Status, cov.Error = inventory.StatusError, c.errorText(err)
		return
	}
	filter := fmt.Sprintf(`resource.type=(%s) AND resource.labels.forwarding_rule_name=(%s) AND timestamp>=%q AND httpRequest.requestUrl:%q`,
		quoteAll(types), quoteAll(names), ts, "//"+host+traced.EscapedPath())
	counts := map[string]*inventory.URLCount{}
	n, hit, err := c.listEntries(ctx, svc, filter, c.opts.logEntryCap(), func(e *logging.LogEntry) bool {
		if e.HttpRequest == nil || !sameRequestURL(e.HttpRequest.RequestUrl, traced) {
			return true
		}
		var p logPayload
		_ = json.Unmarshal(e.JsonPayload, &p)
		status := int(e.HttpRequest.Status)
		k := strconv.Itoa(status) + " " + p.StatusDetails
		uc := counts[k]
		if uc == nil {
			uc = &inventory.URLCount{Status: status, Details: p.StatusDetails}
			counts[k] = uc
		}
		uc.Count++
		if at, err := time.Parse(time.RFC3339Nano, e.Timestamp); err == nil && at.After(uc.Last) {
			uc.Last = at
		}
		out.Total++
		return true
	})
	for _, uc := range counts {
		out.Counts = append(out.Counts, *uc)
	}
	sort.Slice(out.Counts, func(i, j int) bool {
		a, b := out.Counts[i], out.Counts[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Status != b.Status {
			return a.Status < b.Status
		}
		return a.Details < b.Details
	})
	out.Capped = hit || err != nil
	cov.Detail = fmt.Sprintf("%d request log entries of %s on %s, %s to %s", n, want, strings.Join(names, ", "), ts, until.UTC().Format(time.RFC3339))
	c.endLogQuery(ctx, &cov, c.opts.logEntryCap(), "", hit, err)
}

// sameRequestURL reports whether a logged request URL has the traced
// scheme, host (any port) and path.
func sameRequestURL(logged string, traced *url.URL) bool {
	u, err := url.Parse(logged)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Scheme, traced.Scheme) && strings.EqualFold(u.Hostname(), traced.Hostname()) && u.EscapedPath() == traced.EscapedPath()
}
