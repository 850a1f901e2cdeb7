package recording

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	in := `{"kind":"DeploymentList","items":[{"metadata":{"name":"web","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"password\":\"SECRET-1\"}","keep":"me"}},
	 "spec":{"template":{"spec":{"initContainers":[{"name":"init","image":"busybox","command":["sh","-c","echo SECRET-2"]}],
	  "containers":[{"name":"web","image":"nginx","args":["--token=SECRET-3"],"command":["/bin/web"],
	   "env":[{"name":"DB_PASSWORD","value":"SECRET-4"},{"name":"FROM_SECRET","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}}],
	   "lifecycle":{"preStop":{"exec":{"command":["sh","-c","sleep 40"]}}},
	   "readinessProbe":{"exec":{"command":["cat","/ready"]}}}]}}}}],
	 "data":{"x":"SECRET-5"},"stringData":{"y":"SECRET-6"}}`
	out := string(Redact([]byte(in)))
	for _, s := range []string{"SECRET-1", "SECRET-2", "SECRET-3", "SECRET-4", "SECRET-5", "SECRET-6", "last-applied-configuration", "/bin/web"} {
		if strings.Contains(out, s) {
			t.Errorf("redacted output still holds %q:\n%s", s, out)
		}
	}
	for _, s := range []string{`"DB_PASSWORD"`, `"secretKeyRef"`, `"sleep 40"`, `"cat"`, `"keep": "me"`} {
		if !strings.Contains(out, s) {
			t.Errorf("redacted output lost %s:\n%s", s, out)
		}
	}
	cluster := `{"clusters":[{"name":"c","masterAuth":{"clusterCaCertificate":"Q0E=","clientKey":"SECRET-7","clientCertificate":"SECRET-8","password":"SECRET-9"},
	 "nodeConfig":{"metadata":{"user-data":"SECRET-10"}},"nodePools":[{"config":{"metadata":{"startup":"SECRET-11"}}}]}]}`
	out = string(Redact([]byte(cluster)))
	for _, s := range []string{"SECRET-7", "SECRET-8", "SECRET-9", "SECRET-10", "SECRET-11"} {
		if strings.Contains(out, s) {
			t.Errorf("cluster: still holds %q", s)
		}
	}
	if !strings.Contains(out, `"clusterCaCertificate": "Q0E="`) {
		t.Errorf("the CA certificate (public) must stay:\n%s", out)
	}
	inst := `{"kind":"compute#instanceAggregatedList","items":{"zones/a":{"instances":[{"name":"vm","metadata":{"kind":"compute#metadata","items":[{"key":"startup-script","value":"export KEY=SECRET-12"}]}}]}}}`
	if out := string(Redact([]byte(inst))); strings.Contains(out, "SECRET-12") || !strings.Contains(out, "startup-script") {
		t.Errorf("instance metadata:\n%s", out)
	}
	if out := string(Redact([]byte("not json SECRET-13"))); strings.Contains(out, "SECRET-13") {
		t.Errorf("a non-JSON body must be dropped: %s", out)
	}
}
