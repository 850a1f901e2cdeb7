package gcp

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inventory"
)

// recordingOf builds a recording from (exchange, body) pairs.
func recordingOf(t *testing.T, project string, pairs map[recording.Exchange]string) *recording.Recording {
	t.Helper()
	fs := fstest.MapFS{}
	m := recording.Manifest{Format: recording.Format, FormatVersion: recording.FormatVersion, Project: project}
	i := 0
	for ex, body := range pairs {
		i++
		ex.File = "b/" + strings.ReplaceAll(ex.Path, "/", "_") + string(rune('a'+i)) + ".json"
		fs[ex.File] = &fstest.MapFile{Data: []byte(body)}
		m.Exchanges = append(m.Exchanges, ex)
	}
	b, _ := json.Marshal(m)
	fs[recording.ManifestName] = &fstest.MapFile{Data: b}
	rec, err := recording.Load(fs)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func get(api, path, query string, status int) recording.Exchange {
	return recording.Exchange{API: api, Method: "GET", Path: path, Query: query, Status: status}
}

// TestCollectSharedVPCAndGaps replays a service project whose cluster's VPC
// lives in a host project, with a missing zone, a stopped cluster, a CRD
// that is not installed and a Kubernetes list that is forbidden.
func TestCollectSharedVPCAndGaps(t *testing.T) {
	t.Parallel()
	const svc, host = "acme-svc", "acme-host"
	clusters := `{"clusters":[
	  {"name":"apps","location":"us-central1","endpoint":"10.0.0.2","status":"RUNNING",
	   "networkConfig":{"network":"projects/acme-host/global/networks/shared","subnetwork":"projects/acme-host/regions/us-central1/subnetworks/apps"}},
	  {"name":"old","location":"us-central1-b","status":"STOPPING",
	   "networkConfig":{"network":"projects/acme-host/global/networks/shared"}}],
	 "missingZones":["asia-east1-a"]}`
	hostSubnets := `{"kind":"compute#subnetworkAggregatedList","items":{"regions/us-central1":{"subnetworks":[
	  {"kind":"compute#subnetwork","name":"apps","ipCidrRange":"10.0.0.0/20","purpose":"PRIVATE",
	   "network":"https://www.googleapis.com/compute/v1/projects/acme-host/global/networks/shared",
	   "region":"https://www.googleapis.com/compute/v1/projects/acme-host/regions/us-central1",
	   "selfLink":"https://www.googleapis.com/compute/v1/projects/acme-host/regions/us-central1/subnetworks/apps"}]}}}`
	forbidden := `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"deployments.apps is forbidden: User \"lbdiag@acme-svc.iam.gserviceaccount.com\" cannot list resource \"deployments\" in API group \"apps\" at the cluster scope","reason":"Forbidden","code":403}`
	notFound := `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","code":404}`
	pairs := map[recording.Exchange]string{
		get("container", "/v1/projects/acme-svc/locations/-/clusters", "", 200):                        clusters,
		get("compute", "/compute/v1/projects/acme-host/aggregated/subnetworks", "maxResults=500", 200): hostSubnets,
		get("compute", "/compute/v1/projects/acme-host/global/firewalls", "maxResults=500", 200):       `{"kind":"compute#firewallList","items":[]}`,
	}
	k := recording.KubeAPI("us-central1", "apps")
	for _, r := range kubeResources {
		path := "/apis/" + r.gvr.Group + "/" + r.gvr.Version + "/" + r.gvr.Resource
		if r.gvr.Group == "" {
			path = "/api/" + r.gvr.Version + "/" + r.gvr.Resource
		}
		switch {
		case r.source == inventory.KubeDeployments:
			pairs[get(k, path, "limit=500", 403)] = forbidden
		case r.source == inventory.KubeGCPGatewayPolicies:
			pairs[get(k, path, "limit=500", 404)] = notFound
		case len(r.fieldSelectors) > 0:
			for _, sel := range r.fieldSelectors {
				pairs[get(k, path, "fieldSelector="+strings.ReplaceAll(sel, "=", "%3D")+"&limit=500", 200)] = `{"kind":"EventList","apiVersion":"v1","metadata":{},"items":[]}`
			}
		default:
			pairs[get(k, path, "limit=500", 200)] = `{"kind":"List","apiVersion":"v1","metadata":{},"items":[]}`
		}
	}
	inv, err := Collect(context.Background(), Options{Project: svc, Replay: recordingOf(t, svc, pairs)})
	if err != nil {
		t.Fatal(err)
	}
	status := func(src inventory.Source, scope string) inventory.Status {
		for _, c := range inv.Coverage {
			if c.Source == src && c.Scope == scope {
				return c.Status
			}
		}
		return ""
	}
	hostScope := inventory.ProjectScope(host)
	apps := inventory.ClusterScope(svc, "us-central1", "apps")
	old := inventory.ClusterScope(svc, "us-central1-b", "old")
	checks := []struct {
		src   inventory.Source
		scope string
		want  inventory.Status
	}{
		{inventory.ComputeSubnetworks, hostScope, inventory.StatusOK},
		{inventory.ComputeFirewalls, hostScope, inventory.StatusOK},
		{inventory.ComputeBackendServices, hostScope, ""}, // only subnetworks and firewalls come from the host
		{inventory.ComputeSubnetworks, inventory.ProjectScope(svc), inventory.StatusError},
		{inventory.GKEClusters, inventory.ProjectScope(svc), inventory.StatusOK},
		{inventory.GKEClusters, inventory.ProjectScope(svc) + "/locations/asia-east1-a", inventory.StatusError},
		{inventory.KubeAPI, apps, inventory.StatusOK},
		{inventory.KubeDeployments, apps, inventory.StatusError},
		{inventory.KubeGCPGatewayPolicies, apps, inventory.StatusNotInstalled},
		{inventory.KubeServices, apps, inventory.StatusOK},
		{inventory.KubeEvents, apps, inventory.StatusOK},
		// A cluster that is not running could not be read: a gap.
		{inventory.KubeAPI, old, inventory.StatusError},
	}
	for _, c := range checks {
		if got := status(c.src, c.scope); got != c.want {
			t.Errorf("%s in %s: %q, want %q", c.src, c.scope, got, c.want)
		}
	}
	if len(inv.Compute.Subnetworks) != 1 || inv.Compute.Subnetworks[0].Name != "apps" {
		t.Errorf("host subnetworks = %v", inv.Compute.Subnetworks)
	}
	if !inv.Known(inventory.ComputeSubnetworks, hostScope) || inv.Known(inventory.KubeDeployments, apps) || !inv.Known(inventory.KubeGCPGatewayPolicies, apps) {
		t.Error("Known disagrees with the coverage")
	}
	for _, c := range inv.Coverage {
		if c.Source == inventory.KubeDeployments && !strings.Contains(c.Hint, "grant RBAC list on deployments.apps in all namespaces") {
			t.Errorf("forbidden hint = %q", c.Hint)
		}
	}
}
