package gcp

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inventory"
)

// collectEffectiveFirewalls reads networks.getEffectiveFirewalls for a VPC
// that hosts an inspected cluster: the VPC rules together with the
// hierarchical and network firewall policies that apply.
func (c *collector) collectEffectiveFirewalls(ctx context.Context, svc *compute.Service, network string) {
	project, name := inventory.ProjectOf(network), inventory.LastSegment(network)
	resp, err := svc.Networks.GetEffectiveFirewalls(project, name).Context(ctx).Do()
	cov := inventory.Coverage{Source: inventory.ComputeEffectiveFirewalls, Scope: network, Status: inventory.StatusOK}
	if err != nil {
		cov.Status, cov.Error = inventory.StatusError, c.errorText(err)
		cov.Hint = c.googleHint(ctx, err, "compute", project, "compute.networks.getEffectiveFirewalls", "roles/compute.networkViewer") +
			"; firewall findings then rest on VPC firewall rules alone"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		if c.compute.EffectiveFirewalls == nil {
			c.compute.EffectiveFirewalls = map[string]*compute.NetworksGetEffectiveFirewallsResponse{}
		}
		c.compute.EffectiveFirewalls[network] = resp
	}
	c.coverage = append(c.coverage, cov)
}

// healthReader calls backendServices.getHealth for the backend groups of
// the backend services that serve inspected Ingresses and Gateways. Each
// cluster's reads start as soon as its objects and the backend service list
// are in. A group shared by several backend services with the same health
// checks is read once: the answer is the same.
type healthReader struct {
	c   *collector
	svc *compute.Service

	mu      sync.Mutex
	wg      sync.WaitGroup
	reads   map[string]*healthRead       // by groupKey
	uses    map[string]map[string]string // backend service selfLink -> group -> groupKey
	byKey   map[string]*compute.BackendService
	wanted  int // backend groups asked for, shared ones counted once each
	started bool
}

// healthRead is one getHealth call and its answer.
type healthRead struct {
	bs    *compute.BackendService
	group string
	resp  *compute.BackendServiceGroupHealth
	err   error
	ctx   context.Context
}

func newHealthReader(c *collector, svc *compute.Service) *healthReader {
	return &healthReader{c: c, svc: svc, reads: map[string]*healthRead{}, uses: map[string]map[string]string{}}
}

// groupKey identifies a read: the group and the health checks that judge
// it.
func groupKey(bs *compute.BackendService, group string) string {
	hcs := make([]string, 0, len(bs.HealthChecks))
	for _, h := range bs.HealthChecks {
		hcs = append(hcs, inventory.RelativeName(h))
	}
	sort.Strings(hcs)
	return inventory.RelativeName(group) + "|" + strings.Join(hcs, ",")
}

// readCluster starts the reads for the backend services the cluster's
// Ingresses and Gateways name. The backend service list must be in.
func (h *healthReader) readCluster(ctx context.Context, cl *inventory.Cluster) {
	serving := inventory.ServingBackendServices(cl)
	if len(serving) == 0 {
		return
	}
	h.c.mu.Lock()
	var list []*compute.BackendService
	for _, bs := range h.c.compute.BackendServices {
		if _, ok := serving[inventory.ScopedKey(bs.SelfLink)]; ok {
			list = append(list, bs)
		}
	}
	h.c.mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.started = true
	for _, bs := range list {
		if h.uses[bs.SelfLink] == nil {
			h.uses[bs.SelfLink] = map[string]string{}
		}
		for _, b := range bs.Backends {
			key := groupKey(bs, b.Group)
			h.uses[bs.SelfLink][b.Group] = key
			if _, ok := h.reads[key]; ok {
				continue
			}
			r := &healthRead{bs: bs, group: b.Group, ctx: ctx}
			h.reads[key] = r
			h.wanted++
			h.wg.Add(1)
			go func() {
				defer h.wg.Done()
				r.resp, r.err = h.get(ctx, bs, b.Group)
			}()
		}
	}
}

func (h *healthReader) get(ctx context.Context, bs *compute.BackendService, group string) (*compute.BackendServiceGroupHealth, error) {
	project := inventory.ProjectOf(bs.SelfLink)
	ref := &compute.ResourceGroupReference{Group: group}
	if bs.Region != "" {
		return h.svc.RegionBackendServices.GetHealth(project, inventory.LastSegment(bs.Region), bs.Name, ref).Context(ctx).Do()
	}
	return h.svc.BackendServices.GetHealth(project, bs.Name, ref).Context(ctx).Do()
}

// finish waits for every read and stores the answers, keyed by backend
// service selfLink and group, with one coverage entry.
func (h *healthReader) finish() {
	h.wg.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.started {
		return
	}
	health := map[string]map[string]*compute.BackendServiceGroupHealth{}
	for bsLink, groups := range h.uses {
		for group, key := range groups {
			if r := h.reads[key]; r.err == nil && r.resp != nil {
				if health[bsLink] == nil {
					health[bsLink] = map[string]*compute.BackendServiceGroupHealth{}
				}
				health[bsLink][group] = r.resp
			}
		}
	}
	var failures []string
	var first *healthRead
	keys := make([]string, 0, len(h.reads))
	for k := range h.reads {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if r := h.reads[k]; r.err != nil {
			if first == nil {
				first = r
			}
			failures = append(failures, fmt.Sprintf("%s group %s: %s", r.bs.Name, inventory.RelativeName(r.group), h.c.errorText(r.err)))
		}
	}
	cov := inventory.Coverage{Source: inventory.ComputeBackendHealth, Scope: inventory.ProjectScope(h.c.opts.Project), Status: inventory.StatusOK}
	if len(failures) > 0 {
		cov.Status = inventory.StatusError
		cov.Error = fmt.Sprintf("%d of %d getHealth calls failed; first: %s", len(failures), len(h.reads), failures[0])
		cov.Hint = "the health of those groups is unknown; " +
			h.c.googleHint(first.ctx, first.err, "compute", inventory.ProjectOf(first.bs.SelfLink), "compute.backendServices.get", "roles/compute.viewer")
	}
	h.c.mu.Lock()
	defer h.c.mu.Unlock()
	h.c.compute.BackendHealth = health
	h.c.coverage = append(h.c.coverage, cov)
}
