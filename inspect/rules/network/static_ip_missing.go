package network

import (
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// StaticIPMissing reports static-IP annotations naming no address.
var StaticIPMissing = &inspect.Rule{
	ID:           "static-ip-missing",
	Severity:     inspect.Error,
	WholeProject: true,
	Title:        "Every static IP an Ingress names is a reserved address in the load balancer's scope",
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
		if !p.Known(inventory.ComputeAddresses, inventory.ProjectScope(inv.Project)) {
			return
		}
		core.ForIngresses(p, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			ref, ok := gke.StaticIPOf(ing)
			if !ok {
				return
			}
			res := core.KubeResource(cl, "Ingress", ing.ObjectMeta)
			p.Judge(res)
			global, regional := addressesNamed(inv, ref.Name)
			region := cl.Region()
			var msg, fix string
			switch {
			case ref.Global && global == nil:
				msg = fmt.Sprintf("%s names %q, but project %s has no global address of that name", ref.Annotation, ref.Name, inv.Project)
				if len(regional) > 0 {
					msg += fmt.Sprintf(" (a regional address of that name exists in %s; the global annotation does not look there)", strings.Join(core.SortedKeys(regional), ", "))
				}
				fix = fmt.Sprintf("gcloud compute addresses create %s --global --project %s", ref.Name, inv.Project)
			case !ref.Global && regional[region] == nil:
				msg = fmt.Sprintf("%s names %q, but project %s has no address of that name in region %s", ref.Annotation, ref.Name, inv.Project, region)
				if global != nil {
					msg += " (a global address of that name exists; the regional annotation does not look there)"
				}
				fix = fmt.Sprintf("gcloud compute addresses create %s --region %s --project %s", ref.Name, region, inv.Project)
				if class == gke.ClassInternal {
					fix += " --subnet " + inventory.LastSegment(cl.SubnetworkURL())
				}
			default:
				return
			}
			p.Report(inspect.Finding{
				Message:     msg + ": the forwarding rule cannot be created and the Ingress gets no address",
				Resource:    res,
				Evidence:    map[string]any{"annotation": ref.Annotation, "address": ref.Name, "regionalAddressRegions": core.SortedKeys(regional), "globalAddressExists": global != nil},
				Remediation: fix + fmt.Sprintf("   # or correct %s on Ingress %s/%s", ref.Annotation, ing.Namespace, ing.Name),
			})
		})
	},
}
