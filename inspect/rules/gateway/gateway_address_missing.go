package gateway

import (
	"fmt"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// GatewayAddressMissing reports the addresses a Gateway asks for that GKE
// cannot give it.
var GatewayAddressMissing = &inspect.Rule{
	ID:           "gateway-address-missing",
	Severity:     inspect.Error,
	WholeProject: true,
	Title:        "Every address a GKE Gateway asks for is a reserved address of its scope, free for it",
	Doc: inspect.Doc{
		Why: `GKE's Gateway takes a static address only as spec.addresses type NamedAddress, value the name of a reserved Compute Engine address in the cluster's project: global for the global classes (gke-l7-global-external-managed, gke-l7-gxlb), in the cluster's region for the regional ones, INTERNAL for gke-l7-rilb. Any other type ("IPAddress", "networking.gke.io/NamedAddress"), an address that does not exist in that scope, or one another forwarding rule already uses, fails the Gateway (GWCER106 ... address "X" does not exist / unsupported address type): Programmed False, no load balancer.`,
		Fix: `Reserve the address in the right scope and name it (type NamedAddress), or free it from the other load balancer:
  gcloud compute addresses create NAME --global                       # global classes
  gcloud compute addresses create NAME --region REGION                # regional external
  gcloud compute addresses create NAME --region REGION --subnet SUBNET  # gke-l7-rilb (internal)`,
		Sources: []string{"GKE: Gateway static IP addresses (cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways#gateway_ip_addressing)",
			"GKE Gateway troubleshooting: GWCER106", "kubernetes-sigs/gateway-api#2632 (gke-l7-rilb: only NamedAddress is supported)"},
		URL: "https://cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways#gateway_ip_addressing",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		known := inv.Known(inventory.ComputeAddresses, inventory.ProjectScope(inv.Project))
		gkeGateways(p, func(cl *inventory.Cluster, gw *inventory.Gateway, res inspect.Resource) {
			class := gw.Spec.GatewayClassName
			// A Gateway that asks for addresses is judged when each could
			// be looked up.
			decided := len(gw.Spec.Addresses) > 0
			defer func() {
				if decided {
					p.Judge(res)
				}
			}()
			for _, a := range gw.Spec.Addresses {
				typ := "IPAddress"
				if a.Type != nil {
					typ = *a.Type
				}
				key := typ + "/" + a.Value
				if typ != "NamedAddress" {
					if strings.HasPrefix(typ, "networking.gke.io/ephemeral-ipv4-address/") {
						continue // the cross-regional class's per-region ephemeral addresses
					}
					p.Report(inspect.Finding{
						Message:  fmt.Sprintf("spec.addresses asks for %s %q, but GKE's Gateway takes only type NamedAddress (a reserved address's name): GWCER106 unsupported address type, and the Gateway gets no load balancer", typ, a.Value),
						Resource: res, Key: key, Evidence: map[string]any{"type": typ, "value": a.Value},
						Remediation: fmt.Sprintf("reserve the address (%s) and set spec.addresses: [{type: NamedAddress, value: NAME}] on Gateway %s/%s", reserveCommand(cl, class, "NAME"), gw.Namespace, gw.Name),
					})
					continue
				}
				if !known {
					p.CouldNotCheck(inventory.ProjectScope(inv.Project), fmt.Sprintf("Gateway %s/%s names address %q, and the addresses could not be listed", gw.Namespace, gw.Name, a.Value), "")
					decided = false
					continue
				}
				addr, wrong := findAddress(inv, cl, class, a.Value)
				switch {
				case addr == nil && wrong != nil:
					p.Report(inspect.Finding{
						Message:  fmt.Sprintf("spec.addresses names %q, which is a %s address, but class %s needs %s: GWCER106 address %q does not exist, and the Gateway gets no load balancer", a.Value, describeAddress(wrong), class, wantScope(cl, class), a.Value),
						Resource: res, Key: key, Evidence: map[string]any{"address": a.Value, "found": wrong.SelfLink, "class": class},
						Remediation: reserveCommand(cl, class, a.Value) + fmt.Sprintf("   # %s, and keep spec.addresses", wantScope(cl, class)),
					})
				case addr == nil:
					p.Report(inspect.Finding{
						Message:  fmt.Sprintf("spec.addresses names %q, which is not a reserved address of project %s (%s): GWCER106 address %q does not exist, and the Gateway gets no load balancer", a.Value, inv.Project, wantScope(cl, class), a.Value),
						Resource: res, Key: key, Evidence: map[string]any{"address": a.Value, "class": class},
						Remediation: reserveCommand(cl, class, a.Value),
					})
				default:
					if other := otherUser(gw, addr); other != "" {
						p.Report(inspect.Finding{
							Message:  fmt.Sprintf("spec.addresses names %q (%s), which forwarding rule %s of another load balancer already uses: GKE cannot give it to this Gateway", a.Value, addr.Address, inventory.LastSegment(other)),
							Resource: res, Key: key, Evidence: map[string]any{"address": a.Value, "ip": addr.Address, "usedBy": other},
							Remediation: fmt.Sprintf("reserve another address (%s) and name it in spec.addresses, or delete the other load balancer's forwarding rule %s", reserveCommand(cl, class, a.Value+"-2"), inventory.RelativeName(other)),
						})
					}
				}
			}
		})
	},
}

// findAddress finds a reserved address by name in the scope the class
// needs; wrong is one of that name in another scope or of another type.
func findAddress(inv *inventory.Inventory, cl *inventory.Cluster, class, name string) (addr, wrong *compute.Address) {
	for _, a := range inv.Compute.Addresses {
		if a.Name != name || inventory.ProjectOf(a.SelfLink) != inv.Project {
			continue
		}
		regional := gke.GatewayClassRegional(class)
		scopeOK := (regional && inventory.LastSegment(a.Region) == cl.Region()) || (!regional && a.Region == "")
		typeOK := (gke.GatewayClassInternal(class) && a.AddressType == "INTERNAL") || (!gke.GatewayClassInternal(class) && a.AddressType != "INTERNAL")
		if scopeOK && typeOK {
			return a, nil
		}
		wrong = a
	}
	return nil, wrong
}

func describeAddress(a *compute.Address) string {
	scope := "global"
	if a.Region != "" {
		scope = "regional (" + inventory.LastSegment(a.Region) + ")"
	}
	return scope + " " + strings.ToLower(firstNonEmpty(a.AddressType, "EXTERNAL"))
}

func wantScope(cl *inventory.Cluster, class string) string {
	switch {
	case gke.GatewayClassInternal(class) && gke.GatewayClassRegional(class):
		return "an internal address in region " + cl.Region()
	case gke.GatewayClassRegional(class):
		return "an external address in region " + cl.Region()
	}
	return "a global external address"
}

func reserveCommand(cl *inventory.Cluster, class, name string) string {
	switch {
	case gke.GatewayClassInternal(class) && gke.GatewayClassRegional(class):
		return fmt.Sprintf("gcloud compute addresses create %s --region %s --subnet %s --project %s", name, cl.Region(), inventory.LastSegment(cl.SubnetworkURL()), cl.Project)
	case gke.GatewayClassRegional(class):
		return fmt.Sprintf("gcloud compute addresses create %s --region %s --project %s", name, cl.Region(), cl.Project)
	}
	return fmt.Sprintf("gcloud compute addresses create %s --global --project %s", name, cl.Project)
}

// otherUser is a forwarding rule using the address that is not the
// Gateway's own (its networking.gke.io/forwarding-rules annotation), or "".
func otherUser(gw *inventory.Gateway, a *compute.Address) string {
	own := map[string]bool{}
	for _, fr := range gke.GatewayAnnotationPaths(gw.Annotations[gke.AnnGatewayForwardingRules]) {
		own[inventory.LastSegment(fr)] = true
	}
	for _, u := range a.Users {
		if strings.Contains(u, "/forwardingRules/") && !own[inventory.LastSegment(u)] && !strings.HasPrefix(inventory.LastSegment(u), gke.PrefixGateway) {
			return u
		}
	}
	return ""
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
