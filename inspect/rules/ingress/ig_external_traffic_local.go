package ingress

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// IGExternalTrafficLocal reports instance-group backends on Services with
// externalTrafficPolicy Local.
var IGExternalTrafficLocal = &inspect.Rule{
	ID:       "ig-external-traffic-local",
	Severity: inspect.Warning,
	Title:    "No Ingress reaches a Service with externalTrafficPolicy Local through instance groups",
	Doc: inspect.Doc{
		Why: `With instance-group backends every node is a backend, and with externalTrafficPolicy: Local a node without a serving Pod drops the request: the load balancer sends traffic there until its health check (by default 10 failures 60 s apart) notices, and clients see 502s. The troubleshooting guide lists exactly this: many nodes, serving Pods on a few, externalTrafficPolicy: Local.`,
		Fix: `Any of the guide's three options:
  1. Use container-native load balancing (VPC-native cluster): kubectl annotate service SVC -n NS cloud.google.com/neg='{"ingress":true}'
  2. kubectl patch service SVC -n NS -p '{"spec":{"externalTrafficPolicy":"Cluster"}}'
  3. Label the nodes without serving Pods node.kubernetes.io/exclude-from-external-load-balancers=true`,
		Sources: []string{core.SrcTroubleshoot + ": External Ingress produces HTTP 502 errors (unmanaged instance groups)"},
		URL:     core.DocTroubleshootLB,
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		seen := map[string]bool{}
		for _, cl := range inv.Clusters {
			if !p.Known(inventory.KubeIngresses, cl.Scope()) || !p.Known(inventory.KubeServices, cl.Scope()) {
				continue
			}
			for _, b := range core.IndexOf(p).LBBackends(cl) {
				if b.NEG || b.OwnerKind != "Ingress" {
					continue
				}
				res := core.KubeResource(cl, "Service", b.Svc.ObjectMeta)
				p.Judge(res)
				if b.Svc.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
					continue
				}
				key := cl.Scope() + "/" + b.Svc.Namespace + "/" + b.Svc.Name
				if seen[key] {
					continue
				}
				seen[key] = true
				counts := "lbdiag could not count the nodes serving it"
				ev := map[string]any{"externalTrafficPolicy": "Local", "ingress": b.Owner.Namespace + "/" + b.Owner.Name}
				if inv.Known(inventory.KubeNodes, cl.Scope()) && inv.Known(inventory.KubeEndpointSlices, cl.Scope()) {
					serving := core.NodesServing(cl, b.Svc)
					counts = fmt.Sprintf("%d of the cluster's %d nodes run a serving Pod", len(serving), len(cl.Nodes))
					ev["nodes"], ev["nodesWithServingPods"] = len(cl.Nodes), serving
				}
				fix := fmt.Sprintf("kubectl patch service %s -n %s -p '{\"spec\":{\"externalTrafficPolicy\":\"Cluster\"}}'", b.Svc.Name, b.Svc.Namespace)
				if cl.Info.GetIpAllocationPolicy().GetUseIpAliases() {
					fix = fmt.Sprintf("kubectl annotate service %s -n %s cloud.google.com/neg='{\"ingress\":true}' --overwrite   # or: %s", b.Svc.Name, b.Svc.Namespace, fix)
				}
				p.Report(inspect.Finding{
					Message:     fmt.Sprintf("Ingress %s/%s reaches this Service through instance groups and it has externalTrafficPolicy: Local (%s): nodes without a serving Pod answer 502 until the health check marks them down", b.Owner.Namespace, b.Owner.Name, counts),
					Resource:    res,
					Evidence:    ev,
					Remediation: fix,
				})
			}
		}
	},
}
