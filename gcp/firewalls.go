package gcp

import (
	"context"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inventory"
)

// collectEffectiveFirewalls reads networks.getEffectiveFirewalls for a VPC
// that hosts an inspected cluster: the VPC rules together with the
// hierarchical and network firewall policies that apply.
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
