package core

import (
	"testing"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		`Translation failed: invalid ingress spec: error getting BackendConfig for port "&ServiceBackendPort{Name:,Number:80,}" on service "default/my-service", err: no BackendConfig for service port exists.`:                                                                           "backendconfig-missing",
		`Error during sync: error getting BackendConfig for port 80 on service "default/my-service": no BackendConfig for service port exists`:                                                                                                                                             "backendconfig-missing",
		`Error during sync: The given security policy "my-policy" does not exist.`:                                                                                                                                                                                                         "security-policy-missing",
		`Error syncing to GCP: error running load balancer syncing routine: loadbalancer x does not exist: googleapi: Error 400: Invalid value for field 'resource.target': 'y'. A reserved and active subnetwork is required in the same region and VPC as the forwarding rule., invalid`: "proxy-only-subnet-missing",
		`Error syncing to GCP: error running load balancer syncing routine: secret "" does not exist`:                                                                                                                                                                                      "ingress-tls-secret-name-missing",
		`invalid ingress frontend configuration, please check your usage of the 'kubernetes.io/ingress.allow-http' annotation.`:                                                                                                                                                            "allow-http-without-tls",
		`googleapi: Error 409: IP_IN_USE_BY_ANOTHER_RESOURCE - IP '10.0.0.5' is already being used by another resource.`:                                                                                                                                                                   "static-ip-in-use",
		`service "shop/web" is type "ClusterIP", expected "NodePort" or "LoadBalancer"`:                                                                                                                                                                                                    "service-type-invalid",
		`cloud armor security policies not supported for Regional backend service k8s1-x`:                                                                                                                                                                                                  "",
		`Error syncing to GCP: something new`: "unknown",
	}
	for msg, want := range tests {
		c := Classify(msg)
		got := "unknown"
		if c != nil {
			got = c.Rule
		}
		if got != want {
			t.Errorf("classify(%q) = %q, want %q", msg, got, want)
		}
	}
}
