package gcp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/internal/fakelogging"
	"github.com/lbdiag/lbdiag/inventory"
)

// auditEntry is an Admin Activity audit log entry as Compute Engine writes
// it: a long-running operation's first entry (the request, the caller,
// authorizationInfo) or its last (completion: a bare request @type).
func auditEntry(at time.Time, opID string, first bool, method, resource, principal string, request map[string]any) map[string]any {
	payload := map[string]any{"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "serviceName": "compute.googleapis.com",
		"methodName": method, "resourceName": resource, "authenticationInfo": map[string]any{"principalEmail": principal},
		"requestMetadata": map[string]any{"callerIp": "203.0.113.9", "callerSuppliedUserAgent": "google-cloud-sdk gcloud/500.0.0"}}
	op := map[string]any{"id": opID, "producer": "compute.googleapis.com"}
	coll := strings.Split(method, ".")[2]
	if first {
		op["first"] = true
		req := map[string]any{"@type": "type.googleapis.com/compute." + coll + "." + method[strings.LastIndex(method, ".")+1:]}
		for k, v := range request {
			req[k] = v
		}
		payload["request"] = req
		payload["authorizationInfo"] = []any{map[string]any{"granted": true, "permission": "compute." + coll + "." + method[strings.LastIndex(method, ".")+1:]}}
		payload["response"] = map[string]any{"@type": "type.googleapis.com/operation", "status": "RUNNING", "targetId": "5133249119463966455"}
	} else {
		op["last"] = true
		payload["request"] = map[string]any{"@type": "type.googleapis.com/compute." + coll + "." + method[strings.LastIndex(method, ".")+1:]}
	}
	return map[string]any{"logName": "projects/" + logsProject + "/logs/cloudaudit.googleapis.com%2Factivity", "insertId": opID + map[bool]string{true: "-a", false: "-b"}[first],
		"timestamp": at.UTC().Format(time.RFC3339Nano), "severity": "NOTICE", "operation": op, "protoPayload": payload,
		"resource": map[string]any{"type": "gce_" + coll, "labels": map[string]any{"project_id": logsProject}}}
}

func TestCollectChanges(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 2, 12, 0, 0, time.UTC)
	fw := "projects/" + logsProject + "/global/firewalls/allow-health-checks"
	proxy := "projects/" + logsProject + "/global/targetHttpsProxies/web-proxy"
	cert := "https://www.googleapis.com/compute/v1/projects/" + logsProject + "/global/sslCertificates/web-cert-2"
	entries := []map[string]any{
		// The firewall allowing the health checkers, deleted two days ago.
		auditEntry(now.Add(-48*time.Hour), "op-fw", true, "v1.compute.firewalls.delete", fw, "alice@example.com", nil),
		auditEntry(now.Add(-48*time.Hour+3*time.Second), "op-fw", false, "v1.compute.firewalls.delete", fw, "alice@example.com", nil),
		// A new certificate given to the proxy an hour ago (beta API).
		auditEntry(now.Add(-time.Hour), "op-cert", true, "beta.compute.targetHttpsProxies.setSslCertificates", proxy, "deployer@acme-ci.iam.gserviceaccount.com",
			map[string]any{"sslCertificates": []any{cert}}),
		auditEntry(now.Add(-time.Hour+2*time.Second), "op-cert", false, "beta.compute.targetHttpsProxies.setSslCertificates", proxy, "deployer@acme-ci.iam.gserviceaccount.com", nil),
		// Older than the window: not read.
		auditEntry(now.Add(-10*24*time.Hour), "op-old", true, "v1.compute.firewalls.insert", fw, "bob@example.com", nil),
		// Not a load-balancing resource: not read.
		auditEntry(now.Add(-time.Hour), "op-vm", true, "v1.compute.instances.insert", "projects/"+logsProject+"/zones/us-central1-a/instances/vm-1", "bob@example.com", nil),
	}
	// A failed patch of the URL map: one entry, severity ERROR, a status.
	failed := auditEntry(now.Add(-30*time.Minute), "op-um", true, "v1.compute.urlMaps.patch", "projects/"+logsProject+"/global/urlMaps/web-map", "carol@example.com", nil)
	failed["severity"] = "ERROR"
	failed["protoPayload"].(map[string]any)["status"] = map[string]any{"code": 3, "message": "Invalid value for field 'resource.hostRules[0]'"}
	entries = append(entries, failed)
	fake := fakelogging.New(logsProject, entries)
	fake.PageLimit = 2
	logging := httptest.NewServer(fake)
	defer logging.Close()
	collect := func(show bool) *inventory.Inventory {
		opts := lbProjectOptions(t, now)
		opts.LoggingEndpoint, opts.Changes, opts.ShowPrincipals = logging.URL+"/", 7*24*time.Hour, show
		inv, err := Collect(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	inv := collect(false)
	ch := inv.Changes
	if ch == nil {
		t.Fatalf("no changes; coverage %+v", inv.Coverage)
	}
	if len(ch.ByResource) != 3 {
		t.Errorf("changes of %d resources, want 3 (firewall, proxy, URL map): %v", len(ch.ByResource), ch.ByResource)
	}
	if c := ch.ByResource[fw]; len(c) != 1 || c[0].Method != "v1.compute.firewalls.delete" || c[0].Principal != "…@example.com" ||
		!c[0].At.Equal(now.Add(-48*time.Hour+3*time.Second)) || c[0].Failed {
		t.Errorf("firewall: %+v", c)
	}
	if c := ch.ByResource[proxy]; len(c) != 1 || c[0].Verb() != "setSslCertificates" || len(c[0].Certificates) != 1 ||
		c[0].Certificates[0] != "projects/"+logsProject+"/global/sslCertificates/web-cert-2" || c[0].Principal != "…@acme-ci.iam.gserviceaccount.com" {
		t.Errorf("proxy: %+v", c)
	}
	if c := ch.ByResource["projects/"+logsProject+"/global/urlMaps/web-map"]; len(c) != 1 || !c[0].Failed {
		t.Errorf("URL map: %+v", c)
	}
	// --show-principals keeps the emails whole.
	if c := collect(true).Changes.ByResource[fw]; len(c) != 1 || c[0].Principal != "alice@example.com" {
		t.Errorf("--show-principals: %+v", c)
	}
	for _, q := range fake.Queries() {
		if !strings.Contains(q, `protoPayload.serviceName="compute.googleapis.com"`) || !strings.Contains(q, `timestamp>="2026-11-20T02:12:00Z"`) {
			t.Errorf("filter %s", q)
		}
	}
}

// TestCollectChangesDenied: audit logs that cannot be read are a gap.
func TestCollectChangesDenied(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 2, 12, 0, 0, time.UTC)
	logging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fakelogging.PermissionDenied(w, logsProject) }))
	defer logging.Close()
	opts := lbProjectOptions(t, now)
	opts.LoggingEndpoint, opts.Changes = logging.URL+"/", 24*time.Hour
	inv, err := Collect(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range inv.Coverage {
		if c.Source == inventory.AuditChanges {
			found = true
			if c.Status != inventory.StatusError || !strings.Contains(c.Hint, "grant roles/logging.viewer") {
				t.Errorf("coverage %+v", c)
			}
		}
	}
	if !found {
		t.Error("no coverage entry for the refused read")
	}
	if inv.Changes != nil {
		t.Error("changes from a refused read")
	}
}
