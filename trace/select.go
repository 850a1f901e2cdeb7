package trace

import (
	"sort"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inventory"
)

// Frontend kinds: what a forwarding rule hands the connection to.
const (
	frontHTTP        = "http"
	frontHTTPS       = "https"
	frontPassthrough = "passthrough"
	frontOther       = "other"
)

// frontendKind says what a forwarding rule's target is.
func frontendKind(fr *compute.ForwardingRule) string {
	switch {
	case strings.Contains(fr.Target, "/targetHttpProxies/"):
		return frontHTTP
	case strings.Contains(fr.Target, "/targetHttpsProxies/"):
		return frontHTTPS
	case strings.Contains(fr.BackendService, "/backendServices/") || strings.Contains(fr.Target, "/backendServices/"):
		return frontPassthrough
	}
	return frontOther
}

// listensOn reports whether a forwarding rule receives connections on a
// port: allPorts, its ports, or its portRange ("80-80", "80").
func listensOn(fr *compute.ForwardingRule, port int) bool {
	if fr.AllPorts {
		return true
	}
	for _, p := range fr.Ports {
		if p == strconv.Itoa(port) {
			return true
		}
	}
	if fr.PortRange == "" {
		// A passthrough rule without ports takes every port.
		return len(fr.Ports) == 0 && frontendKind(fr) == frontPassthrough
	}
	lo, hi, ok := strings.Cut(fr.PortRange, "-")
	if !ok {
		hi = lo
	}
	l, err1 := strconv.Atoi(lo)
	h, err2 := strconv.Atoi(hi)
	return err1 == nil && err2 == nil && l <= port && port <= h
}

// portsOf renders a forwarding rule's ports.
func portsOf(fr *compute.ForwardingRule) string {
	switch {
	case fr.AllPorts:
		return "all"
	case len(fr.Ports) > 0:
		return strings.Join(fr.Ports, ",")
	case strings.HasSuffix(fr.PortRange, "-"+strings.Split(fr.PortRange, "-")[0]):
		return strings.Split(fr.PortRange, "-")[0]
	}
	return fr.PortRange
}

// serves reports whether a forwarding rule takes the request: it listens
// on the request's port and speaks its scheme (an HTTPS proxy for https, an
// HTTP proxy for http; a passthrough or TCP/SSL proxy takes either).
func serves(fr *compute.ForwardingRule, r Request) bool {
	if !listensOn(fr, r.Port) || (fr.IPProtocol != "" && fr.IPProtocol != "TCP") {
		return false
	}
	switch frontendKind(fr) {
	case frontHTTP:
		return r.Scheme == "http"
	case frontHTTPS:
		return r.Scheme == "https"
	}
	return true
}

// chooseByAddress returns the forwarding rules with one of the addresses
// that serve the request, and those with the addresses that do not.
func chooseByAddress(inv *inventory.Inventory, r Request, addresses []string) (chosen, near []*compute.ForwardingRule) {
	want := map[string]bool{}
	for _, a := range addresses {
		want[a] = true
	}
	for _, fr := range inv.Compute.ForwardingRules {
		if !want[fr.IPAddress] || inventory.ProjectOf(fr.SelfLink) != inv.Project {
			continue
		}
		if serves(fr, r) {
			chosen = append(chosen, fr)
		} else {
			near = append(near, fr)
		}
	}
	return chosen, near
}

// chooseByHost returns the forwarding rules that serve the request whose
// URL map has a host rule naming its host: exactly, or by a wildcard
// ("*.example.com"); "*" names every host and does not count. near are
// the Application Load Balancer forwarding rules on the request's port
// that do not name it.
func chooseByHost(inv *inventory.Inventory, r Request) (chosen, near []*compute.ForwardingRule) {
	x := newIndex(inv)
	for _, fr := range inv.Compute.ForwardingRules {
		kind := frontendKind(fr)
		if (kind != frontHTTP && kind != frontHTTPS) || !serves(fr, r) {
			continue
		}
		if um := x.mapOf(fr); um != nil && namesHost(um, r.Host) {
			chosen = append(chosen, fr)
		} else {
			near = append(near, fr)
		}
	}
	return chosen, near
}

// namesHost reports whether a URL map has a host rule that names host
// exactly or by a suffix wildcard.
func namesHost(um *compute.UrlMap, host string) bool {
	for _, hr := range um.HostRules {
		for _, h := range hr.Hosts {
			h = stripPort(strings.ToLower(h))
			switch {
			case h == "*":
			case h == host:
				return true
			case strings.HasPrefix(h, "*") && len(host) > len(h)-1 && strings.HasSuffix(host, h[1:]):
				return true
			}
		}
	}
	return false
}

// ChooseFrontends is what a live trace follows, from the frontends read:
// the forwarding rules of the addresses that serve the request, or, with
// no addresses, those whose URL map names its host.
func ChooseFrontends(inv *inventory.Inventory, r Request, addresses []string) []string {
	var chosen []*compute.ForwardingRule
	if len(addresses) > 0 {
		chosen, _ = chooseByAddress(inv, r, addresses)
	} else {
		chosen, _ = chooseByHost(inv, r)
	}
	out := make([]string, 0, len(chosen))
	for _, fr := range chosen {
		out = append(out, fr.SelfLink)
	}
	return out
}

// frontendInfo describes a forwarding rule for a user choosing with --ip.
func frontendInfo(x *index, fr *compute.ForwardingRule) FrontendInfo {
	fi := FrontendInfo{ForwardingRule: Ref{Name: fr.Name, SelfLink: fr.SelfLink}, Address: fr.IPAddress, Ports: portsOf(fr)}
	if um := x.mapOf(fr); um != nil {
		for _, hr := range um.HostRules {
			fi.Hosts = append(fi.Hosts, hr.Hosts...)
		}
		sort.Strings(fi.Hosts)
	}
	return fi
}
