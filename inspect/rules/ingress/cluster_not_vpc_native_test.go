package ingress

import (
	"testing"
)

func TestClusterNotVPCNative(t *testing.T) {
	t.Parallel()
	runClusterCases(t, ClusterNotVPCNative, []clusterCase{
		{name: "routes-based with an Ingress", routes: true, want: true},
		{name: "routes-based, another controller's Ingress", routes: true, class: "nginx"},
		{name: "routes-based, Ingresses unreadable", routes: true, failIngresses: true},
		{name: "VPC-native"},
	})
}
