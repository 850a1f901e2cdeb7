//go:build tools

// Package tools pins the kube-apiserver lbdiag's real-server suite runs
// against. It is its own module so that lbdiag's go.mod never requires
// k8s.io/kubernetes; scripts/kube-apiserver.sh builds it.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
