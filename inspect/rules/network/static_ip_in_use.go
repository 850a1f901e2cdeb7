package network

import (
	"fmt"
	"sort"
	"strings"

	compute "google.golang.org/api/compute/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// StaticIPInUse reports static IPs already used by someone else.
var StaticIPInUse = &inspect.Rule{
	ID:           "static-ip-in-use",
	Severity:     inspect.Error,
	WholeProject: true,
	Title:        "Every static IP an Ingress names is used only by that Ingress's forwarding rules",
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
		if !p.Known(inventory.ComputeAddresses, inventory.ProjectScope(inv.Project)) {
			return
		}
		frKnown := inv.Known(inventory.ComputeForwardingRules, inventory.ProjectScope(inv.Project))
		core.ForIngresses(p, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			ref, ok := gke.StaticIPOf(ing)
			if !ok {
				return
			}
			global, regional := addressesNamed(inv, ref.Name)
			addr := global
			if !ref.Global {
				addr = regional[cl.Region()]
			}
			if addr == nil {
				return // static-ip-missing's case
			}
			res := core.KubeResource(cl, "Ingress", ing.ObjectMeta)
			if addr.Status != "IN_USE" || addr.Purpose == "SHARED_LOADBALANCER_VIP" {
				p.Judge(res) // free to take, or meant to be shared
				return
			}
			ours := map[string]bool{}
			for _, k := range gke.IngressForwardingRuleAnnotations {
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
					case fr != nil && gke.IngressOfDescription(fr.Description) == ing.Namespace+"/"+ing.Name:
						continue
					case fr == nil && !frKnown:
						// Cannot tell whose rule it is: recorded as not
						// checked.
						p.Known(inventory.ComputeForwardingRules, inventory.ProjectScope(inv.Project))
						return
					}
					owner := "not made by an Ingress"
					if fr != nil {
						if o := gke.IngressOfDescription(fr.Description); o != "" {
							owner = "of Ingress " + o
						} else if o := gke.ServiceOfDescription(fr.Description); o != "" {
							owner = "of Service " + o
						}
					}
					others = append(others, fmt.Sprintf("%s (%s)", inventory.RelativeName(u), owner))
					continue
				}
				others = append(others, inventory.RelativeName(u))
			}
			p.Judge(res)
			if len(others) == 0 {
				return
			}
			sort.Strings(others)
			scope := "--global"
			if !ref.Global {
				scope = "--region " + cl.Region()
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("%s names %q (%s), which is IN_USE by %s: the Ingress's forwarding rule cannot take it",
					ref.Annotation, ref.Name, addr.Address, strings.Join(others, ", ")),
				Resource: res,
				Evidence: map[string]any{"address": ref.Name, "ip": addr.Address, "status": addr.Status, "users": addr.Users},
				Remediation: fmt.Sprintf("gcloud compute addresses create %s-%s %s --project %s && kubectl annotate ingress %s -n %s %s=%s-%s --overwrite   # or free %s first",
					ing.Namespace, ing.Name, scope, inv.Project, ing.Name, ing.Namespace, ref.Annotation, ing.Namespace, ing.Name, ref.Name),
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
