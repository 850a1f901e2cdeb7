package network

import (
	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inventory"
)

// addressesNamed returns the project's addresses of that name: global
// ones, and regional ones by region.
func addressesNamed(inv *inventory.Inventory, name string) (global *compute.Address, regional map[string]*compute.Address) {
	regional = map[string]*compute.Address{}
	for _, a := range inv.Compute.Addresses {
		if a.Name != name {
			continue
		}
		if a.Region == "" {
			global = a
		} else {
			regional[inventory.LastSegment(a.Region)] = a
		}
	}
	return global, regional
}
