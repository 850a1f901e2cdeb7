package gcp

import (
	"fmt"
	"strings"

	"cloud.google.com/go/container/apiv1/containerpb"

	"github.com/lbdiag/lbdiag/inventory"
)

// accessError is the one-line error of a cluster no path reached: each
// path tried and what it got.
func accessError(a inventory.ClusterAccess) string {
	var tried []string
	for _, at := range a.Attempts {
		if at.Result != inventory.ReachSkipped {
			tried = append(tried, fmt.Sprintf("%s %s: %s (%s)", at.Via, at.Endpoint, at.Result, at.Detail))
		}
	}
	if len(tried) == 0 {
		return "no path to the cluster's API is usable"
	}
	return "no path reached the cluster's API: " + strings.Join(tried, "; ")
}

// accessHint says why no path reached a cluster and what would open one:
// the cause each attempt points to, then the fixes, most general first. It
// never calls a RUNNING cluster down.
func accessHint(cl *containerpb.Cluster, project string, a inventory.ClusterAccess) string {
	if s := cl.GetStatus(); s != containerpb.Cluster_RUNNING && s != containerpb.Cluster_STATUS_UNSPECIFIED {
		return clusterStatusHint(s)
	}
	at := map[string]inventory.AccessAttempt{}
	for _, x := range a.Attempts {
		at[x.Via] = x
		if x.Result == inventory.ReachUnauthorized && !strings.HasPrefix(x.Detail, "Google's front end") {
			return hintKubeCredential
		}
	}
	name, loc := cl.GetName(), cl.GetLocation()
	update := fmt.Sprintf("gcloud container clusters update %s --location %s --project %s", name, loc, project)
	man := cl.GetMasterAuthorizedNetworksConfig()
	if ip := cl.GetControlPlaneEndpointsConfig().GetIpEndpointsConfig(); ip.GetAuthorizedNetworksConfig() != nil {
		man = ip.GetAuthorizedNetworksConfig()
	}
	dns := cl.GetControlPlaneEndpointsConfig().GetDnsEndpointConfig()
	dnsClosed := dns.GetEndpoint() != "" && (dns.AllowExternalTraffic == nil || !*dns.AllowExternalTraffic)

	var causes, fixes []string
	if pub := at[inventory.ViaPublic]; pub.Result == inventory.ReachTimeout {
		if man.GetEnabled() {
			causes = append(causes, "authorized networks are enabled and the public endpoint timed out: they drop the connections of a caller outside them (Cloud Shell's and a Cloud Run job's addresses are in none)")
		} else {
			causes = append(causes, "the public endpoint did not answer in time: a firewall or proxy between lbdiag and Google may block it")
		}
	} else if pub.Result == inventory.ReachRefused {
		causes = append(causes, "the public endpoint refused the connection: "+pub.Detail)
	}
	for _, via := range []string{inventory.ViaPublic, inventory.ViaPrivate} {
		if at[via].Result == inventory.ReachTLS {
			causes = append(causes, hintKubeCA+" ("+via+" endpoint)")
		}
	}
	switch d := at[inventory.ViaDNS]; {
	case d.Result == inventory.ReachForbidden:
		causes = append(causes, "the DNS endpoint answered 403 although it allows external traffic: the caller lacks IAM permission container.clusters.connect (roles/container.clusterViewer or roles/container.viewer on the project), or VPC Service Controls deny it")
		fixes = append(fixes, fmt.Sprintf("gcloud projects add-iam-policy-binding %s --member=PRINCIPAL --role=roles/container.clusterViewer", project))
	case d.Result == inventory.ReachTimeout || d.Result == inventory.ReachRefused || d.Result == inventory.ReachTLS:
		causes = append(causes, "the DNS endpoint could not be reached ("+d.Result+": "+d.Detail+"): check the proxy and the system's CA certificates")
	case dnsClosed:
		causes = append(causes, "the DNS endpoint refuses user traffic (dnsEndpointConfig.allowExternalTraffic is not true)")
	}
	if dnsClosed || dns.GetEndpoint() == "" {
		fixes = append(fixes, update+" --enable-dns-access   # the DNS endpoint: reachable from anywhere Google's APIs are, guarded by IAM container.clusters.connect, not by authorized networks")
	}
	if at[inventory.ViaPublic].Result == inventory.ReachTimeout && man.GetEnabled() {
		fixes = append(fixes, update+" --enable-master-authorized-networks --master-authorized-networks EXISTING_CIDRS,CALLER_CIDR   # add this caller's address (the flag replaces the list)")
		if man.GcpPublicCidrsAccessEnabled == nil || !*man.GcpPublicCidrsAccessEnabled {
			fixes = append(fixes, update+" --enable-google-cloud-access   # admits Google Cloud's public addresses, such as Cloud Shell's")
		}
	}
	switch g := at[inventory.ViaConnectGateway]; {
	case g.Result == inventory.ReachForbidden:
		fleet, _, _, _ := parseMembership(cl.GetFleet().GetMembership())
		causes = append(causes, "the Connect gateway answered 403: the caller needs roles/gkehub.gatewayReader on fleet project "+fleet+" (and the Kubernetes RBAC of deploy/rbac.yaml for the same identity)")
		fixes = append(fixes, fmt.Sprintf("gcloud projects add-iam-policy-binding %s --member=PRINCIPAL --role=roles/gkehub.gatewayReader", fleet))
	case g.Result != "" && g.Result != inventory.ReachSkipped:
		causes = append(causes, "the Connect gateway failed ("+g.Result+": "+g.Detail+")")
	}
	if p := at[inventory.ViaPrivate]; p.Endpoint != "" && p.Result != inventory.ReachTLS {
		causes = append(causes, "the private endpoint "+p.Endpoint+" answers only inside the cluster's VPC")
		fixes = append(fixes, "run lbdiag inside the VPC (a Cloud Run job with Direct VPC egress into the cluster's network, in its region unless private endpoint global access is on), or pass --kubeconfig with a context that reaches the cluster (a bastion, a proxy-url)")
	}
	if len(causes) == 0 {
		var why []string
		for _, x := range a.Attempts {
			why = append(why, x.Via+": "+x.Detail)
		}
		causes = append(causes, "no usable path ("+strings.Join(why, "; ")+")")
		fixes = append(fixes, update+" --enable-dns-access", "or pass --kubeconfig with a context that reaches the cluster")
	}
	return strings.Join(causes, "; ") + ". To open a path: " + strings.Join(fixes, "; or ")
}
