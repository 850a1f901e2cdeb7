package gcp

import (
	"context"
	"sort"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inventory"
)

// readEffectiveFirewallsOnce reads a VPC's effective firewalls unless the
// run has read them already: clusters and backend groups name the same
// VPCs.
func (c *collector) readEffectiveFirewallsOnce(ctx context.Context, svc *compute.Service, network string) {
	network = inventory.RelativeName(network)
	if _, done := c.firewallsRead.LoadOrStore(network, true); done {
		return
	}
	c.collectEffectiveFirewalls(ctx, svc, network)
}

// backendNetworks are the VPCs of the project's backend groups that
// backend services use: the instance groups' and zonal NEGs' networks,
// as the lists give them, sorted. Call it once the backend services,
// instance groups and NEGs are listed.
func (c *collector) backendNetworks() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	groups := map[string]bool{}
	for _, bs := range c.compute.BackendServices {
		for _, b := range bs.Backends {
			groups[inventory.RelativeName(b.Group)] = true
		}
	}
	nets := map[string]bool{}
	for _, ig := range c.compute.InstanceGroups {
		if ig.Network != "" && groups[inventory.RelativeName(ig.SelfLink)] {
			nets[ig.Network] = true
		}
	}
	for _, neg := range c.compute.NEGs {
		switch neg.NetworkEndpointType {
		case "GCE_VM_IP_PORT", "GCE_VM_IP":
			if neg.Network != "" && groups[inventory.RelativeName(neg.SelfLink)] {
				nets[neg.Network] = true
			}
		}
	}
	out := make([]string, 0, len(nets))
	for n := range nets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// collectEffectiveFirewalls reads networks.getEffectiveFirewalls for a VPC
// that hosts an inspected cluster or load-balanced backends: the VPC rules
// together with the hierarchical and network firewall policies that
// apply. network is the VPC's relative name, which keys the inventory's
// map and scopes the coverage entry.
func (c *collector) collectEffectiveFirewalls(ctx context.Context, svc *compute.Service, network string) {
	project, name := inventory.ProjectOf(network), inventory.LastSegment(network)
	if reason, ok := c.opts.skip(inventory.ComputeEffectiveFirewalls); ok {
		c.coverSkipped(inventory.ComputeEffectiveFirewalls, network, reason)
		return
	}
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
