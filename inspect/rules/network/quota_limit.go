package network

import (
	"fmt"
	"sort"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// quotaWarn and quotaError are the shares of a quota at which lbdiag warns
// and calls it exhausted.
const (
	quotaWarn  = 0.8
	quotaError = 1.0
)

// QuotaLimit reports load-balancing quotas of the project and its used
// regions at 80 % or more.
var QuotaLimit = &inspect.Rule{
	ID:           "quota-limit",
	Severity:     inspect.Error,
	Needs:        []inventory.Source{inventory.ComputeProject, inventory.ComputeRegions},
	WholeProject: true,
	Title:        "Every load-balancing quota of the project and its regions has room (below 80 %)",
	Doc: inspect.Doc{
		Why:     `Every load balancer consumes Compute Engine quota: backend services, forwarding rules, proxies, URL maps, certificates, health checks, addresses, NEGs, firewall rules. When one is exhausted, creating the next fails with "Quota 'X' exceeded", and GKE's controllers fail silently for the user: a new Ingress, Gateway or LoadBalancer Service never gets its load balancer, and the only trace is a Warning event. lbdiag reads the project's quotas (projects.get) and the regions' (regions.list) and warns at 80 % of a limit, before the next deployment fails; at 100 % it is an error.`,
		Fix:     `Delete what is left over (see lb-resource-orphaned, ssl-certificate-unattached, address-unused), or ask for more in the console: IAM & Admin > Quotas, filtered to the metric (compute.googleapis.com/...), Edit quotas.`,
		Sources: []string{"Cloud Load Balancing quotas and limits (cloud.google.com/load-balancing/docs/quotas)", "Compute Engine API projects.get and regions.list: quotas[].metric, usage, limit", "View and manage quotas (cloud.google.com/docs/quotas/view-manage)"},
		URL:     "https://cloud.google.com/load-balancing/docs/quotas",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		project := inv.Project
		check := func(res inspect.Resource, where string, quotas []*compute.Quota) {
			p.Judge(res)
			sorted := append([]*compute.Quota(nil), quotas...)
			sort.Slice(sorted, func(i, j int) bool { return sorted[i].Metric < sorted[j].Metric })
			for _, q := range sorted {
				if !loadBalancingQuota(q.Metric) || q.Limit <= 0 {
					continue
				}
				share := q.Usage / q.Limit
				if share < quotaWarn {
					continue
				}
				sev, state := inspect.Warning, "nearly exhausted"
				if share >= quotaError {
					sev, state = inspect.Error, "exhausted"
				}
				metric := "compute.googleapis.com/" + strings.ToLower(q.Metric)
				msg := fmt.Sprintf("Quota %s of %s is %s: %.0f of %.0f used (%.0f %%)", q.Metric, where, state, q.Usage, q.Limit, 100*share)
				if sev == inspect.Error {
					msg += fmt.Sprintf(`; creating one more fails with "Quota '%s' exceeded", and GKE's controllers then fail to build load balancers`, q.Metric)
				}
				p.Report(inspect.Finding{
					Severity: sev,
					Key:      q.Metric,
					Message:  msg,
					Resource: res,
					Evidence: map[string]any{"metric": q.Metric, "usage": q.Usage, "limit": q.Limit, "where": where},
					Remediation: fmt.Sprintf("https://console.cloud.google.com/iam-admin/quotas?project=%s   # filter Metric: %s, select it, Edit quotas; or free some first (lb-resource-orphaned, ssl-certificate-unattached, address-unused)",
						project, metric),
				})
			}
		}
		if p.Known(inventory.ComputeProject, inventory.ProjectScope(project)) && inv.Compute.Project != nil {
			check(inspect.Resource{Kind: "Project", Project: project, Location: "global", Name: project}, "project "+project, inv.Compute.Project.Quotas)
		}
		if p.Known(inventory.ComputeRegions, inventory.ProjectScope(project)) {
			used := usedRegions(inv)
			for _, r := range inv.Compute.Regions {
				if used[r.Name] {
					check(inspect.Resource{Kind: "Region", Project: project, Location: r.Name, Name: r.Name}, "region "+r.Name, r.Quotas)
				}
			}
		}
	},
}

// loadBalancingQuota reports whether a Compute Engine quota metric limits
// what load balancers (and GKE's controllers) create: backend services,
// forwarding rules (the internal and Private Service Connect ones
// included), proxies, URL maps, certificates, health checks, addresses,
// NEGs, instance groups, security policies and firewall rules.
func loadBalancingQuota(metric string) bool {
	for _, part := range []string{"BACKEND_SERVICES", "FORWARDING_RULES", "URL_MAPS", "TARGET_HTTP_PROXIES", "TARGET_HTTPS_PROXIES",
		"TARGET_SSL_PROXIES", "TARGET_TCP_PROXIES", "SSL_CERTIFICATES", "SSL_POLICIES", "HEALTH_CHECKS", "ADDRESSES",
		"NETWORK_ENDPOINT_GROUPS", "SECURITY_POLICIES", "SECURITY_POLICY_RULES", "FIREWALLS", "INSTANCE_GROUPS"} {
		if strings.Contains(metric, part) {
			return true
		}
	}
	return false
}

// usedRegions are the regions holding the project's load-balancing
// resources, clusters or instances: the regions whose quotas matter.
func usedRegions(inv *inventory.Inventory) map[string]bool {
	out := map[string]bool{}
	add := func(link string) {
		loc := core.ScopeName(link)
		if loc == "global" {
			return
		}
		if strings.Count(loc, "-") == 2 { // a zone: us-central1-a
			loc = loc[:strings.LastIndex(loc, "-")]
		}
		out[loc] = true
	}
	c := &inv.Compute
	for _, x := range c.ForwardingRules {
		add(x.SelfLink)
	}
	for _, x := range c.BackendServices {
		add(x.SelfLink)
	}
	for _, x := range c.NEGs {
		add(x.SelfLink)
	}
	for _, x := range c.Addresses {
		add(x.SelfLink)
	}
	for _, x := range c.InstanceGroups {
		add(x.SelfLink)
	}
	for _, x := range c.Instances {
		add(x.SelfLink)
	}
	for _, cl := range inv.Clusters {
		out[cl.Region()] = true
	}
	return out
}
