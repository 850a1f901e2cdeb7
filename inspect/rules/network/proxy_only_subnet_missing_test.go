package network

import (
	"net/netip"
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestProxyOnlySubnetMissing(t *testing.T) {
	t.Parallel()
	const host = "acme-network-host"
	nodes := func(project string) *compute.Subnetwork {
		return ruletest.Subnetwork(project, "us-central1", "nodes", "vpc", "10.40.0.0/20", "PRIVATE", "")
	}
	proxy := func(project, region, network, purpose, role string) *compute.Subnetwork {
		return ruletest.Subnetwork(project, region, "proxy-"+region, network, "10.129.0.0/23", purpose, role)
	}
	tests := []struct {
		name        string
		netProject  string // cluster VPC's project; ruletest.Project when empty
		ingClass    string // Ingress class; no Ingress when empty
		gwClass     string // Gateway class; no Gateway when empty
		subnets     []*compute.Subnetwork
		failSubnets string // project whose subnet list failed
		want        []string
		wantFix     string
	}{
		{name: "internal Ingress with an active proxy-only subnet", ingClass: "gce-internal",
			subnets: []*compute.Subnetwork{nodes(ruletest.Project), proxy(ruletest.Project, "us-central1", "vpc", "REGIONAL_MANAGED_PROXY", "ACTIVE")}},
		{name: "legacy purpose serves internal", ingClass: "gce-internal",
			subnets: []*compute.Subnetwork{nodes(ruletest.Project), proxy(ruletest.Project, "us-central1", "vpc", "INTERNAL_HTTPS_LOAD_BALANCER", "ACTIVE")}},
		{name: "legacy purpose does not serve regional external", ingClass: "gce-regional-external",
			subnets: []*compute.Subnetwork{nodes(ruletest.Project), proxy(ruletest.Project, "us-central1", "vpc", "INTERNAL_HTTPS_LOAD_BALANCER", "ACTIVE")},
			want:    []string{"subnet proxy-us-central1 there has purpose INTERNAL_HTTPS_LOAD_BALANCER and role ACTIVE"}},
		{name: "proxy-only subnet in another region", ingClass: "gce-internal",
			subnets: []*compute.Subnetwork{nodes(ruletest.Project), proxy(ruletest.Project, "europe-west1", "vpc", "REGIONAL_MANAGED_PROXY", "ACTIVE")},
			want:    []string{"in region us-central1 of VPC vpc (project acme-test), and there is none"},
			wantFix: "gcloud compute networks subnets create proxy-only-us-central1 --purpose=REGIONAL_MANAGED_PROXY --role=ACTIVE --region=us-central1 --network=vpc --range=10.40.16.0/23 --project=acme-test"},
		{name: "proxy-only subnet in another VPC", ingClass: "gce-internal",
			subnets: []*compute.Subnetwork{nodes(ruletest.Project), proxy(ruletest.Project, "us-central1", "other-vpc", "REGIONAL_MANAGED_PROXY", "ACTIVE")},
			want:    []string{"there is none"}},
		{name: "backup subnet is promoted", ingClass: "gce-internal",
			subnets: []*compute.Subnetwork{nodes(ruletest.Project), proxy(ruletest.Project, "us-central1", "vpc", "REGIONAL_MANAGED_PROXY", "BACKUP")},
			want:    []string{"has purpose REGIONAL_MANAGED_PROXY and role BACKUP"},
			wantFix: "gcloud compute networks subnets update proxy-us-central1 --role=ACTIVE --region=us-central1 --project=acme-test"},
		{name: "subnet list failed: silent", ingClass: "gce-internal", failSubnets: ruletest.Project},
		{name: "external Ingress needs none", ingClass: "gce", subnets: []*compute.Subnetwork{nodes(ruletest.Project)}},
		{name: "Ingress of another controller", ingClass: "nginx", subnets: []*compute.Subnetwork{nodes(ruletest.Project)}},
		{name: "internal Gateway", gwClass: "gke-l7-rilb", subnets: []*compute.Subnetwork{nodes(ruletest.Project)},
			want: []string{"Class gke-l7-rilb needs an ACTIVE proxy-only subnet (purpose REGIONAL_MANAGED_PROXY or INTERNAL_HTTPS_LOAD_BALANCER)"}},
		{name: "multi-cluster regional external Gateway", gwClass: "gke-l7-regional-external-managed-mc", subnets: []*compute.Subnetwork{nodes(ruletest.Project)},
			want: []string{"(purpose REGIONAL_MANAGED_PROXY)"}},
		{name: "global Gateway needs none", gwClass: "gke-l7-global-external-managed", subnets: []*compute.Subnetwork{nodes(ruletest.Project)}},
		{name: "cross-region Gateway needs a global proxy subnet", gwClass: "gke-l7-cross-regional-internal-managed-mc",
			subnets: []*compute.Subnetwork{nodes(ruletest.Project), proxy(ruletest.Project, "us-central1", "vpc", "REGIONAL_MANAGED_PROXY", "ACTIVE")},
			want:    []string{"(purpose GLOBAL_MANAGED_PROXY)"}, wantFix: "--purpose=GLOBAL_MANAGED_PROXY"},
		{name: "Shared VPC: subnet in the host project", netProject: host, ingClass: "gce-internal",
			subnets: []*compute.Subnetwork{nodes(host), proxy(host, "us-central1", "vpc", "REGIONAL_MANAGED_PROXY", "ACTIVE")}},
		{name: "Shared VPC: missing in the host project", netProject: host, ingClass: "gce-internal",
			subnets: []*compute.Subnetwork{nodes(host)},
			want:    []string{"of VPC vpc (project acme-network-host)"}, wantFix: "--project=acme-network-host"},
		{name: "Shared VPC: host subnets unreadable", netProject: host, ingClass: "gce-internal",
			subnets: []*compute.Subnetwork{nodes(host)}, failSubnets: host},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			netProject := tc.netProject
			if netProject == "" {
				netProject = ruletest.Project
			}
			cl := ruletest.Cluster("ops", "us-central1-a", netProject, "vpc", "nodes")
			if tc.ingClass != "" {
				cl.Ingresses = []networkingv1.Ingress{ruletest.Ingress("ops", "admin", tc.ingClass, "admin-ui")}
			}
			if tc.gwClass != "" {
				cl.Gateways = []inventory.Gateway{ruletest.Gateway("ops", "gw", tc.gwClass)}
			}
			inv := ruletest.Inventory(cl)
			if netProject != ruletest.Project {
				for _, s := range []inventory.Source{inventory.ComputeSubnetworks, inventory.ComputeFirewalls} {
					inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: s, Scope: inventory.ProjectScope(netProject), Status: inventory.StatusOK})
				}
			}
			inv.Compute.Subnetworks = tc.subnets
			if tc.failSubnets != "" {
				ruletest.FailSource(inv, inventory.ComputeSubnetworks, inventory.ProjectScope(tc.failSubnets))
			}
			got := ruletest.Run(t, inv, ProxyOnlySubnetMissing)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d findings, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, f := range got {
				if !strings.Contains(f.Message, tc.want[i]) {
					t.Errorf("message %q does not contain %q", f.Message, tc.want[i])
				}
				if tc.wantFix != "" && !strings.Contains(f.Remediation, tc.wantFix) {
					t.Errorf("remediation %q does not contain %q", f.Remediation, tc.wantFix)
				}
				if r, ok := f.Evidence["suggestedRange"].(string); ok {
					assertFree(t, inv, cl, r)
				}
			}
		})
	}
}

// assertFree checks a suggested range against every range of the VPC.
func assertFree(t *testing.T, inv *inventory.Inventory, cl *inventory.Cluster, cidr string) {
	t.Helper()
	p := netip.MustParsePrefix(cidr)
	if p.Bits() != 23 {
		t.Errorf("suggested %s is not a /23", cidr)
	}
	for _, s := range inv.Compute.Subnetworks {
		if q := netip.MustParsePrefix(s.IpCidrRange); q.Overlaps(p) && inventory.SameResource(s.Network, cl.NetworkURL()) {
			t.Errorf("suggested %s overlaps subnet %s %s", cidr, s.Name, s.IpCidrRange)
		}
	}
}

func TestProxyOnlySubnetMissingCounts(t *testing.T) {
	t.Parallel()
	// Cluster ops (us-central1) serves a gce-internal Ingress, a
	// gke-l7-rilb Gateway, and a gce Ingress (no proxies: not judged).
	setup := func(subnets ...*compute.Subnetwork) (*inventory.Inventory, *inventory.Cluster) {
		cl := ruletest.Cluster("ops", "us-central1-a", ruletest.Project, "vpc", "nodes")
		cl.Ingresses = []networkingv1.Ingress{ruletest.Ingress("ops", "admin", "gce-internal", "admin-ui"), ruletest.Ingress("ops", "site", "gce", "web")}
		cl.Gateways = []inventory.Gateway{ruletest.Gateway("ops", "gw", "gke-l7-rilb")}
		inv := ruletest.Inventory(cl)
		inv.Compute.Subnetworks = append([]*compute.Subnetwork{ruletest.Subnetwork(ruletest.Project, "us-central1", "nodes", "vpc", "10.40.0.0/20", "PRIVATE", "")}, subnets...)
		return inv, cl
	}
	inv, _ := setup()
	ruletest.ExpectCounts(t, inv, ProxyOnlySubnetMissing, ruletest.Counts{Judged: 2, Failed: 2})
	inv, _ = setup(ruletest.Subnetwork(ruletest.Project, "us-central1", "proxy", "vpc", "10.129.0.0/23", "REGIONAL_MANAGED_PROXY", "ACTIVE"))
	ruletest.ExpectCounts(t, inv, ProxyOnlySubnetMissing, ruletest.Counts{Judged: 2, Passed: 2})

	// The subnets not read: nothing judged.
	inv, _ = setup()
	ruletest.FailSource(inv, inventory.ComputeSubnetworks, inventory.ProjectScope(ruletest.Project))
	expectReason(t, ruletest.ExpectCounts(t, inv, ProxyOnlySubnetMissing, ruletest.Counts{CouldNotCheck: 1}), inventory.ComputeSubnetworks)

	// The Ingresses not read (so none is there): the Gateway is still
	// judged, and the Ingresses are a place not checked.
	inv, cl := setup()
	cl.Ingresses = nil
	ruletest.FailSource(inv, inventory.KubeIngresses, cl.Scope())
	expectReason(t, ruletest.ExpectCounts(t, inv, ProxyOnlySubnetMissing, ruletest.Counts{Judged: 1, Failed: 1, CouldNotCheck: 1}), inventory.KubeIngresses)
}
