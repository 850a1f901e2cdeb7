package network

import (
	"fmt"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// AddressUnused reports reserved addresses nothing uses.
var AddressUnused = &inspect.Rule{
	ID:           "address-unused",
	Severity:     inspect.Info,
	WholeProject: true,
	Title:        "Every reserved address is used",
	Doc: inspect.Doc{
		Why:     `A reserved static address that no forwarding rule, instance or router uses (status RESERVED) is usually left over from a deleted load balancer. An external one is billed while unused; every one counts against the STATIC_ADDRESSES (or INTERNAL_ADDRESSES) quota, and an internal one keeps its IP out of the subnet's pool. Addresses that an Ingress, Gateway or LoadBalancer Service names but has not taken yet are left to the static-IP rules; peering, Private Service Connect, NAT and interconnect ranges are not reported.`,
		Fix:     `gcloud compute addresses delete NAME --region REGION (or --global) --project PROJECT, once you are sure nothing will use it.`,
		Sources: []string{"Reserve a static external IP address: pricing of unused addresses (cloud.google.com/vpc/docs/reserve-static-external-ip-address)", "Compute Engine API addresses: status RESERVED, users[]"},
		URL:     "https://cloud.google.com/vpc/docs/reserve-static-external-ip-address",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !p.Known(inventory.ComputeAddresses, inventory.ProjectScope(inv.Project)) {
			return
		}
		// An address a Kubernetes object asks for is not left over; if any
		// cluster's objects could not be read, lbdiag cannot tell.
		if !p.ClusterListComplete() {
			return
		}
		readable := true // every place not read is recorded, not only the first
		for _, cl := range inv.Clusters {
			for _, s := range []inventory.Source{inventory.KubeIngresses, inventory.KubeServices, inventory.KubeGateways} {
				if !p.Known(s, cl.Scope()) {
					readable = false
				}
			}
		}
		if !readable {
			return
		}
		named := namedByKubernetes(inv)
		for _, a := range inv.Compute.Addresses {
			// Addresses of purposes used by what users does not show are
			// not judged.
			if reservedElsewhere[a.Purpose] || inventory.ProjectOf(a.SelfLink) != inv.Project {
				continue
			}
			res := core.ResourceOf("Address", a.SelfLink)
			p.Judge(res)
			if a.Status != "RESERVED" || len(a.Users) > 0 {
				continue
			}
			if named[a.Name] != "" || named[a.Address] != "" {
				continue // the static-IP rules speak about it
			}
			kind := "external"
			cost := ": an unused external address is billed"
			if a.AddressType == "INTERNAL" {
				kind, cost = "internal", ""
			}
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("Reserved %s address %s (%s, %s) is used by nothing%s", kind, a.Name, a.Address, core.ScopeName(a.SelfLink), cost),
				Resource:    res,
				Evidence:    map[string]any{"status": a.Status, "address": a.Address, "addressType": a.AddressType, "purpose": a.Purpose, "users": []string{}},
				Remediation: fmt.Sprintf("gcloud compute addresses delete %s %s --project %s   # once you are sure nothing will use it", a.Name, core.GCloudLocationFlag(a.SelfLink), inventory.ProjectOf(a.SelfLink)),
			})
		}
	},
}

// reservedElsewhere are address purposes whose RESERVED addresses are used
// by something that does not appear in users: peering ranges for private
// services, Private Service Connect, interconnect, NAT, DNS, serverless.
var reservedElsewhere = map[string]bool{"VPC_PEERING": true, "PRIVATE_SERVICE_CONNECT": true, "IPSEC_INTERCONNECT": true,
	"NAT_AUTO": true, "DNS_RESOLVER": true, "SERVERLESS": true, "GCE_ROUTER": true, "IPV6_ONLY_VM": true}

// namedByKubernetes maps the address names and IPs Kubernetes objects ask
// for (static-IP annotations, loadBalancerIP, Gateway addresses) to who
// asks.
func namedByKubernetes(inv *inventory.Inventory) map[string]string {
	out := map[string]string{}
	for _, cl := range inv.Clusters {
		for i := range cl.Ingresses {
			ing := &cl.Ingresses[i]
			for _, v := range gke.StaticIPNames(ing) {
				out[v] = "Ingress " + ing.Namespace + "/" + ing.Name
			}
		}
		for i := range cl.Services {
			svc := &cl.Services[i]
			if ip := svc.Spec.LoadBalancerIP; ip != "" {
				out[ip] = "Service " + svc.Namespace + "/" + svc.Name
			}
			if v := svc.Annotations[gke.AnnL4IPAddresses]; v != "" {
				out[v] = "Service " + svc.Namespace + "/" + svc.Name
			}
		}
		for i := range cl.Gateways {
			gw := &cl.Gateways[i]
			for _, a := range gw.Spec.Addresses {
				out[a.Value] = "Gateway " + gw.Namespace + "/" + gw.Name
			}
		}
	}
	return out
}
