package lb

import (
	"fmt"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// HTTPSForwardingRulePort reports HTTPS and SSL proxies reachable on no
// port 443.
var HTTPSForwardingRulePort = &inspect.Rule{
	ID:           "https-forwarding-rule-port",
	Severity:     inspect.Warning,
	WholeProject: true,
	Title:        "Every target HTTPS or SSL proxy has a forwarding rule on port 443",
	Doc: inspect.Doc{
		Why:     `Clients open https:// URLs on port 443. A target HTTPS (or SSL) proxy whose forwarding rules listen only on other ports (80, 8080, 8443) answers TLS where no browser looks for it, and a Google-managed certificate on it cannot be validated through port 443 either. It is usually a forwarding rule created with the HTTP rule's port by mistake.`,
		Fix:     `Create the forwarding rule on 443 for the proxy (forwarding rules' ports cannot be changed): gcloud compute forwarding-rules create NAME --global --target-https-proxy=PROXY --ports=443 --address=IP, then delete the wrong one.`,
		Sources: []string{"Forwarding rules overview: port specifications for external Application Load Balancers (cloud.google.com/load-balancing/docs/forwarding-rule-concepts#port_specifications)"},
		URL:     "https://cloud.google.com/load-balancing/docs/forwarding-rule-concepts#port_specifications",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !p.Known(inventory.ComputeForwardingRules, inventory.ProjectScope(inv.Project)) {
			return
		}
		g := core.GraphOf(p)
		for _, target := range core.SortedKeys(g.FRsByTarget) {
			kind := ""
			switch {
			case strings.Contains(target, "/targetHttpsProxies/"):
				kind = "TargetHttpsProxy"
			case strings.Contains(target, "/targetSslProxies/"):
				kind = "TargetSslProxy"
			default:
				continue
			}
			frs := g.FRsByTarget[target]
			on443 := false
			var ports []string
			res := make([]inspect.Resource, len(frs))
			for i, fr := range frs {
				res[i] = core.ResourceOf("ForwardingRule", fr.SelfLink)
				p.Judge(res[i])
				if portsInclude(fr, 443) {
					on443 = true
				}
				ports = append(ports, fr.Name+" "+frPorts(fr))
			}
			if on443 {
				continue
			}
			for i, fr := range frs {
				p.Report(inspect.Finding{
					Message: fmt.Sprintf("Forwarding rule %s (%s, %s) sends to %s %s, which no forwarding rule serves on port 443: HTTPS clients of https://%s/ cannot connect",
						fr.Name, fr.IPAddress, frPorts(fr), kind, inventory.LastSegment(target), fr.IPAddress),
					Resource:    res[i],
					Evidence:    map[string]any{"portRange": fr.PortRange, "ports": fr.Ports, "target": target, "forwardingRules": ports},
					Remediation: fmt.Sprintf("gcloud compute forwarding-rules create %s-443 %s --target-%s=%s --ports=443 --address=%s --load-balancing-scheme=%s --project %s   # then delete %s", fr.Name, core.GCloudLocationFlag(fr.SelfLink), proxyFlag(kind), inventory.LastSegment(target), fr.IPAddress, fr.LoadBalancingScheme, inventory.ProjectOf(fr.SelfLink), fr.Name),
				})
			}
		}
	},
}

func proxyFlag(kind string) string {
	if kind == "TargetSslProxy" {
		return "ssl-proxy"
	}
	return "https-proxy"
}

// frPorts renders a forwarding rule's ports.
func frPorts(fr *compute.ForwardingRule) string {
	switch {
	case fr.AllPorts:
		return "all ports"
	case len(fr.Ports) > 0:
		return "ports " + strings.Join(fr.Ports, ",")
	case fr.PortRange != "":
		lo, hi, _ := strings.Cut(fr.PortRange, "-")
		if lo == hi || hi == "" {
			return "port " + lo
		}
		return "ports " + fr.PortRange
	}
	return "no port"
}

// portsInclude reports whether a forwarding rule listens on port.
func portsInclude(fr *compute.ForwardingRule, port int) bool {
	if fr.AllPorts {
		return true
	}
	for _, ps := range fr.Ports {
		if ps == strconv.Itoa(port) {
			return true
		}
	}
	lo, hi, _ := strings.Cut(fr.PortRange, "-")
	l, err1 := strconv.Atoi(lo)
	h, err2 := strconv.Atoi(hi)
	if err2 != nil {
		h, err2 = l, err1
	}
	return err1 == nil && err2 == nil && port >= l && port <= h
}
