package rules

import (
	"testing"

	"cloud.google.com/go/container/apiv1/containerpb"
	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// The helpers below build small inventories shaped like the APIs return
// them: full URLs in Compute Engine references, the GKE API's network
// paths, Kubernetes objects with their annotations as JSON strings.

const (
	testProject = "acme-test"
	computeBase = "https://www.googleapis.com/compute/v1/projects/"
)

var allProjectSources = []inventory.Source{
	inventory.ComputeBackendServices, inventory.ComputeForwardingRules, inventory.ComputeNEGs, inventory.ComputeSubnetworks,
	inventory.ComputeSecurityPolicies, inventory.ComputeHealthChecks, inventory.ComputeURLMaps, inventory.ComputeTargetHTTPProxies,
	inventory.ComputeTargetHTTPSProxies, inventory.ComputeSSLCertificates, inventory.ComputeAddresses, inventory.ComputeInstanceGroups,
	inventory.ComputeInstances, inventory.ComputeFirewalls, inventory.ComputeNetworks, inventory.GKEClusters,
	inventory.ComputeTargetSSLProxies, inventory.ComputeProject, inventory.ComputeRegions,
}

var allClusterSources = []inventory.Source{
	inventory.KubeAPI, inventory.KubeIngresses, inventory.KubeServices, inventory.KubeDeployments, inventory.KubeStatefulSets,
	inventory.KubeDaemonSets, inventory.KubeNodes, inventory.KubeBackendConfigs, inventory.KubeFrontendConfigs,
	inventory.KubeManagedCertificates, inventory.KubeServiceNEGs, inventory.KubeGatewayClasses, inventory.KubeGateways,
	inventory.KubeHTTPRoutes, inventory.KubeGCPBackendPolicies, inventory.KubeHealthCheckPolicies, inventory.KubeGCPGatewayPolicies,
	inventory.KubeEvents, inventory.KubeEndpointSlices, inventory.KubeNamespaces,
}

// newInventory returns an inventory of testProject whose every source was
// read completely, for the project and each cluster.
func newInventory(clusters ...*inventory.Cluster) *inventory.Inventory {
	inv := &inventory.Inventory{Project: testProject, Clusters: clusters}
	for _, s := range allProjectSources {
		inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: s, Scope: inventory.ProjectScope(testProject), Status: inventory.StatusOK})
	}
	for _, cl := range clusters {
		for _, s := range allClusterSources {
			inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: s, Scope: cl.Scope(), Status: inventory.StatusOK})
		}
	}
	return inv
}

// failSource marks a source as unreadable in scope.
func failSource(inv *inventory.Inventory, s inventory.Source, scope string) {
	// A new record: an inventory's coverage is indexed on first use.
	inv.Coverage = append(inventory.CoverageSet(nil), inv.Coverage...)
	for i := range inv.Coverage {
		if inv.Coverage[i].Source == s && inv.Coverage[i].Scope == scope {
			inv.Coverage[i].Status = inventory.StatusError
			inv.Coverage[i].Error = "googleapi: Error 403: Required '" + string(s) + ".list' permission for 'projects/" + testProject + "', forbidden"
		}
	}
}

// gkeCluster returns a VPC-native cluster on network in the project
// netProject (the host project for Shared VPC).
func gkeCluster(name, location, netProject, network, subnet string) *inventory.Cluster {
	region := inventory.RegionOfLocation(location)
	return &inventory.Cluster{Project: testProject, Info: &containerpb.Cluster{
		Name: name, Location: location, Endpoint: "34.1.2.3", Status: containerpb.Cluster_RUNNING,
		Network: network, Subnetwork: subnet,
		NetworkConfig: &containerpb.NetworkConfig{
			Network:    "projects/" + netProject + "/global/networks/" + network,
			Subnetwork: "projects/" + netProject + "/regions/" + region + "/subnetworks/" + subnet,
		},
		IpAllocationPolicy: &containerpb.IPAllocationPolicy{UseIpAliases: true},
		ClusterIpv4Cidr:    "10.20.0.0/16",
		ServicesIpv4Cidr:   "10.30.0.0/20",
	}}
}

func service(ns, name string, annotations map[string]string, ports ...corev1.ServicePort) corev1.Service {
	if len(ports) == 0 {
		ports = []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}
	}
	return corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations, UID: types.UID("uid-" + ns + "-" + name)},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Ports: ports, Selector: map[string]string{"app": name}},
	}
}

func backendConfig(ns, name string, spec inventory.BackendConfigSpec) inventory.BackendConfig {
	bc := inventory.BackendConfig{Spec: spec}
	bc.APIVersion, bc.Kind = "cloud.google.com/v1", "BackendConfig"
	bc.Namespace, bc.Name = ns, name
	return bc
}

// ingress returns an Ingress of class (empty: no annotation) whose rules
// route "/" to each Service on port 80.
func newIngress(ns, name, class string, services ...string) networkingv1.Ingress {
	ing := networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{}}}
	if class != "" {
		ing.Annotations["kubernetes.io/ingress.class"] = class
	}
	prefix := networkingv1.PathTypePrefix
	var paths []networkingv1.HTTPIngressPath
	for _, s := range services {
		paths = append(paths, networkingv1.HTTPIngressPath{Path: "/" + s, PathType: &prefix, Backend: networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: s, Port: networkingv1.ServiceBackendPort{Number: 80}}}})
	}
	ing.Spec.Rules = []networkingv1.IngressRule{{Host: "example.com", IngressRuleValue: networkingv1.IngressRuleValue{
		HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}}}}
	return ing
}

func newGateway(ns, name, class string) inventory.Gateway {
	var gw inventory.Gateway
	gw.APIVersion, gw.Kind = "gateway.networking.k8s.io/v1", "Gateway"
	gw.Namespace, gw.Name = ns, name
	gw.Spec.GatewayClassName = class
	return gw
}

func subnetwork(project, region, name, network, cidr, purpose, role string) *compute.Subnetwork {
	return &compute.Subnetwork{
		Kind: "compute#subnetwork", Name: name, IpCidrRange: cidr, Purpose: purpose, Role: role,
		Network:  computeBase + project + "/global/networks/" + network,
		Region:   computeBase + project + "/regions/" + region,
		SelfLink: computeBase + project + "/regions/" + region + "/subnetworks/" + name,
	}
}

func securityPolicy(name, region string) *compute.SecurityPolicy {
	sp := &compute.SecurityPolicy{Kind: "compute#securityPolicy", Name: name, Type: "CLOUD_ARMOR",
		SelfLink: computeBase + testProject + "/global/securityPolicies/" + name}
	if region != "" {
		sp.Region = computeBase + testProject + "/regions/" + region
		sp.SelfLink = computeBase + testProject + "/regions/" + region + "/securityPolicies/" + name
	}
	return sp
}

// run runs one rule and returns its findings, failing on a crash.
func run(t *testing.T, inv *inventory.Inventory, r *inspect.Rule) []inspect.Finding {
	t.Helper()
	res := inspect.Run(inv, []*inspect.Rule{r})
	if len(res.Failures) > 0 {
		t.Fatalf("rule %s failed: %s", r.ID, res.Failures[0].Error)
	}
	for _, f := range res.Findings {
		if f.Message == "" || f.Remediation == "" || f.Resource.Kind == "" || f.Resource.Name == "" || len(f.Evidence) == 0 {
			t.Errorf("finding lacks message, remediation, resource or evidence: %+v", f)
		}
	}
	return res.Findings
}

func ptr[T any](v T) *T { return &v }

// runAll runs rules together, as a run does.
func runAll(inv *inventory.Inventory, rules ...*inspect.Rule) inspect.Result {
	return inspect.Run(inv, rules)
}
