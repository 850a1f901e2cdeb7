package network

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
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
			svc := ruletest.Service("pay", "gateway", nil, corev1.ServicePort{Name: "https", Port: 443, TargetPort: intstr.FromInt(8443), NodePort: 31443})
			svc.Spec.Type, svc.Spec.ExternalTrafficPolicy, svc.Spec.HealthCheckNodePort = corev1.ServiceTypeLoadBalancer, tc.etp, 32111
			if tc.internal {
				svc.Annotations = map[string]string{"networking.gke.io/load-balancer-type": "Internal"}
			}
			svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "10.60.0.50"}}
			cl.Services = append(cl.Services, svc)
			ruletest.Expect(t, ruletest.Run(t, inv, L4HealthCheckFirewallMissing), tc.want...)
		})
	}
}
