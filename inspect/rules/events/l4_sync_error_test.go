package events

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
	"github.com/lbdiag/lbdiag/inventory"
)

func TestL4SyncError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		msg, cause string
	}{
		{`Error syncing load balancer: failed to ensure load balancer: requested ip "34.118.9.20" is neither static nor assigned to the LB`, "loadBalancerIP not reserved or in use"},
		{"Error syncing load balancer: failed to ensure load balancer: googleapi: Error 404: The resource 'projects/p/regions/us-east1/subnetworks/ilb' was not found, notFound", "subnet not found"},
		{"Error syncing load balancer: failed to ensure load balancer: googleapi: Error 403: Quota 'FORWARDING_RULES' exceeded.  Limit: 15.0 globally., quotaExceeded", "quota exhausted"},
		{"Error syncing load balancer: googleapi: Error 412: Constraint constraints/compute.restrictLoadBalancerCreationForTypes violated for projects/p.", "organization policy forbids this load balancer type"},
		{"Error syncing load balancer: googleapi: Error 400: Exceeded limit 'INTERNAL_FORWARDING_RULES_WITH_TARGET_INSTANCE' on resource 'vpc'", "internal forwarding-rule limit"},
		{"Error syncing load balancer: googleapi: Error 400: Invalid value for field 'resource.ipVersion': 'IPV6'. Subnetwork 'nodes' does not have an IPv6 range., invalid", "dual-stack Service without an IPv6 range"},
		{"Error syncing load balancer: googleapi: Error 400: Invalid value for field 'resource.subnetwork': 'proxy'. The subnetwork purpose must be PRIVATE, got REGIONAL_MANAGED_PROXY., invalid", "subnet of the wrong purpose"},
		{"Error syncing load balancer: something new", "unknown"},
	} {
		t.Run(tc.cause, func(t *testing.T) {
			t.Parallel()
			inv, cl := ruletest.L4Cluster("34.75.1.20", ruletest.Now.Add(-time.Hour), false)
			cl.Events = []corev1.Event{{ObjectMeta: metav1.ObjectMeta{Namespace: "pay", Name: "gateway.1"}, Type: "Warning", Reason: "SyncLoadBalancerFailed",
				Message: tc.msg, Source: corev1.EventSource{Component: "service-controller"}, Count: 3, LastTimestamp: metav1.NewTime(ruletest.Now.Add(-time.Minute)),
				InvolvedObject: corev1.ObjectReference{Kind: "Service", Namespace: "pay", Name: "gateway"}}}
			got := ruletest.Run(t, inv, L4SyncError)
			ruletest.Expect(t, got, "Warning SyncLoadBalancerFailed from service-controller (3×")
			if got[0].Evidence["cause"] != tc.cause {
				t.Errorf("cause %v, want %s", got[0].Evidence["cause"], tc.cause)
			}
		})
	}
}

func TestL4SyncErrorCounts(t *testing.T) {
	t.Parallel()
	inv, cl := ruletest.L4Cluster("34.75.1.20", ruletest.Now.Add(-time.Hour), false)
	quiet := cl.Services[0]
	quiet.Name = "quiet"
	cl.Services = append(cl.Services, quiet, ruletest.Service("pay", "internal-only", nil))
	cl.Events = []corev1.Event{{ObjectMeta: metav1.ObjectMeta{Namespace: "pay", Name: "gateway.1"}, Type: "Warning", Reason: "SyncLoadBalancerFailed",
		Message: "Error syncing load balancer: something new", Source: corev1.EventSource{Component: "service-controller"}, Count: 3,
		LastTimestamp: metav1.NewTime(ruletest.Now.Add(-time.Minute)), InvolvedObject: corev1.ObjectReference{Kind: "Service", Namespace: "pay", Name: "gateway"}}}
	// The GKE LoadBalancer Services are judged: gateway (a failure) fails,
	// quiet passes; internal-only is a ClusterIP Service, not judged.
	ruletest.ExpectCounts(t, inv, L4SyncError, ruletest.Counts{Judged: 2, Passed: 1, Failed: 1})
	ruletest.FailSource(inv, inventory.KubeEvents, cl.Scope())
	c := ruletest.ExpectCounts(t, inv, L4SyncError, ruletest.Counts{CouldNotCheck: 1})
	if !strings.Contains(strings.Join(c.Reasons, "\n"), string(inventory.KubeEvents)) {
		t.Errorf("reasons %q", c.Reasons)
	}
}
