package ingress

import (
	"fmt"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// clusterResource names a GKE cluster.
func clusterResource(cl *inventory.Cluster) inspect.Resource {
	return inspect.Resource{Kind: "Cluster", Project: cl.Project, Location: cl.Location(), Cluster: cl.Name(), Name: cl.Name()}
}

// loadBalancedObjects lists the cluster's GKE Ingresses and the Gateways of
// GKE classes, as "Kind ns/name".
func loadBalancedObjects(cl *inventory.Cluster, gateways bool) []string {
	var out []string
	core.GKEIngresses(cl, func(ing *networkingv1.Ingress, class string) {
		out = append(out, "Ingress "+ing.Namespace+"/"+ing.Name)
	})
	if gateways {
		for _, gw := range cl.Gateways {
			if strings.HasPrefix(gw.Spec.GatewayClassName, "gke-l7-") {
				out = append(out, "Gateway "+gw.Namespace+"/"+gw.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

func gcloudLocationFlag(cl *inventory.Cluster) string {
	if inventory.RegionOfLocation(cl.Location()) == cl.Location() {
		return "--region " + cl.Location()
	}
	return "--zone " + cl.Location()
}

// HTTPLBAddonDisabled reports clusters that serve Ingresses or Gateways with
// the HttpLoadBalancing add-on off.
var HTTPLBAddonDisabled = &inspect.Rule{
	ID:       "http-lb-addon-disabled",
	Severity: inspect.Error,
	Title:    "Every cluster with GCE Ingresses or Gateways has the HTTP load balancing add-on enabled",
	Doc: inspect.Doc{
		Why:     `GKE's Ingress and Gateway controllers run as the HttpLoadBalancing add-on. With addonsConfig.httpLoadBalancing.disabled, nothing reconciles GCE Ingresses or GKE Gateways: no load balancer is ever provisioned, and existing ones stop following changes.`,
		Fix:     `gcloud container clusters update CLUSTER --update-addons=HttpLoadBalancing=ENABLED --location LOCATION --project PROJECT`,
		Sources: []string{"Configuring Ingress for external Application Load Balancers: HttpLoadBalancing add-on (" + core.DocIngressConfig + ")", "GKE addonsConfig.httpLoadBalancing (container API)"},
		URL:     "https://cloud.google.com/kubernetes-engine/docs/how-to/load-balance-ingress",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			if !cl.Info.GetAddonsConfig().GetHttpLoadBalancing().GetDisabled() || !inv.Known(inventory.KubeIngresses, cl.Scope()) {
				continue
			}
			objs := loadBalancedObjects(cl, inv.Known(inventory.KubeGateways, cl.Scope()))
			if len(objs) == 0 {
				continue
			}
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("addonsConfig.httpLoadBalancing.disabled is true, but the cluster has %s: no load balancer is provisioned for them", strings.Join(objs, ", ")),
				Resource:    clusterResource(cl),
				Evidence:    map[string]any{"addonsConfig.httpLoadBalancing.disabled": true, "objects": objs},
				Remediation: fmt.Sprintf("gcloud container clusters update %s --update-addons=HttpLoadBalancing=ENABLED %s --project %s", cl.Name(), gcloudLocationFlag(cl), cl.Project),
			})
		}
	},
}

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
			if cl.Info.GetIpAllocationPolicy().GetUseIpAliases() || !inv.Known(inventory.KubeIngresses, cl.Scope()) {
				continue
			}
			objs := loadBalancedObjects(cl, false)
			if len(objs) == 0 {
				continue
			}
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("The cluster is routes-based (ipAllocationPolicy.useIpAliases is false) and serves %s: these use instance groups, not container-native NEGs", strings.Join(objs, ", ")),
				Resource:    clusterResource(cl),
				Evidence:    map[string]any{"ipAllocationPolicy.useIpAliases": false, "objects": objs},
				Remediation: fmt.Sprintf("create a VPC-native cluster (gcloud container clusters create NAME --enable-ip-alias %s --project %s) and move the workloads; routes-based clusters cannot be converted", gcloudLocationFlag(cl), cl.Project),
			})
		}
	},
}
