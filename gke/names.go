package gke

import (
	"crypto/sha256"
	"fmt"
	"strings"
)

// GKE's Ingress controller names the resources of an Ingress from the
// cluster's kube-system Namespace UID (the "v2" naming scheme,
// kubernetes/ingress-gce pkg/utils/namer). lbdiag recomputes those names to
// tell which cluster and which Ingress a resource belongs to; it never
// parses them.

// ContentHash is the controller's hash of s to n characters: each of the
// first n bytes of SHA-256(s), modulo 36, indexes "0-9a-z".
func ContentHash(s string, n int) string {
	const chars = "0123456789abcdefghijklmnopqrstuvwxyz"
	sum := sha256.Sum256([]byte(s))
	var b strings.Builder
	for i := 0; i < n && i < len(sum); i++ {
		b.WriteByte(chars[int(sum[i])%len(chars)])
	}
	return b.String()
}

// TrimFieldsEvenly cuts fields so that together they are at most max long,
// shortening the longer ones more, the way the controller does: each field
// keeps len - len*excess/total - 1 characters, and the characters that
// rounding freed go back one each to the first fields.
func TrimFieldsEvenly(max int, fields ...string) []string {
	total := 0
	for _, f := range fields {
		total += len(f)
	}
	if max <= 0 || total <= max {
		return fields
	}
	excess := total - max
	left := max
	keep := make([]int, len(fields))
	for i, f := range fields {
		keep[i] = len(f) - len(f)*excess/total - 1
		left -= keep[i]
	}
	for i := 0; i < left && i < len(keep); i++ {
		keep[i]++
	}
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f[:keep[i]]
	}
	return out
}

// ClusterHash is the 8-character hash of a cluster's kube-system UID that
// v2 names carry ("k8s2-um-<hash>-...").
func ClusterHash(kubeSystemUID string) string { return ContentHash(kubeSystemUID, 8) }

// V2LoadBalancerName is the v2 load balancer name of an Ingress:
// <ClusterHash>-<namespace>-<name>-<hash8(uid;namespace;name)>, namespace
// and name trimmed evenly to 36 characters. Its URL map is "k8s2-um-" + it,
// its forwarding rules "k8s2-fr-" and "k8s2-fs-", its proxies "k8s2-tp-"
// and "k8s2-ts-", its redirect URL map "k8s2-rm-".
func V2LoadBalancerName(kubeSystemUID, namespace, name string) string {
	f := TrimFieldsEvenly(36, namespace, name)
	suffix := ContentHash(strings.Join([]string{kubeSystemUID, namespace, name}, ";"), 8)
	return fmt.Sprintf("%s-%s-%s-%s", ClusterHash(kubeSystemUID), f[0], f[1], suffix)
}

// V2Prefixes are the name prefixes of an Ingress's v2 frontend resources.
var V2Prefixes = []string{"k8s2-um-", "k8s2-rm-", "k8s2-fr-", "k8s2-fs-", "k8s2-tp-", "k8s2-ts-"}

// NodeTag is the network tag GKE gives a cluster's nodes:
// gke-<cluster>-<first 8 characters of the cluster's id>-node.
func NodeTag(clusterName, clusterID string) string {
	id := clusterID
	if len(id) > 8 {
		id = id[:8]
	}
	return "gke-" + clusterName + "-" + id + "-node"
}

// Name prefixes of the resources GKE's controllers build.
const (
	// PrefixNEG starts NEGs and their backend services (k8s1-).
	PrefixNEG = "k8s1-"
	// PrefixV2 starts v2 Ingress frontends and L4 resources (k8s2-).
	PrefixV2 = "k8s2-"
	// PrefixIGBackend starts instance-group backend services (k8s-be-).
	PrefixIGBackend = "k8s-be-"
	// PrefixGateway starts the GKE Gateway controller's resources.
	PrefixGateway = "gkegw1-"
)

// ManagedPrefixes are the name prefixes of load-balancing resources GKE's
// controllers build (Ingress v1 and v2, NEGs, L4, Gateway).
var ManagedPrefixes = []string{"k8s1-", "k8s2-", "k8s-be-", "k8s-fw-", "k8s-fws-", "k8s-um-", "k8s-tp-", "k8s-tps-", "k8s-ssl-", "gkegw1-", "gkegw-", "gkemcg1-"}

// Managed reports whether a resource name is one GKE's controllers give.
func Managed(name string) bool {
	for _, p := range ManagedPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
