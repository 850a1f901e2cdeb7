package core

import (
	"net/netip"

	"github.com/lbdiag/lbdiag/inventory"
)

// rfc1918 are the private blocks a new subnet range is chosen from, in
// order of preference.
var rfc1918 = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

// autoModeRange is reserved for the subnets of auto mode VPCs.
var autoModeRange = netip.MustParsePrefix("10.128.0.0/9")

// vpcRanges returns every IPv4 range lbdiag knows to be used in a VPC: its
// subnets' primary and secondary ranges and the Pod, Service and control
// plane ranges of its GKE clusters.
func VPCRanges(inv *inventory.Inventory, network string) []netip.Prefix {
	var used []netip.Prefix
	add := func(s string) {
		if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is4() {
			used = append(used, p.Masked())
		}
	}
	for _, s := range inv.Compute.Subnetworks {
		if !inventory.SameResource(s.Network, network) {
			continue
		}
		add(s.IpCidrRange)
		for _, r := range s.SecondaryIpRanges {
			add(r.IpCidrRange)
		}
	}
	for _, cl := range inv.Clusters {
		if !inventory.SameResource(cl.NetworkURL(), network) {
			continue
		}
		add(cl.Info.GetClusterIpv4Cidr())
		add(cl.Info.GetServicesIpv4Cidr())
		add(cl.Info.GetPrivateClusterConfig().GetMasterIpv4CidrBlock())
	}
	// The auto mode range is reserved whether or not the VPC is auto mode
	// and whether or not the networks list was read: the cost of skipping
	// it is nil, the cost of using it can be a future collision.
	used = append(used, autoModeRange)
	return used
}

// FreePrefix returns the first prefix of length bits inside the private
// blocks that overlaps none of used, searching the block of near (the
// cluster subnet) first, upward from near.
func FreePrefix(used []netip.Prefix, bits int, near netip.Prefix) (netip.Prefix, bool) {
	var blocks []netip.Prefix
	start := map[netip.Prefix]netip.Addr{}
	for _, b := range rfc1918 {
		if near.IsValid() && b.Contains(near.Addr()) {
			blocks = append([]netip.Prefix{b}, blocks...)
			start[b] = near.Masked().Addr()
		} else {
			blocks = append(blocks, b)
		}
	}
	for _, b := range blocks {
		if p, ok := scan(b, bits, start[b], used); ok {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// scan walks block in steps of /bits from from (or the block start),
// wrapping once.
func scan(block netip.Prefix, bits int, from netip.Addr, used []netip.Prefix) (netip.Prefix, bool) {
	first := netip.PrefixFrom(block.Addr(), bits)
	cand := first
	if from.IsValid() {
		cand = netip.PrefixFrom(from, bits).Masked()
	}
	origin := cand
	for {
		if !overlapsAny(cand, used) {
			return cand, true
		}
		next, ok := nextPrefix(cand)
		if !ok || !block.Contains(next.Addr()) {
			next = first
		}
		if next == origin {
			return netip.Prefix{}, false
		}
		cand = next
	}
}

func nextPrefix(p netip.Prefix) (netip.Prefix, bool) {
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	step := uint32(1) << (32 - p.Bits())
	n := v + step
	if n < v {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), p.Bits()), true
}

func overlapsAny(p netip.Prefix, used []netip.Prefix) bool {
	for _, u := range used {
		if p.Overlaps(u) {
			return true
		}
	}
	return false
}
