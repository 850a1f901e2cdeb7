// Package ingress holds the rules about Kubernetes objects and their
// annotations: Ingress, Service, BackendConfig, FrontendConfig,
// ManagedCertificate, the Gateway API and GKE's policies, and the clusters
// they run in, each checked against what Compute Engine holds.
package ingress
