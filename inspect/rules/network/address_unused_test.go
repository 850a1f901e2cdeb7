package network

import (
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestAddressUnused(t *testing.T) {
	t.Parallel()
	inv := ruletest.LBProject()
	inv.Compute.Addresses = []*compute.Address{ruletest.Address("spare", "us-east1", "RESERVED"), ruletest.Address("vip", "", "IN_USE", ruletest.G("global/forwardingRules/fr")),
		ruletest.Address("asked-for", "us-east1", "RESERVED")}
	peering := ruletest.Address("google-managed-services", "", "RESERVED")
	peering.Purpose, peering.AddressType = "VPC_PEERING", "INTERNAL"
	inv.Compute.Addresses = append(inv.Compute.Addresses, peering)
	ruletest.Expect(t, ruletest.Run(t, inv, AddressUnused), "Reserved external address asked-for (34.1.2.3, us-east1) is used by nothing", "Reserved external address spare")

	// An address a Service asks for is not unused.
	cl := ruletest.Cluster("edge", "us-east1-b", ruletest.Project, "vpc", "nodes")
	svc := ruletest.Service("pay", "edge", nil)
	svc.Spec.Type, svc.Spec.LoadBalancerIP = corev1.ServiceTypeLoadBalancer, "34.1.2.3"
	withCluster := ruletest.Inventory(cl)
	withCluster.Compute = inv.Compute
	cl.Services = []corev1.Service{svc}
	ruletest.Expect(t, ruletest.Run(t, withCluster, AddressUnused))
	// ...and a cluster whose Services could not be read may ask for any.
	cl.Services = nil
	ruletest.FailSource(withCluster, inventory.KubeServices, cl.Scope())
	ruletest.Expect(t, ruletest.Run(t, withCluster, AddressUnused))
}

func TestAddressUnusedCounts(t *testing.T) {
	t.Parallel()
	// Judged: the 3 addresses of the project whose use shows in users
	// (vip IN_USE passes; spare and asked-for, RESERVED by nothing, fail).
	// The peering range is used by what users does not show: not judged.
	inv := ruletest.LBProject()
	peering := ruletest.Address("google-managed-services", "", "RESERVED")
	peering.Purpose, peering.AddressType = "VPC_PEERING", "INTERNAL"
	inv.Compute.Addresses = []*compute.Address{ruletest.Address("spare", "us-east1", "RESERVED"), ruletest.Address("vip", "", "IN_USE", ruletest.G("global/forwardingRules/fr")),
		ruletest.Address("asked-for", "us-east1", "RESERVED"), peering}
	ruletest.ExpectCounts(t, inv, AddressUnused, ruletest.Counts{Judged: 3, Passed: 1, Failed: 2})

	// A Service asks for 34.1.2.3, the address of all three: they pass.
	cl := ruletest.Cluster("edge", "us-east1-b", ruletest.Project, "vpc", "nodes")
	svc := ruletest.Service("pay", "edge", nil)
	svc.Spec.Type, svc.Spec.LoadBalancerIP = corev1.ServiceTypeLoadBalancer, "34.1.2.3"
	cl.Services = []corev1.Service{svc}
	withCluster := ruletest.Inventory(cl)
	withCluster.Compute = inv.Compute
	ruletest.ExpectCounts(t, withCluster, AddressUnused, ruletest.Counts{Judged: 3, Passed: 3})

	// The cluster's Services and Gateways not read: nothing judged, 2
	// places not checked.
	cl.Services = nil
	ruletest.FailSource(withCluster, inventory.KubeServices, cl.Scope())
	ruletest.FailSource(withCluster, inventory.KubeGateways, cl.Scope())
	c := ruletest.ExpectCounts(t, withCluster, AddressUnused, ruletest.Counts{CouldNotCheck: 2})
	expectReason(t, c, inventory.KubeServices)
	expectReason(t, c, inventory.KubeGateways)

	// --cluster narrowed the run: another cluster may ask for any.
	inv.ClustersSelected = true
	c = ruletest.ExpectCounts(t, inv, AddressUnused, ruletest.Counts{CouldNotCheck: 1})
	if len(c.Reasons) != 1 || !strings.Contains(c.Reasons[0], "--cluster") {
		t.Errorf("reasons %q", c.Reasons)
	}
}
