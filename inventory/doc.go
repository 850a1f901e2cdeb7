// Package inventory holds the immutable snapshot of everything lbdiag read
// from Compute Engine, GKE and each cluster's Kubernetes API, together with a
// coverage record of what could not be read.
//
// The collectors in package gcp fill an Inventory once; rules in package
// inspect only read it. Nothing in this package performs I/O or judges
// configuration: it answers "what was seen" and "was this source read
// completely", so that a rule can tell "absent" from "unknown".
package inventory
