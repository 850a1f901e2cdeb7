package ingress

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// ClusterNotVPCNative reports routes-based clusters serving GCE Ingresses.
var ClusterNotVPCNative = &inspect.Rule{
	ID:       "cluster-not-vpc-native",
	Severity: inspect.Warning,
	Title:    "Every cluster serving GCE Ingresses is VPC-native",
	Doc: inspect.Doc{
		Why:     `A routes-based cluster (ipAllocationPolicy.useIpAliases false) cannot use container-native load balancing: Ingress traffic goes through instance groups to NodePorts and then kube-proxy, with an extra hop, health checks of nodes instead of Pods, and the 502s the troubleshooting guide describes for instance groups (externalTrafficPolicy: Local, nodes without serving Pods). gce-internal Ingresses do not work at all.`,
		Fix:     `Move the workloads to a VPC-native cluster (a routes-based cluster cannot be converted): gcloud container clusters create CLUSTER --enable-ip-alias ...`,
		Sources: []string{core.SrcTroubleshoot + ": External Ingress produces HTTP 502 errors (unmanaged instance groups)", "VPC-native clusters (cloud.google.com/kubernetes-engine/docs/concepts/alias-ips)"},
		URL:     "https://cloud.google.com/kubernetes-engine/docs/concepts/alias-ips",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			res := clusterResource(cl)
			if cl.Info.GetIpAllocationPolicy().GetUseIpAliases() {
				// VPC-native: it passes whatever it serves; it is judged
				// when it is known to serve a GCE Ingress.
				if inv.Known(inventory.KubeIngresses, cl.Scope()) && len(loadBalancedObjects(cl, false)) > 0 {
					p.Judge(res)
				}
				continue
			}
			if !p.Known(inventory.KubeIngresses, cl.Scope()) {
				continue
			}
			objs := loadBalancedObjects(cl, false)
			if len(objs) == 0 {
				continue
			}
			p.Judge(res)
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("The cluster is routes-based (ipAllocationPolicy.useIpAliases is false) and serves %s: these use instance groups, not container-native NEGs", strings.Join(objs, ", ")),
				Resource:    res,
				Evidence:    map[string]any{"ipAllocationPolicy.useIpAliases": false, "objects": objs},
				Remediation: fmt.Sprintf("create a VPC-native cluster (gcloud container clusters create NAME --enable-ip-alias %s --project %s) and move the workloads; routes-based clusters cannot be converted", gcloudLocationFlag(cl), cl.Project),
			})
		}
	},
}
