package inventory

import (
	"sort"

	"github.com/lbdiag/lbdiag/internal/untrusted"
)

// Status says whether a source was read.
type Status string

// Coverage statuses.
//   - ok: read completely. NotInstalled is a complete read with nothing in
//     it: the API group is not served by the cluster, so no object of that
//     kind exists.
//   - error: could not be read. A gap: what depends on it is unknown.
//   - unknown: a rule could not decide, because something it needs was not
//     read. A gap.
//   - skipped: left out at the user's request (--cluster, --namespace,
//     --ingress, ...). Not a gap: the run is complete for what was asked.
//   - partial: a trace read the objects it follows by name, not the whole
//     list: each object it read has an entry of its own (scope its
//     relative name, "projects/p/global/backendServices/x"), complete when
//     the get answered, even with 404. Not a gap, and not complete: what a
//     rule needs from the whole list stays unknown.
const (
	StatusOK           Status = "ok"
	StatusError        Status = "error"
	StatusUnknown      Status = "unknown"
	StatusSkipped      Status = "skipped"
	StatusNotInstalled Status = "not-installed"
	StatusPartial      Status = "partial"
)

// Source names one kind of data lbdiag reads, such as
// "compute.backendServices" or "kubernetes.ingresses".
type Source string

// Compute Engine, GKE and Kubernetes sources read by the collectors.
const (
	ComputeBackendServices    Source = "compute.backendServices"
	ComputeForwardingRules    Source = "compute.forwardingRules"
	ComputeNEGs               Source = "compute.networkEndpointGroups"
	ComputeSubnetworks        Source = "compute.subnetworks"
	ComputeSecurityPolicies   Source = "compute.securityPolicies"
	ComputeHealthChecks       Source = "compute.healthChecks"
	ComputeURLMaps            Source = "compute.urlMaps"
	ComputeTargetHTTPProxies  Source = "compute.targetHttpProxies"
	ComputeTargetHTTPSProxies Source = "compute.targetHttpsProxies"
	ComputeSSLCertificates    Source = "compute.sslCertificates"
	ComputeAddresses          Source = "compute.addresses"
	ComputeInstanceGroups     Source = "compute.instanceGroups"
	ComputeInstances          Source = "compute.instances"
	ComputeFirewalls          Source = "compute.firewalls"
	ComputeNetworks           Source = "compute.networks"
	ComputeTargetSSLProxies   Source = "compute.targetSslProxies"
	// ComputeBackendBuckets is read by a trace only, by name.
	ComputeBackendBuckets Source = "compute.backendBuckets"
	// ComputeProject is projects.get: the project's quotas.
	ComputeProject Source = "compute.projects"
	// ComputeRegions is regions.list: each region's quotas.
	ComputeRegions Source = "compute.regions"

	// ComputeEffectiveFirewalls is networks.getEffectiveFirewalls, read per
	// VPC that hosts an inspected cluster; its scope is the network
	// ("projects/P/global/networks/N").
	ComputeEffectiveFirewalls Source = "compute.effectiveFirewalls"
	// ComputeBackendHealth is backendServices.getHealth for the backend
	// services of inspected Ingresses and Gateways.
	ComputeBackendHealth Source = "compute.backendServices.getHealth"

	GKEClusters Source = "container.clusters"

	// CertificateManagerMaps is certificateMaps.list (global), read when
	// a Gateway names a map (networking.gke.io/certmap).
	CertificateManagerMaps Source = "certificatemanager.certificateMaps"

	KubeIngresses           Source = "kubernetes.ingresses"
	KubeServices            Source = "kubernetes.services"
	KubeDeployments         Source = "kubernetes.deployments"
	KubeStatefulSets        Source = "kubernetes.statefulsets"
	KubeDaemonSets          Source = "kubernetes.daemonsets"
	KubeNodes               Source = "kubernetes.nodes"
	KubeBackendConfigs      Source = "kubernetes.backendconfigs"
	KubeFrontendConfigs     Source = "kubernetes.frontendconfigs"
	KubeManagedCertificates Source = "kubernetes.managedcertificates"
	KubeServiceNEGs         Source = "kubernetes.servicenetworkendpointgroups"
	KubeGatewayClasses      Source = "kubernetes.gatewayclasses"
	KubeGateways            Source = "kubernetes.gateways"
	KubeHTTPRoutes          Source = "kubernetes.httproutes"
	KubeGCPBackendPolicies  Source = "kubernetes.gcpbackendpolicies"
	KubeHealthCheckPolicies Source = "kubernetes.healthcheckpolicies"
	KubeGCPGatewayPolicies  Source = "kubernetes.gcpgatewaypolicies"
	KubeGRPCRoutes          Source = "kubernetes.grpcroutes"
	KubeReferenceGrants     Source = "kubernetes.referencegrants"
	KubeTrafficPolicies     Source = "kubernetes.gcptrafficdistributionpolicies"
	// KubeNamespaceList is every Namespace, for the labels a Gateway
	// listener's allowedRoutes selector matches.
	KubeNamespaceList  Source = "kubernetes.namespaces.list"
	KubeEvents         Source = "kubernetes.events"
	KubeEndpointSlices Source = "kubernetes.endpointslices"
	// KubePods is the Pod list, of which lbdiag keeps the Pods with GKE's
	// NEG readiness gate (GatedPods).
	KubePods Source = "kubernetes.pods"
	// KubeNamespaces is the kube-system Namespace, whose UID names the
	// cluster's load-balancing resources (one get, nothing listed).
	KubeNamespaces Source = "kubernetes.namespaces"
	// KubeAPI is the cluster's API server as a whole: an entry with an
	// error status means nothing of that cluster could be read.
	KubeAPI Source = "kubernetes.api"
)

// Coverage records the outcome of reading one source in one scope.
type Coverage struct {
	Source Source `json:"source"`
	// Scope is the project ("projects/p") or the cluster
	// ("projects/p/locations/l/clusters/c") the source was read in.
	Scope  string `json:"scope"`
	Status Status `json:"status"`
	// Detail qualifies a complete read ("not installed", how long
	// requests waited on the rate limit, ...).
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
	Hint   string `json:"hint,omitempty"`
}

// Complete reports whether the entry stands for a full read: of the whole
// source, or, for a partial one, of every object the run needed (each of
// which has an entry of its own).
func (c Coverage) Complete() bool {
	return c.Status == StatusOK || c.Status == StatusNotInstalled || c.Status == StatusPartial
}

// CoverageSet is the coverage record of a run.
type CoverageSet []Coverage

// Known reports whether source was read completely in scope. A source that
// was never attempted there is unknown.
func (cs CoverageSet) Known(source Source, scope string) bool {
	found := false
	for _, c := range cs {
		if c.Source == source && c.Scope == scope {
			if !c.Complete() {
				return false
			}
			found = true
		}
	}
	return found
}

// Gap reports whether the entry makes the run incomplete: a source that
// could not be read, or a rule that could not decide. Sources skipped at the
// user's request are not gaps.
func (c Coverage) Gap() bool {
	return !c.Complete() && c.Status != StatusSkipped && c.Status != StatusPartial
}

// Gaps returns the entries that make the run incomplete, sorted by scope
// and source.
func (cs CoverageSet) Gaps() []Coverage {
	var out []Coverage
	for _, c := range cs {
		if c.Gap() {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Scope != out[j].Scope {
			return out[i].Scope < out[j].Scope
		}
		return out[i].Source < out[j].Source
	})
	return out
}

// ProjectScope returns the coverage scope of a project.
func ProjectScope(project string) string { return "projects/" + project }

// ObjectScope returns the coverage scope of one Kubernetes object of a
// cluster: "<cluster scope>/namespaces/<ns>/<resource>/<name>", or
// "<cluster scope>/<resource>/<name>" for a cluster-scoped object.
func ObjectScope(clusterScope, resource, ns, name string) string {
	if ns == "" {
		return clusterScope + "/" + resource + "/" + name
	}
	return clusterScope + "/namespaces/" + ns + "/" + resource + "/" + name
}

// ClusterScope returns the coverage scope of a GKE cluster.
func ClusterScope(project, location, name string) string {
	return "projects/" + project + "/locations/" + location + "/clusters/" + name
}

// Sanitized is the entry safe to print and keep: its scope escaped, its
// texts (which quote what APIs and errors said) scrubbed of credentials,
// bounded and escaped.
func (c Coverage) Sanitized() Coverage {
	c.Scope = untrusted.Escape(c.Scope)
	c.Detail, c.Error, c.Hint = untrusted.Clean(c.Detail), untrusted.Clean(c.Error), untrusted.Clean(c.Hint)
	return c
}
