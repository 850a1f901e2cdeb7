package gcp

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"
	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inventory"
)

// collectEffectiveFirewalls reads networks.getEffectiveFirewalls for every
// VPC that hosts an inspected cluster: the VPC rules together with the
// hierarchical and network firewall policies that apply.
func (c *collector) collectEffectiveFirewalls(ctx context.Context, svc *compute.Service, clusters []*inventory.Cluster) {
	networks := map[string]bool{}
	for _, cl := range clusters {
		if n := cl.NetworkURL(); n != "" {
			networks[n] = true
		}
	}
	g := new(errgroup.Group)
	g.SetLimit(c.opts.concurrency())
	for _, n := range sortedSet(networks) {
		g.Go(func() error {
			project, name := inventory.ProjectOf(n), inventory.LastSegment(n)
			resp, err := svc.Networks.GetEffectiveFirewalls(project, name).Context(ctx).Do()
			cov := inventory.Coverage{Source: inventory.ComputeEffectiveFirewalls, Scope: n, Status: inventory.StatusOK}
			c.mu.Lock()
			defer c.mu.Unlock()
			if err != nil {
				cov.Status, cov.Error = inventory.StatusError, errorText(err)
				cov.Hint = googleHint(err, "compute", project, "compute.networks.getEffectiveFirewalls", "roles/compute.networkViewer") +
					"; firewall findings then rest on VPC firewall rules alone"
			} else {
				if c.compute.EffectiveFirewalls == nil {
					c.compute.EffectiveFirewalls = map[string]*compute.NetworksGetEffectiveFirewallsResponse{}
				}
				c.compute.EffectiveFirewalls[n] = resp
			}
			c.coverage = append(c.coverage, cov)
			return nil
		})
	}
	g.Wait()
}

// servingBackendServices returns the backend services that serve the
// inspected Ingresses and Gateways: those named in the Ingresses'
// ingress.kubernetes.io/backends and the Gateways'
// networking.gke.io/backend-services annotations.
func servingBackendServices(all []*compute.BackendService, clusters []*inventory.Cluster) []*compute.BackendService {
	want := map[string]bool{}
	for _, cl := range clusters {
		for i := range cl.Ingresses {
			for _, name := range inventory.IngressBackendNames(&cl.Ingresses[i]) {
				want[name] = true
			}
		}
		for _, gw := range cl.Gateways {
			for _, p := range inventory.GatewayAnnotationPaths(gw.Annotations[inventory.AnnGatewayBackendServices]) {
				want[inventory.LastSegment(p)] = true
			}
		}
	}
	var out []*compute.BackendService
	for _, bs := range all {
		if want[bs.Name] {
			out = append(out, bs)
		}
	}
	return out
}

// collectBackendHealth calls getHealth once per backend group of every
// serving backend service, at most Concurrency at a time. Each call is a
// read-only POST.
func (c *collector) collectBackendHealth(ctx context.Context, svc *compute.Service, clusters []*inventory.Cluster) {
	c.mu.Lock()
	serving := servingBackendServices(c.compute.BackendServices, clusters)
	c.mu.Unlock()
	if len(serving) == 0 {
		return
	}
	var mu sync.Mutex
	health := map[string]map[string]*compute.BackendServiceGroupHealth{}
	var failures []string
	calls := 0
	g := new(errgroup.Group)
	g.SetLimit(c.opts.concurrency())
	for _, bs := range serving {
		for _, b := range bs.Backends {
			calls++
			g.Go(func() error {
				project := inventory.ProjectOf(bs.SelfLink)
				ref := &compute.ResourceGroupReference{Group: b.Group}
				var resp *compute.BackendServiceGroupHealth
				var err error
				if bs.Region != "" {
					resp, err = svc.RegionBackendServices.GetHealth(project, inventory.LastSegment(bs.Region), bs.Name, ref).Context(ctx).Do()
				} else {
					resp, err = svc.BackendServices.GetHealth(project, bs.Name, ref).Context(ctx).Do()
				}
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failures = append(failures, fmt.Sprintf("%s group %s: %s", bs.Name, inventory.RelativeName(b.Group), errorText(err)))
					return nil
				}
				if health[bs.SelfLink] == nil {
					health[bs.SelfLink] = map[string]*compute.BackendServiceGroupHealth{}
				}
				health[bs.SelfLink][b.Group] = resp
				return nil
			})
		}
	}
	g.Wait()
	cov := inventory.Coverage{Source: inventory.ComputeBackendHealth, Scope: inventory.ProjectScope(c.opts.Project), Status: inventory.StatusOK}
	if len(failures) > 0 {
		sort.Strings(failures)
		cov.Status = inventory.StatusError
		cov.Error = fmt.Sprintf("%d of %d getHealth calls failed; first: %s", len(failures), calls, failures[0])
		cov.Hint = "backend health of those groups is unknown; roles/compute.viewer grants compute.backendServices.get"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.compute.BackendHealth = health
	c.coverage = append(c.coverage, cov)
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
