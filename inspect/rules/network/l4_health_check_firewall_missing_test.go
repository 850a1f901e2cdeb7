package network

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestL4HealthCheckFirewallMissing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		etp      corev1.ServiceExternalTrafficPolicy
		internal bool
		allow    []string
		want     []string
	}{
		{"Local, its node port blocked", corev1.ServiceExternalTrafficPolicyLocal, false, []string{"10256"},
			[]string{"probes the nodes on spec.healthCheckNodePort 32111 (externalTrafficPolicy Local), but 209.85.152.0/22 and 209.85.204.0/22 and 35.191.0.0/16 cannot reach it"}},
		{"Local, allowed", corev1.ServiceExternalTrafficPolicyLocal, false, []string{"32111"}, nil},
		{"Cluster, kube-proxy's port blocked", corev1.ServiceExternalTrafficPolicyCluster, true, []string{"32111"},
			[]string{"probes the nodes on port 10256, kube-proxy's health server (externalTrafficPolicy Cluster), but 130.211.0.0/22 and 35.191.0.0/16 cannot reach it"}},
		{"Cluster, allowed", corev1.ServiceExternalTrafficPolicyCluster, true, []string{"10256"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv, cl := ruletest.FirewallSetup("gce", 8080, ruletest.Firewall("allow-hc", 1000, "35.191.0.0/16,130.211.0.0/22,209.85.152.0/22,209.85.204.0/22", tc.allow...))
			cl.Services = append(cl.Services, l4Service("gateway", tc.etp, tc.internal, "10.60.0.50"))
			ruletest.Expect(t, ruletest.Run(t, inv, L4HealthCheckFirewallMissing), tc.want...)
		})
	}
}

// l4Service is LoadBalancer Service pay/NAME (health check node port
// 32111), internal or external, with its load balancer's address ip ("" for
// none yet).
func l4Service(name string, etp corev1.ServiceExternalTrafficPolicy, internal bool, ip string) corev1.Service {
	svc := ruletest.Service("pay", name, nil, corev1.ServicePort{Name: "https", Port: 443, TargetPort: intstr.FromInt(8443), NodePort: 31443})
	svc.Spec.Type, svc.Spec.ExternalTrafficPolicy, svc.Spec.HealthCheckNodePort = corev1.ServiceTypeLoadBalancer, etp, 32111
	if internal {
		svc.Annotations = map[string]string{"networking.gke.io/load-balancer-type": "Internal"}
	}
	if ip != "" {
		svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
	}
	return svc
}

func TestL4HealthCheckFirewallMissingCounts(t *testing.T) {
	t.Parallel()
	// The firewall admits the health checkers on 10256 only. Judged: the
	// 2 LoadBalancer Services with a load balancer; gateway (Local, probed
	// on 32111) fails, internal (Cluster, probed on 10256) passes. pending
	// has no load balancer yet and the NEG Service shop/api is no
	// LoadBalancer: not judged.
	setup := func() (*inventory.Inventory, *inventory.Cluster) {
		inv, cl := ruletest.FirewallSetup("gce", 8080, ruletest.Firewall("allow-hc", 1000, "35.191.0.0/16,130.211.0.0/22,209.85.152.0/22,209.85.204.0/22", "10256"))
		cl.Services = append(cl.Services,
			l4Service("gateway", corev1.ServiceExternalTrafficPolicyLocal, false, "34.1.2.3"),
			l4Service("internal", corev1.ServiceExternalTrafficPolicyCluster, true, "10.60.0.50"),
			l4Service("pending", corev1.ServiceExternalTrafficPolicyLocal, false, ""))
		return inv, cl
	}
	inv, _ := setup()
	ruletest.ExpectCounts(t, inv, L4HealthCheckFirewallMissing, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})

	// The nodes not read: nothing judged, one place not checked.
	inv, _ = setup()
	ruletest.FailSource(inv, inventory.ComputeInstances, inventory.ProjectScope(ruletest.Project))
	expectReason(t, ruletest.ExpectCounts(t, inv, L4HealthCheckFirewallMissing, ruletest.Counts{CouldNotCheck: 1}), inventory.ComputeInstances)
}
