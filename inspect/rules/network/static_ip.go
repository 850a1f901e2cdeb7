package network

import (
	"fmt"
	"sort"
	"strings"

	compute "google.golang.org/api/compute/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// staticIPRef is the static address an Ingress asks for.
type staticIPRef struct {
	annotation, name string
	global           bool
}

func staticIPOf(ing *networkingv1.Ingress) (staticIPRef, bool) {
	if n := strings.TrimSpace(ing.Annotations[core.AnnGlobalStaticIP]); n != "" {
		return staticIPRef{annotation: core.AnnGlobalStaticIP, name: n, global: true}, true
	}
	if n := strings.TrimSpace(ing.Annotations[core.AnnRegionalIP]); n != "" {
		return staticIPRef{annotation: core.AnnRegionalIP, name: n}, true
	}
	return staticIPRef{}, false
}

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

// StaticIPMissing reports static-IP annotations naming no address.
var StaticIPMissing = &inspect.Rule{
	ID:       "static-ip-missing",
	Severity: inspect.Error,
	Title:    "Every static IP an Ingress names is a reserved address in the load balancer's scope",
	Doc: inspect.Doc{
		Why: `kubernetes.io/ingress.global-static-ip-name must name a global address of the project (a regional one of the same name does not count), and kubernetes.io/ingress.regional-static-ip-name an address in the cluster's region. Otherwise the forwarding rule cannot be created: "the given static IP name ... doesn't translate to an existing static IP", and the Ingress gets no address.`,
		Fix: `Reserve the address in the right scope, or correct the annotation:
  gcloud compute addresses create NAME --global --project PROJECT
  gcloud compute addresses create NAME --region REGION --subnet SUBNET --project PROJECT   # internal Ingress`,
		Sources: []string{"kubernetes/ingress-gce pkg/loadbalancers/forwarding_rules.go (getEffectiveIP)", "Configuring domain names with static IP addresses (" + core.DocStaticIP + ")"},
		URL:     core.DocStaticIP,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !inv.Known(inventory.ComputeAddresses, inventory.ProjectScope(inv.Project)) {
			return
		}
		core.ForIngresses(inv, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			ref, ok := staticIPOf(ing)
			if !ok {
				return
			}
			global, regional := addressesNamed(inv, ref.name)
			region := cl.Region()
			var msg, fix string
			switch {
			case ref.global && global == nil:
				msg = fmt.Sprintf("%s names %q, but project %s has no global address of that name", ref.annotation, ref.name, inv.Project)
				if len(regional) > 0 {
					msg += fmt.Sprintf(" (a regional address of that name exists in %s; the global annotation does not look there)", strings.Join(core.SortedKeys(regional), ", "))
				}
				fix = fmt.Sprintf("gcloud compute addresses create %s --global --project %s", ref.name, inv.Project)
			case !ref.global && regional[region] == nil:
				msg = fmt.Sprintf("%s names %q, but project %s has no address of that name in region %s", ref.annotation, ref.name, inv.Project, region)
				if global != nil {
					msg += " (a global address of that name exists; the regional annotation does not look there)"
				}
				fix = fmt.Sprintf("gcloud compute addresses create %s --region %s --project %s", ref.name, region, inv.Project)
				if class == inventory.ClassInternal {
					fix += " --subnet " + inventory.LastSegment(cl.SubnetworkURL())
				}
			default:
				return
			}
			p.Report(inspect.Finding{
				Message:     msg + ": the forwarding rule cannot be created and the Ingress gets no address",
				Resource:    core.KubeResource(cl, "Ingress", ing.ObjectMeta),
				Evidence:    map[string]any{"annotation": ref.annotation, "address": ref.name, "regionalAddressRegions": core.SortedKeys(regional), "globalAddressExists": global != nil},
				Remediation: fix + fmt.Sprintf("   # or correct %s on Ingress %s/%s", ref.annotation, ing.Namespace, ing.Name),
			})
		})
	},
}

// StaticIPInUse reports static IPs already used by someone else.
var StaticIPInUse = &inspect.Rule{
	ID:       "static-ip-in-use",
	Severity: inspect.Error,
	Title:    "Every static IP an Ingress names is used only by that Ingress's forwarding rules",
	Doc: inspect.Doc{
		Why: `An address can front only one load balancer (SHARED_LOADBALANCER_VIP aside). When the address an Ingress names is already IN_USE by a forwarding rule of another load balancer (another Ingress, a Service of type LoadBalancer, a hand-made rule), creating the Ingress's forwarding rule fails with "Specified IP address is in-use and would result in a conflict" (or IP_IN_USE_BY_ANOTHER_RESOURCE) and the controller retries forever.`,
		Fix: `Reserve a new address for this Ingress, or delete the other user first:
  gcloud compute addresses create NEW-NAME --global --project PROJECT
  kubectl annotate ingress ING -n NS kubernetes.io/ingress.global-static-ip-name=NEW-NAME --overwrite`,
		Sources: []string{"Troubleshoot GKE Ingress: static IP address already in use (" + core.DocTroubleshootLB + ")", "GoogleCloudPlatform/k8s-multicluster-ingress issue #132"},
		URL:     core.DocStaticIP,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !inv.Known(inventory.ComputeAddresses, inventory.ProjectScope(inv.Project)) {
			return
		}
		frKnown := inv.Known(inventory.ComputeForwardingRules, inventory.ProjectScope(inv.Project))
		core.ForIngresses(inv, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			ref, ok := staticIPOf(ing)
			if !ok {
				return
			}
			global, regional := addressesNamed(inv, ref.name)
			addr := global
			if !ref.global {
				addr = regional[cl.Region()]
			}
			if addr == nil || addr.Status != "IN_USE" || addr.Purpose == "SHARED_LOADBALANCER_VIP" {
				return
			}
			ours := map[string]bool{}
			for _, k := range []string{"ingress.kubernetes.io/forwarding-rule", "ingress.kubernetes.io/https-forwarding-rule"} {
				if n := ing.Annotations[k]; n != "" {
					ours[n] = true
				}
			}
			var others []string
			for _, u := range addr.Users {
				name := inventory.LastSegment(u)
				if ours[name] {
					continue
				}
				if strings.Contains(u, "/forwardingRules/") {
					fr := findForwardingRule(inv, u)
					switch {
					case fr != nil && core.IngressOfDescription(fr.Description) == ing.Namespace+"/"+ing.Name:
						continue
					case fr == nil && !frKnown:
						return // cannot tell whose rule it is
					}
					owner := "not made by an Ingress"
					if fr != nil {
						if o := core.IngressOfDescription(fr.Description); o != "" {
							owner = "of Ingress " + o
						} else if o := core.ServiceOfDescription(fr.Description); o != "" {
							owner = "of Service " + o
						}
					}
					others = append(others, fmt.Sprintf("%s (%s)", inventory.RelativeName(u), owner))
					continue
				}
				others = append(others, inventory.RelativeName(u))
			}
			if len(others) == 0 {
				return
			}
			sort.Strings(others)
			scope := "--global"
			if !ref.global {
				scope = "--region " + cl.Region()
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("%s names %q (%s), which is IN_USE by %s: the Ingress's forwarding rule cannot take it",
					ref.annotation, ref.name, addr.Address, strings.Join(others, ", ")),
				Resource: core.KubeResource(cl, "Ingress", ing.ObjectMeta),
				Evidence: map[string]any{"address": ref.name, "ip": addr.Address, "status": addr.Status, "users": addr.Users},
				Remediation: fmt.Sprintf("gcloud compute addresses create %s-%s %s --project %s && kubectl annotate ingress %s -n %s %s=%s-%s --overwrite   # or free %s first",
					ing.Namespace, ing.Name, scope, inv.Project, ing.Name, ing.Namespace, ref.annotation, ing.Namespace, ing.Name, ref.name),
			})
		})
	},
}

func findForwardingRule(inv *inventory.Inventory, url string) *compute.ForwardingRule {
	for _, fr := range inv.Compute.ForwardingRules {
		if inventory.SameResource(fr.SelfLink, url) {
			return fr
		}
	}
	return nil
}
