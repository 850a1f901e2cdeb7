// Package gke holds the vocabulary of GKE's load-balancing controllers:
// the annotation keys they read and write and their parsers, the
// BackendConfig reference and how the controller resolves it per Service
// port, the descriptions they write on Compute Engine resources, the names
// they give those resources, and the classes of Ingress and Gateway they
// serve. It is the one place lbdiag decides what GKE means by a key or a
// name, as kubernetes/ingress-gce pkg/annotations and pkg/utils/namer do
// for the controller.
//
// It is a leaf: it imports no other lbdiag package, does no I/O and judges
// nothing. Collectors use it to know what to read, rules to join
// Kubernetes with Compute Engine.
package gke
