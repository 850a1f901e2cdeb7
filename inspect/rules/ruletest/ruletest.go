// Package ruletest builds the small inventories the rules' table tests run
// on, shaped as the APIs return them: full URLs in Compute Engine
// references, the GKE API's network paths, Kubernetes objects with their
// annotations as JSON strings. It also runs a rule and checks its findings.
// Test code only: no rule imports it.
package ruletest

import (
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/container/apiv1/containerpb"
	compute "google.golang.org/api/compute/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// Project is the inspected project of every test inventory.
const Project = "acme-test"

// ComputeBase is the prefix of Compute Engine self links, up to the
// project.
const ComputeBase = "https://www.googleapis.com/compute/v1/projects/"

// Now is the collection time of LBProject and the inventories built on it:
// tests judge ages against it, never against the clock.
var Now = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

// G returns the self link of path ("global/urlMaps/m") in Project.
func G(path string) string { return ComputeBase + Project + "/" + path }

// ProjectSources are the sources a complete read of a project covers.
var ProjectSources = []inventory.Source{
	inventory.ComputeBackendServices, inventory.ComputeForwardingRules, inventory.ComputeNEGs, inventory.ComputeSubnetworks,
	inventory.ComputeSecurityPolicies, inventory.ComputeHealthChecks, inventory.ComputeURLMaps, inventory.ComputeTargetHTTPProxies,
	inventory.ComputeTargetHTTPSProxies, inventory.ComputeSSLCertificates, inventory.ComputeAddresses, inventory.ComputeInstanceGroups,
	inventory.ComputeInstances, inventory.ComputeFirewalls, inventory.ComputeNetworks, inventory.GKEClusters,
	inventory.ComputeTargetSSLProxies, inventory.ComputeProject, inventory.ComputeRegions,
}

// ClusterSources are the sources a complete read of a cluster covers.
var ClusterSources = []inventory.Source{
	inventory.KubeAPI, inventory.KubeIngresses, inventory.KubeServices, inventory.KubeDeployments, inventory.KubeStatefulSets,
	inventory.KubeDaemonSets, inventory.KubeNodes, inventory.KubeBackendConfigs, inventory.KubeFrontendConfigs,
	inventory.KubeManagedCertificates, inventory.KubeServiceNEGs, inventory.KubeGatewayClasses, inventory.KubeGateways,
	inventory.KubeHTTPRoutes, inventory.KubeGCPBackendPolicies, inventory.KubeHealthCheckPolicies, inventory.KubeGCPGatewayPolicies,
	inventory.KubeEvents, inventory.KubeEndpointSlices, inventory.KubeNamespaces, inventory.KubeGRPCRoutes, inventory.KubeReferenceGrants,
	inventory.KubeTrafficPolicies, inventory.KubeNamespaceList,
}

// Inventory returns an inventory of Project whose every source was read
// completely, for the project and each cluster.
func Inventory(clusters ...*inventory.Cluster) *inventory.Inventory {
	inv := &inventory.Inventory{Project: Project, Clusters: clusters}
	for _, s := range ProjectSources {
		inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: s, Scope: inventory.ProjectScope(Project), Status: inventory.StatusOK})
	}
	for _, cl := range clusters {
		for _, s := range ClusterSources {
			inv.Coverage = append(inv.Coverage, inventory.Coverage{Source: s, Scope: cl.Scope(), Status: inventory.StatusOK})
		}
	}
	return inv
}

// LBProject is an inventory without clusters, read completely, at Now.
func LBProject() *inventory.Inventory {
	inv := Inventory()
	inv.CollectedAt = Now
	return inv
}

// Like copies an inventory, so that its derived indexes are rebuilt after
// an edit of its clusters.
func Like(inv *inventory.Inventory) *inventory.Inventory {
	out := Inventory(inv.Clusters...)
	out.Compute = inv.Compute
	out.CollectedAt = inv.CollectedAt
	return out
}

// FailSource marks a source as unreadable in scope, with the error a
// denied list gives.
func FailSource(inv *inventory.Inventory, s inventory.Source, scope string) {
	// A new record: an inventory's coverage is indexed on first use.
	inv.Coverage = append(inventory.CoverageSet(nil), inv.Coverage...)
	for i := range inv.Coverage {
		if inv.Coverage[i].Source == s && inv.Coverage[i].Scope == scope {
			inv.Coverage[i].Status = inventory.StatusError
			inv.Coverage[i].Error = "googleapi: Error 403: Required '" + string(s) + ".list' permission for 'projects/" + Project + "', forbidden"
		}
	}
}

// Cluster returns a VPC-native cluster on network in the project
// netProject (the host project for Shared VPC).
func Cluster(name, location, netProject, network, subnet string) *inventory.Cluster {
	region := inventory.RegionOfLocation(location)
	return &inventory.Cluster{Project: Project, Info: &containerpb.Cluster{
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

// ProdCluster is the cluster most tests use: prod in europe-west1, on VPC
// vpc of Project.
func ProdCluster() *inventory.Cluster {
	return Cluster("prod", "europe-west1", Project, "vpc", "nodes")
}

// Service returns a ClusterIP Service selecting app=name, with the ports
// given (one port "http" 80 when none).
func Service(ns, name string, annotations map[string]string, ports ...corev1.ServicePort) corev1.Service {
	if len(ports) == 0 {
		ports = []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}
	}
	return corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations, UID: types.UID("uid-" + ns + "-" + name)},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Ports: ports, Selector: map[string]string{"app": name}},
	}
}

// NodePort makes a Service a NodePort Service, with node ports from 30080.
func NodePort(svc corev1.Service) corev1.Service {
	svc.Spec.Type = corev1.ServiceTypeNodePort
	for i := range svc.Spec.Ports {
		svc.Spec.Ports[i].NodePort = 30080 + int32(i)
	}
	return svc
}

// BackendConfig returns a cloud.google.com/v1 BackendConfig.
func BackendConfig(ns, name string, spec inventory.BackendConfigSpec) inventory.BackendConfig {
	bc := inventory.BackendConfig{Spec: spec}
	bc.APIVersion, bc.Kind = "cloud.google.com/v1", "BackendConfig"
	bc.Namespace, bc.Name = ns, name
	return bc
}

// Ingress returns an Ingress of class (empty: no annotation) whose one
// rule, for host example.com, routes "/<service>" (Prefix) to each Service
// on port 80.
func Ingress(ns, name, class string, services ...string) networkingv1.Ingress {
	ing := networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{}}}
	if class != "" {
		ing.Annotations[gke.AnnIngressClass] = class
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

// Gateway returns a gateway.networking.k8s.io/v1 Gateway of class.
func Gateway(ns, name, class string) inventory.Gateway {
	var gw inventory.Gateway
	gw.APIVersion, gw.Kind = "gateway.networking.k8s.io/v1", "Gateway"
	gw.Namespace, gw.Name = ns, name
	gw.Spec.GatewayClassName = class
	return gw
}

// Subnetwork returns a subnetwork of project.
func Subnetwork(project, region, name, network, cidr, purpose, role string) *compute.Subnetwork {
	return &compute.Subnetwork{
		Kind: "compute#subnetwork", Name: name, IpCidrRange: cidr, Purpose: purpose, Role: role,
		Network:  ComputeBase + project + "/global/networks/" + network,
		Region:   ComputeBase + project + "/regions/" + region,
		SelfLink: ComputeBase + project + "/regions/" + region + "/subnetworks/" + name,
	}
}

// SecurityPolicy returns a Cloud Armor policy, global when region is "".
func SecurityPolicy(name, region string) *compute.SecurityPolicy {
	sp := &compute.SecurityPolicy{Kind: "compute#securityPolicy", Name: name, Type: "CLOUD_ARMOR",
		SelfLink: ComputeBase + Project + "/global/securityPolicies/" + name}
	if region != "" {
		sp.Region = ComputeBase + Project + "/regions/" + region
		sp.SelfLink = ComputeBase + Project + "/regions/" + region + "/securityPolicies/" + name
	}
	return sp
}

// Address returns an address 34.1.2.3, global when region is "".
func Address(name, region, status string, users ...string) *compute.Address {
	a := &compute.Address{Kind: "compute#address", Name: name, Address: "34.1.2.3", Status: status, Users: users,
		SelfLink: ComputeBase + Project + "/global/addresses/" + name}
	if region != "" {
		a.Region = ComputeBase + Project + "/regions/" + region
		a.SelfLink = ComputeBase + Project + "/regions/" + region + "/addresses/" + name
	}
	return a
}

// Firewall returns an allow rule for tcp ports from the comma-separated
// sources.
func Firewall(name string, prio int64, sources string, ports ...string) *compute.Firewall {
	return &compute.Firewall{Name: name, Priority: prio, SourceRanges: strings.Split(sources, ","), Allowed: []*compute.FirewallAllowed{{IPProtocol: "tcp", Ports: ports}}}
}

// FirewallSetup is a cluster with one node and an Ingress of class to a
// NEG Service whose Pods listen on podPort, with a proxy-only subnet and
// the VPC firewall rules given.
func FirewallSetup(class string, podPort int, rules ...*compute.Firewall) (*inventory.Inventory, *inventory.Cluster) {
	cl := ProdCluster()
	svc := Service("shop", "api", map[string]string{gke.AnnNEG: `{"ingress":true}`}, corev1.ServicePort{Name: "http", Port: 80, TargetPort: intstr.FromInt(podPort)})
	cl.Services = []corev1.Service{svc}
	cl.Ingresses = []networkingv1.Ingress{Ingress("shop", "site", class, "api")}
	cl.Nodes = []corev1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}}}
	inv := Inventory(cl)
	inv.Compute.Instances = []*compute.Instance{{Name: "node-1", Tags: &compute.Tags{Items: []string{"gke-prod-1234-node"}},
		ServiceAccounts: []*compute.ServiceAccount{{Email: "nodes@acme-test.iam.gserviceaccount.com"}}}}
	inv.Compute.Subnetworks = []*compute.Subnetwork{Subnetwork(Project, "europe-west1", "proxy", "vpc", "10.129.0.0/23", "REGIONAL_MANAGED_PROXY", "ACTIVE")}
	for _, r := range rules {
		r.Network = ComputeBase + Project + "/global/networks/vpc"
		r.Direction = "INGRESS"
		r.SelfLink = ComputeBase + Project + "/global/firewalls/" + r.Name
	}
	inv.Compute.Firewalls = rules
	return inv, cl
}

// NEGService is a Service shop/web behind a gce Ingress shop/site through
// NEGs, with its backend service (draining timeout drain) and a
// Deployment of one container and the grace period given.
func NEGService(drain int64, container corev1.Container, grace *int64) (*inventory.Cluster, *compute.BackendService) {
	cl := ProdCluster()
	neg := "k8s1-0123abcd-shop-web-80-9f8e7d6c"
	svc := Service("shop", "web", map[string]string{gke.AnnNEG: `{"ingress":true}`, gke.AnnNEGStatus: `{"network_endpoint_groups":{"80":"` + neg + `"},"zones":["europe-west1-b"]}`})
	cl.Services = []corev1.Service{svc}
	cl.Ingresses = []networkingv1.Ingress{Ingress("shop", "site", "", "web")}
	bs := &compute.BackendService{Name: neg, SelfLink: ComputeBase + Project + "/global/backendServices/" + neg,
		Description:        `{"kubernetes.io/service-name":"shop/web","kubernetes.io/service-port":"\u0026ServiceBackendPort{Name:,Number:80,}","x-features":["NEG"]}`,
		Backends:           []*compute.Backend{{Group: ComputeBase + Project + "/zones/europe-west1-b/networkEndpointGroups/" + neg}},
		ConnectionDraining: &compute.ConnectionDraining{DrainingTimeoutSec: drain}}
	dep := appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}
	dep.Spec.Template.Labels = map[string]string{"app": "web"}
	dep.Spec.Template.Spec.Containers = []corev1.Container{container}
	dep.Spec.Template.Spec.TerminationGracePeriodSeconds = grace
	cl.Deployments = []appsv1.Deployment{dep}
	return cl, bs
}

// L4Cluster is a cluster edge (us-east1-b) with one LoadBalancer Service
// pay/gateway created at created, internal or external, with status
// address ip ("" for none yet); the inventory is collected at Now.
func L4Cluster(ip string, created time.Time, internal bool) (*inventory.Inventory, *inventory.Cluster) {
	cl := Cluster("edge", "us-east1-b", Project, "vpc", "nodes")
	svc := Service("pay", "gateway", nil, corev1.ServicePort{Name: "https", Port: 443, TargetPort: intstr.FromInt(8443), NodePort: 31443})
	svc.Spec.Type = corev1.ServiceTypeLoadBalancer
	svc.CreationTimestamp = metav1.NewTime(created)
	if internal {
		svc.Annotations = map[string]string{gke.AnnL4Type: "Internal"}
	}
	if ip != "" {
		svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
	}
	cl.Services = []corev1.Service{svc}
	inv := Inventory(cl)
	inv.CollectedAt = Now
	return inv, cl
}

// ManagedCert returns a Google-managed certificate created at created
// (RFC 3339) with the domains' statuses; PROVISIONING unless all are
// ACTIVE.
func ManagedCert(name, created string, domains map[string]string) *compute.SslCertificate {
	status := "ACTIVE"
	for _, s := range domains {
		if s != "ACTIVE" {
			status = "PROVISIONING"
		}
	}
	return &compute.SslCertificate{Name: name, Type: "MANAGED", CreationTimestamp: created, SelfLink: G("global/sslCertificates/" + name),
		Managed: &compute.SslCertificateManagedSslCertificate{Status: status, DomainStatus: domains}}
}

// HTTPSProxy returns a global target HTTPS proxy presenting certs.
func HTTPSProxy(name string, certs ...string) *compute.TargetHttpsProxy {
	p := &compute.TargetHttpsProxy{Name: name, SelfLink: G("global/targetHttpsProxies/" + name), UrlMap: G("global/urlMaps/m")}
	for _, c := range certs {
		p.SslCertificates = append(p.SslCertificates, G("global/sslCertificates/"+c))
	}
	return p
}

// ForwardingRuleTo returns a global EXTERNAL_MANAGED forwarding rule.
func ForwardingRuleTo(name, target, ip, ports string) *compute.ForwardingRule {
	return &compute.ForwardingRule{Name: name, Target: target, IPAddress: ip, PortRange: ports, LoadBalancingScheme: "EXTERNAL_MANAGED", SelfLink: G("global/forwardingRules/" + name)}
}

// EndpointSlice is an EndpointSlice of a selector-less Service with one
// address.
func EndpointSlice(ns, svc, ip string) discoveryv1.EndpointSlice {
	es := discoveryv1.EndpointSlice{AddressType: discoveryv1.AddressTypeIPv4, Endpoints: []discoveryv1.Endpoint{{Addresses: []string{ip}}}}
	es.Namespace, es.Name = ns, svc+"-manual"
	es.Labels = map[string]string{discoveryv1.LabelServiceName: svc}
	return es
}

// Run runs one rule and returns its findings, failing when the rule
// crashed or could not decide (RunAll shows those), and on a finding that
// lacks a message, a fix, a resource or evidence.
func Run(t *testing.T, inv *inventory.Inventory, r *inspect.Rule) []inspect.Finding {
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

// RunAll runs rules together, as a run does.
func RunAll(inv *inventory.Inventory, rules ...*inspect.Rule) inspect.Result {
	return inspect.Run(inv, rules)
}

// Messages returns "rule kind ns/name: message" of each finding.
func Messages(fs []inspect.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+" "+f.Resource.Kind+" "+f.Resource.Namespace+"/"+f.Resource.Name+": "+f.Message)
	}
	return out
}

// Expect checks that there are exactly len(want) findings and that the
// i-th one's Messages line contains want[i].
func Expect(t *testing.T, fs []inspect.Finding, want ...string) {
	t.Helper()
	if len(fs) != len(want) {
		t.Fatalf("got %d findings, want %d:\n%s", len(fs), len(want), strings.Join(Messages(fs), "\n"))
	}
	for i, line := range Messages(fs) {
		if !strings.Contains(line, want[i]) {
			t.Errorf("finding %d %q does not contain %q", i, line, want[i])
		}
	}
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }

// Counts are a check's counts: resources judged, passed and failed, and
// places the rule could not check.
type Counts struct {
	Judged, Passed, Failed, CouldNotCheck int
}

// CheckOf runs one rule alone and returns its check.
func CheckOf(t *testing.T, inv *inventory.Inventory, r *inspect.Rule) inspect.Check {
	t.Helper()
	res := inspect.Run(inv, []*inspect.Rule{r})
	if len(res.Checks) != 1 {
		t.Fatalf("rule %s: %d checks, want 1", r.ID, len(res.Checks))
	}
	return res.Checks[0]
}

// ExpectCounts runs one rule alone and checks its counts against hand
// counts of the inventory, and that Reasons name every place it could not
// check.
func ExpectCounts(t *testing.T, inv *inventory.Inventory, r *inspect.Rule, want Counts) inspect.Check {
	t.Helper()
	c := CheckOf(t, inv, r)
	got := Counts{c.Judged, c.Passed, c.Failed, c.CouldNotCheck}
	if got != want {
		t.Errorf("rule %s counts %+v, want %+v (reasons %q)", r.ID, got, want, c.Reasons)
	}
	if c.CouldNotCheck > 0 && len(c.Reasons) == 0 {
		t.Errorf("rule %s could not check %d places but gives no reason", r.ID, c.CouldNotCheck)
	}
	return c
}
