package inventory

import (
	"strings"
	"testing"
)

func TestKnown(t *testing.T) {
	t.Parallel()
	cs := CoverageSet{
		{Source: ComputeSubnetworks, Scope: "projects/a", Status: StatusOK},
		{Source: KubeGateways, Scope: "projects/a/locations/l/clusters/c", Status: StatusNotInstalled},
		{Source: ComputeFirewalls, Scope: "projects/a", Status: StatusOK},
		{Source: ComputeFirewalls, Scope: "projects/a", Status: StatusError},
	}
	tests := []struct {
		src   Source
		scope string
		want  bool
	}{
		{ComputeSubnetworks, "projects/a", true},
		{KubeGateways, "projects/a/locations/l/clusters/c", true}, // not installed: nothing of that kind exists
		{ComputeFirewalls, "projects/a", false},                   // one failed read spoils the scope
		{ComputeSubnetworks, "projects/b", false},                 // never attempted
	}
	for _, tc := range tests {
		if got := cs.Known(tc.src, tc.scope); got != tc.want {
			t.Errorf("Known(%s, %s) = %v, want %v", tc.src, tc.scope, got, tc.want)
		}
	}
	if g := cs.Gaps(); len(g) != 1 || g[0].Source != ComputeFirewalls {
		t.Errorf("Gaps = %+v", g)
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"us-central1-a": "us-central1", "europe-west1": "europe-west1", "asia-northeast1-c": "asia-northeast1"} {
		if got := RegionOfLocation(in); got != want {
			t.Errorf("RegionOfLocation(%s) = %s", in, got)
		}
	}
	full := "https://www.googleapis.com/compute/v1/projects/host/global/networks/shared"
	if !SameResource(full, "projects/host/global/networks/shared") || SameResource("", "") || ProjectOf(full) != "host" || LastSegment(full) != "shared" {
		t.Error("resource name helpers disagree")
	}
	if !SameResource("https://compute.googleapis.com/compute/beta/projects/host/global/networks/shared", full) {
		t.Error("API host and version must not matter")
	}
}

// TestKnownResource: a collection listed whole knows every object of it;
// one a trace read by name (partial) knows only the objects it got, 404s
// included, and is complete without being a gap.
func TestKnownResource(t *testing.T) {
	t.Parallel()
	const base = "https://www.googleapis.com/compute/v1/"
	inv := &Inventory{Project: "a", Partial: true, Coverage: CoverageSet{
		{Source: ComputeURLMaps, Scope: "projects/a", Status: StatusOK},
		{Source: ComputeBackendServices, Scope: "projects/a", Status: StatusPartial},
		{Source: ComputeBackendServices, Scope: "projects/a/global/backendServices/read", Status: StatusOK},
		{Source: ComputeBackendServices, Scope: "projects/a/global/backendServices/gone", Status: StatusOK, Detail: "not found"},
		{Source: ComputeBackendServices, Scope: "projects/a/global/backendServices/denied", Status: StatusError, Error: "403"},
	}}
	for url, want := range map[string]bool{
		base + "projects/a/global/urlMaps/any":             true,
		base + "projects/a/global/backendServices/read":    true,
		"projects/a/global/backendServices/gone":           true,
		base + "projects/a/global/backendServices/denied":  false,
		base + "projects/a/global/backendServices/unread":  false,
		base + "projects/b/global/backendServices/another": false,
	} {
		src := ComputeBackendServices
		if strings.Contains(url, "urlMaps") {
			src = ComputeURLMaps
		}
		if got := inv.KnownResource(src, url); got != want {
			t.Errorf("KnownResource(%s) = %v, want %v", url, got, want)
		}
	}
	if !inv.Known(ComputeBackendServices, "projects/a") {
		t.Error("a partial read is complete for the objects it read")
	}
	if g := inv.Coverage.Gaps(); len(g) != 1 || g[0].Scope != "projects/a/global/backendServices/denied" {
		t.Errorf("gaps: %+v", g)
	}
}

// TestRoutesOf: a route is the Gateway's when a parentRef names it as the
// Gateway API reads parentRefs: an empty namespace is the route's own, and
// a ref of another group or kind names something else.
func TestRoutesOf(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	route := func(name string, p ParentReference) HTTPRoute {
		var r HTTPRoute
		r.Namespace, r.Name = "shop", name
		r.Spec.ParentRefs = []ParentReference{p}
		return r
	}
	var gw Gateway
	gw.Namespace, gw.Name = "shop", "store"
	cl := &Cluster{HTTPRoutes: []HTTPRoute{
		route("default-ns", ParentReference{Name: "store"}),
		route("empty-ns", ParentReference{Name: "store", Namespace: str("")}),
		route("explicit", ParentReference{Name: "store", Namespace: str("shop"), Group: str(GatewayGroup), Kind: str("Gateway")}),
		route("other-ns", ParentReference{Name: "store", Namespace: str("infra")}),
		route("other-group", ParentReference{Name: "store", Group: str("example.io"), Kind: str("Gateway")}),
		route("a-service", ParentReference{Name: "store", Group: str(""), Kind: str("Service")}),
		route("other-name", ParentReference{Name: "shop"}),
	}}
	var got []string
	for _, r := range cl.RoutesOf(&gw) {
		got = append(got, r.Name)
	}
	if strings.Join(got, " ") != "default-ns empty-ns explicit" {
		t.Fatalf("routes of shop/store: %v", got)
	}
}
