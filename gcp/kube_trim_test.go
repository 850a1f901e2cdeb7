package gcp

import (
	"testing"

	"github.com/lbdiag/lbdiag/inventory"
)

// decodeOne decodes one list item as the collector does, by the resource's
// decoder.
func decodeOne(t *testing.T, source inventory.Source, c *inventory.Cluster, raw string) {
	t.Helper()
	for _, r := range kubeResources {
		if r.source == source {
			if _, _, err := r.decode(c, []byte(raw)); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no resource %s", source)
}

// TestDecodeTrimsWhatNoRuleReads: the field sets of managedFields and a
// node's pulled images are dropped as items are decoded; the managers,
// operations and times, which the changes read, stay.
func TestDecodeTrimsWhatNoRuleReads(t *testing.T) {
	t.Parallel()
	var c inventory.Cluster
	decodeOne(t, inventory.KubeServices, &c, `{"metadata":{"name":"web","namespace":"shop","managedFields":[
	  {"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"v1","time":"2026-11-30T10:00:00Z","fieldsType":"FieldsV1",
	   "fieldsV1":{"f:metadata":{"f:annotations":{".":{},"f:cloud.google.com/neg":{}}},"f:spec":{"f:ports":{".":{},"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:targetPort":{}}},"f:selector":{}}}},
	  {"manager":"glbc","operation":"Update","apiVersion":"v1","time":"2026-11-30T10:01:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{"f:cloud.google.com/neg-status":{}}}}}]},
	  "spec":{"selector":{"app":"web"},"ports":[{"port":80,"targetPort":8080}]}}`)
	decodeOne(t, inventory.KubeNodes, &c, `{"metadata":{"name":"gke-shop-pool-1"},"status":{"images":[{"names":["gcr.io/app@sha256:0a"],"sizeBytes":123456}],
	  "addresses":[{"type":"InternalIP","address":"10.0.0.3"}]}}`)
	if len(c.Services) != 1 || len(c.Nodes) != 1 {
		t.Fatalf("%d services, %d nodes", len(c.Services), len(c.Nodes))
	}
	mf := c.Services[0].ManagedFields
	if len(mf) != 2 || mf[0].Manager != "kubectl-client-side-apply" || mf[1].Manager != "glbc" || mf[1].Time == nil || mf[1].Time.Minute() != 1 || mf[0].Operation != "Update" {
		t.Fatalf("managedFields = %+v", mf)
	}
	for _, e := range mf {
		if e.FieldsV1 != nil {
			t.Errorf("%s's fieldsV1 kept: %s", e.Manager, e.FieldsV1.Raw)
		}
	}
	if c.Services[0].Spec.Selector["app"] != "web" || len(c.Services[0].Spec.Ports) != 1 {
		t.Errorf("the spec was lost: %+v", c.Services[0].Spec)
	}
	n := c.Nodes[0]
	if n.Status.Images != nil || len(n.Status.Addresses) != 1 {
		t.Errorf("node status = %+v", n.Status)
	}
}
