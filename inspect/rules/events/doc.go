// Package events holds the rules that read what GKE's controllers report
// in Kubernetes events, and classify the failures they name.
package events
