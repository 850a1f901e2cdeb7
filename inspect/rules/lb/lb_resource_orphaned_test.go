package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

// TestLBResourceOrphaned decides ownership the way GKE's names and
// descriptions encode it (kubernetes/ingress-gce pkg/utils/namer,
// pkg/utils/negdescription.go, pkg/firewalls): from the cluster list,
// never from instances.
func TestLBResourceOrphaned(t *testing.T) {
	t.Parallel()
	const prodUID, goneUID = "8b0d6f3e-prod-kube-system", "1c2d3e4f-gone-kube-system"
	lb := func(ksUID, ns, name string) string { return gke.V2LoadBalancerName(ksUID, ns, name) }
	um := func(name string) *compute.UrlMap {
		return &compute.UrlMap{Name: name, SelfLink: ruletest.ComputeBase + ruletest.Project + "/global/urlMaps/" + name}
	}
	fwRule := func(name string, tags ...string) *compute.Firewall {
		return &compute.Firewall{Name: name, Description: "GCE L7 firewall rule", TargetTags: tags, Network: ruletest.ComputeBase + ruletest.Project + "/global/networks/vpc",
			SelfLink: ruletest.ComputeBase + ruletest.Project + "/global/firewalls/" + name}
	}
	neg := func(name, clusterUID, svc string) *compute.NetworkEndpointGroup {
		return &compute.NetworkEndpointGroup{Name: name, Description: `{"cluster-uid":"` + clusterUID + `","namespace":"shop","service-name":"` + svc + `","port":"80"}`,
			SelfLink: ruletest.ComputeBase + ruletest.Project + "/zones/europe-west1-b/networkEndpointGroups/" + name}
	}
	bsOf := func(name, svc string) *compute.BackendService {
		return &compute.BackendService{Name: name, Description: `{"kubernetes.io/service-name":"shop/` + svc + `","kubernetes.io/service-port":"80"}`,
			SelfLink: ruletest.ComputeBase + ruletest.Project + "/global/backendServices/" + name}
	}
	tests := []struct {
		name    string
		edit    func(inv *inventory.Inventory, cl *inventory.Cluster)
		want    string // "" for no finding
		failure inventory.Status
	}{
		{name: "the URL map of a live Ingress, even unannotated", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.URLMaps = []*compute.UrlMap{um("k8s2-um-" + lb(prodUID, "shop", "site"))}
		}},
		{name: "a listed cluster's URL map for an Ingress it no longer has", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.URLMaps = []*compute.UrlMap{um("k8s2-um-" + lb(prodUID, "shop", "old"))}
		}, want: "none of that cluster's Ingresses has the load balancer name " + lb(prodUID, "shop", "old")},
		{name: "the URL map of a cluster that is gone", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.URLMaps = []*compute.UrlMap{um("k8s2-um-" + lb(goneUID, "shop", "site"))}
		}, want: "its name carries the kube-system UID hash " + gke.ClusterHash(goneUID) + ", which no listed cluster has (the project's clusters are europe-west1/prod)"},
		{name: "a firewall rule of a listed cluster scaled to zero (no instance carries its tag)", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.Instances = nil
			inv.Compute.Firewalls = []*compute.Firewall{fwRule("k8s-fw-l7--9f3c2a71b4d05e68", "gke-prod-1234abcd-node")}
		}},
		{name: "a firewall rule whose cluster is gone", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.Firewalls = []*compute.Firewall{fwRule("k8s-fw-l7--0a1b2c3d4e5f6a7b", "gke-old-deadbeef-node")}
		}, want: "it targets the node tag gke-old-deadbeef-node, and no listed cluster's nodes carry it"},
		{name: "a cluster recreated under the same name", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.Firewalls = []*compute.Firewall{fwRule("k8s-fw-l7--0a1b2c3d4e5f6a7b", "gke-prod-00000000-node")}
		}, want: "it targets the node tag gke-prod-00000000-node"},
		{name: "a NEG of a live Service", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.NEGs = []*compute.NetworkEndpointGroup{neg("k8s1-1234abcd-shop-web-80-aaaaaaaa", prodUID, "web")}
		}},
		{name: "a NEG of a Service the cluster no longer has", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.NEGs = []*compute.NetworkEndpointGroup{neg("k8s1-1234abcd-shop-old-80-aaaaaaaa", prodUID, "old")}
		}, want: "its description names Service shop/old, and cluster europe-west1/prod, which made it, has no such Service"},
		{name: "a NEG of a cluster that is gone, same namespace and Service", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.NEGs = []*compute.NetworkEndpointGroup{neg("k8s1-77777777-shop-web-80-bbbbbbbb", goneUID, "web")}
		}, want: "its description names cluster UID " + goneUID + ", which no listed cluster has"},
		{name: "a k8s1 backend service when no cluster shows its prefix: undecided", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Compute.BackendServices = []*compute.BackendService{bsOf("k8s1-77777777-shop-web-80-bbbbbbbb", "web")}
		}},
		{name: "a k8s1 backend service of a prefix no listed cluster uses", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			cl.Services[0].Annotations = map[string]string{gke.AnnNEGStatus: `{"network_endpoint_groups":{"80":"k8s1-1234abcd-shop-web-80-aaaaaaaa"},"zones":["europe-west1-b"]}`}
			inv.Compute.BackendServices = []*compute.BackendService{bsOf("k8s1-77777777-shop-web-80-bbbbbbbb", "web")}
		}, want: "its name carries the cluster prefix 77777777, which no listed cluster's Services or Ingresses use"},
		{name: "--cluster: skipped by request", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.ClustersSelected = true
			inv.Compute.URLMaps = []*compute.UrlMap{um("k8s2-um-" + lb(goneUID, "shop", "site"))}
		}, failure: inventory.StatusSkipped},
		{name: "a location GKE could not list: unknown", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: inventory.GKEClusters, Scope: inventory.ProjectScope(ruletest.Project) + "/locations/asia-east1-a", Status: inventory.StatusError})
			inv.Compute.URLMaps = []*compute.UrlMap{um("k8s2-um-" + lb(goneUID, "shop", "site"))}
		}, failure: inventory.StatusUnknown},
		{name: "the kube-system UID not read: unknown", edit: func(inv *inventory.Inventory, cl *inventory.Cluster) {
			ruletest.FailSource(inv, inventory.KubeNamespaces, cl.Scope())
			inv.Compute.URLMaps = []*compute.UrlMap{um("k8s2-um-" + lb(goneUID, "shop", "site"))}
		}, failure: inventory.StatusUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := ruletest.ProdCluster()
			cl.Info.Id = "1234abcd9f8e7d6c5b4a39281706f5e4d3c2b1a0"
			cl.KubeSystemUID = prodUID
			cl.Ingresses = []networkingv1.Ingress{ruletest.Ingress("shop", "site", "", "web")}
			cl.Services = []corev1.Service{ruletest.Service("shop", "web", nil)}
			inv := ruletest.Inventory(cl)
			tc.edit(inv, cl)
			res := ruletest.RunAll(inv, LBResourceOrphaned)
			switch {
			case tc.failure != "":
				if len(res.Findings) != 0 || len(res.Failures) != 1 || res.Failures[0].Status != tc.failure {
					t.Errorf("want no finding and a %s entry: %+v", tc.failure, res)
				}
			case tc.want == "":
				ruletest.Expect(t, res.Findings)
			default:
				ruletest.Expect(t, res.Findings, tc.want)
			}
		})
	}
}

func TestLBResourceOrphanedCounts(t *testing.T) {
	t.Parallel()
	const prodUID, goneUID = "8b0d6f3e-prod-kube-system", "1c2d3e4f-gone-kube-system"
	cl := ruletest.ProdCluster()
	cl.Info.Id = "1234abcd9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	cl.KubeSystemUID = prodUID
	site := ruletest.Ingress("shop", "site", "", "web")
	site.Annotations["ingress.kubernetes.io/url-map"] = "k8s2-um-claimed"
	cl.Ingresses = []networkingv1.Ingress{site}
	cl.Services = []corev1.Service{ruletest.Service("shop", "web", nil)}
	inv := ruletest.Inventory(cl)
	for _, n := range []string{"k8s2-um-" + gke.V2LoadBalancerName(prodUID, "shop", "site"), "k8s2-um-" + gke.V2LoadBalancerName(prodUID, "shop", "old"),
		"k8s2-um-" + gke.V2LoadBalancerName(goneUID, "shop", "site"), "k8s2-um-claimed", "hand-made"} {
		inv.Compute.URLMaps = append(inv.Compute.URLMaps, &compute.UrlMap{Name: n, SelfLink: ruletest.G("global/urlMaps/" + n)})
	}
	inv.Compute.NEGs = []*compute.NetworkEndpointGroup{{Name: "k8s1-1234abcd-shop-web-80-aaaaaaaa", Description: `{"cluster-uid":"` + prodUID + `","namespace":"shop","service-name":"web","port":"80"}`,
		SelfLink: ruletest.G("zones/europe-west1-b/networkEndpointGroups/k8s1-1234abcd-shop-web-80-aaaaaaaa")}}
	// GKE's resources are judged: the URL maps of Ingress site (by its
	// load balancer name) and of the Ingress's annotation (claimed), and
	// the NEG of Service web pass; the URL maps of the Ingress prod no
	// longer has and of the cluster that is gone fail; hand-made is not
	// GKE's and is not judged.
	ruletest.ExpectCounts(t, inv, LBResourceOrphaned, ruletest.Counts{Judged: 5, Passed: 3, Failed: 2})
	// The kube-system UID not read: the project could not be checked.
	ruletest.FailSource(inv, inventory.KubeNamespaces, cl.Scope())
	c := ruletest.ExpectCounts(t, inv, LBResourceOrphaned, ruletest.Counts{CouldNotCheck: 1})
	expectReason(t, c, "europe-west1/prod was not read completely")
}
