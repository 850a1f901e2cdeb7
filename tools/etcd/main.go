// Command etcd is the etcd server lbdiag's real-server suite stores its
// kube-apiserver's objects in, built from the Go module proxy by
// scripts/kube-apiserver.sh. It is its own module so that lbdiag's go.mod
// never requires etcd.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
