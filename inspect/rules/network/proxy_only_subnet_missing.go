package network

import (
	"fmt"
	"net/netip"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// ProxyOnlySubnetMissing reports Ingresses and Gateways whose Envoy-based
// load balancer needs a proxy-only subnet the cluster's region and VPC lack.
var ProxyOnlySubnetMissing = &inspect.Rule{
	ID:       "proxy-only-subnet-missing",
	Severity: inspect.Error,
	Title:    "Every region and VPC serving an internal or regional Ingress or Gateway has an ACTIVE proxy-only subnet",
	Doc: inspect.Doc{
		Why: `Internal Application Load Balancers (Ingress class gce-internal, Gateway class gke-l7-rilb), regional external ones (gce-regional-external, gke-l7-regional-external-managed) and cross-region internal ones run Envoy proxies that take their addresses from a proxy-only subnet in the load balancer's region and VPC. Without an ACTIVE one, creating the forwarding rule fails with "An active proxy-only subnetwork is required in the same region and VPC as the forwarding rule" and the load balancer never gets an address; the Ingress shows "Error syncing to GCP" and the Gateway stays Programmed=False. A BACKUP subnet does not serve traffic.`,
		Fix: `Create one ACTIVE proxy-only subnet per region and VPC (a /23 leaves room for the proxies), in the project that owns the VPC (the host project for Shared VPC):
  gcloud compute networks subnets create proxy-only-REGION --purpose=REGIONAL_MANAGED_PROXY --role=ACTIVE --region=REGION --network=VPC --range=CIDR --project=PROJECT
Then allow traffic from that range to the Pods (see proxy-only-firewall-missing).`,
		Sources: []string{
			"Configuring Ingress for internal Application Load Balancers: prepare the environment (cloud.google.com/kubernetes-engine/docs/how-to/internal-load-balance-ingress)",
			"Proxy-only subnets for Envoy-based load balancers (cloud.google.com/load-balancing/docs/proxy-only-subnets)",
			"kubernetes/ingress-gce issue #1148 (error text)",
		},
		URL: "https://cloud.google.com/load-balancing/docs/proxy-only-subnets",
	},
	Check: checkProxyOnlySubnet,
}

// proxyNeed is what one load balancer requires.
type proxyNeed struct {
	kind, ns, name, class string
	purposes              []string // any of these, ACTIVE
	meta                  inspect.Resource
}

func proxyNeeds(cl *inventory.Cluster) []proxyNeed {
	var out []proxyNeed
	for i := range cl.Ingresses {
		ing := &cl.Ingresses[i]
		n := proxyNeed{kind: "Ingress", ns: ing.Namespace, name: ing.Name, class: gke.IngressClass(ing), meta: core.KubeResource(cl, "Ingress", ing.ObjectMeta)}
		if n.purposes = gke.IngressProxyPurposes(n.class); n.purposes == nil {
			continue
		}
		out = append(out, n)
	}
	for i := range cl.Gateways {
		gw := &cl.Gateways[i]
		n := proxyNeed{kind: "Gateway", ns: gw.Namespace, name: gw.Name, class: gw.Spec.GatewayClassName, meta: core.KubeResource(cl, "Gateway", gw.ObjectMeta)}
		if n.purposes = gke.GatewayProxyPurposes(n.class); n.purposes == nil {
			continue
		}
		out = append(out, n)
	}
	return out
}

func checkProxyOnlySubnet(p *inspect.Pass) {
	inv := p.Inventory
	for _, cl := range inv.Clusters {
		// The needs come from the cluster's Ingresses and Gateways: where
		// they were not read, the rule could not check (those read are
		// still checked).
		p.Known(inventory.KubeIngresses, cl.Scope())
		p.Known(inventory.KubeGateways, cl.Scope())
		needs := proxyNeeds(cl)
		network := cl.NetworkURL()
		if len(needs) == 0 || network == "" {
			continue
		}
		hostProject := cl.NetworkProject()
		if !p.Known(inventory.ComputeSubnetworks, inventory.ProjectScope(hostProject)) {
			continue
		}
		region := cl.Region()
		var proxySubnets []*compute.Subnetwork
		for _, s := range inv.Compute.Subnetworks {
			if inventory.SameResource(s.Network, network) && inventory.LastSegment(s.Region) == region && gke.IsProxyOnlyPurpose(s.Purpose) {
				proxySubnets = append(proxySubnets, s)
			}
		}
		for _, n := range needs {
			p.Judge(n.meta)
			if hasActive(proxySubnets, n.purposes) {
				continue
			}
			p.Report(proxyOnlyFinding(inv, cl, n, network, hostProject, region, proxySubnets))
		}
	}
}

func hasActive(subnets []*compute.Subnetwork, purposes []string) bool {
	for _, s := range subnets {
		if core.Contains(purposes, s.Purpose) && s.Role == "ACTIVE" {
			return true
		}
	}
	return false
}

func proxyOnlyFinding(inv *inventory.Inventory, cl *inventory.Cluster, n proxyNeed, network, hostProject, region string, existing []*compute.Subnetwork) inspect.Finding {
	vpc := inventory.LastSegment(network)
	var msg strings.Builder
	fmt.Fprintf(&msg, "Class %s needs an ACTIVE proxy-only subnet (purpose %s) in region %s of VPC %s (project %s), and there is none",
		n.class, strings.Join(n.purposes, " or "), region, vpc, hostProject)
	var found []map[string]string
	for _, s := range existing {
		found = append(found, map[string]string{"name": s.Name, "purpose": s.Purpose, "role": s.Role, "ipCidrRange": s.IpCidrRange})
		fmt.Fprintf(&msg, "; subnet %s there has purpose %s and role %s", s.Name, s.Purpose, core.OrDash(s.Role))
	}
	msg.WriteString(": the load balancer's forwarding rule cannot be created")

	purpose := n.purposes[0]
	var near netip.Prefix
	if sub := cl.SubnetworkURL(); sub != "" {
		for _, s := range inv.Compute.Subnetworks {
			if inventory.SameResource(s.SelfLink, sub) {
				near, _ = netip.ParsePrefix(s.IpCidrRange)
			}
		}
	}
	cidr := "CIDR"
	rangeNote := ""
	if p, ok := core.FreePrefix(core.VPCRanges(inv, network), 23, near); ok {
		cidr = p.String()
		rangeNote = fmt.Sprintf("\n# %s overlaps no subnet, secondary range or GKE range of VPC %s that lbdiag read; check peered and on-premises ranges too", cidr, vpc)
	}
	fix := fmt.Sprintf("gcloud compute networks subnets create proxy-only-%s --purpose=%s --role=ACTIVE --region=%s --network=%s --range=%s --project=%s%s",
		region, purpose, region, vpc, cidr, hostProject, rangeNote)
	// A BACKUP subnet of the right purpose can simply be promoted.
	for _, s := range existing {
		if core.Contains(n.purposes, s.Purpose) && s.Role == "BACKUP" {
			fix = fmt.Sprintf("gcloud compute networks subnets update %s --role=ACTIVE --region=%s --project=%s", s.Name, region, hostProject)
		}
	}
	ev := map[string]any{
		"class":              n.class,
		"region":             region,
		"network":            inventory.RelativeName(network),
		"requiredPurpose":    n.purposes,
		"proxyOnlySubnets":   orEmptyMaps(found),
		"networkHostProject": hostProject,
	}
	if cidr != "CIDR" {
		ev["suggestedRange"] = cidr
	}
	return inspect.Finding{Message: msg.String(), Resource: n.meta, Evidence: ev, Remediation: fix}
}

func orEmptyMaps(m []map[string]string) []map[string]string {
	if m == nil {
		return []map[string]string{}
	}
	return m
}
