package inventory

import (
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/container/apiv1/containerpb"
)

// TestLocationOfAgreesWithSplitting: LocationOf and RegionOfLocation,
// which scan without allocating, give what splitting the text gives, on
// real URLs and on every odd shape of one.
func TestLocationOfAgreesWithSplitting(t *testing.T) {
	t.Parallel()
	locationBySplit := func(url string) string {
		parts := strings.Split(RelativeName(url), "/")
		for i := 0; i+1 < len(parts); i++ {
			if parts[i] == "zones" || parts[i] == "regions" {
				return parts[i+1]
			}
		}
		return ""
	}
	regionBySplit := func(loc string) string {
		parts := strings.Split(loc, "-")
		if len(parts) == 3 && len(parts[2]) == 1 {
			return parts[0] + "-" + parts[1]
		}
		return loc
	}
	urls := []string{
		"https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a/networkEndpointGroups/k8s1-neg",
		"https://compute.googleapis.com/compute/v1/projects/p/regions/europe-west1/backendServices/bs",
		"projects/p/global/backendServices/bs", "projects/p/zones/us-central1-a", "projects/p/zones/", "projects/p/zones",
		"zones/regions/x", "regions", "", "/", "//", "zones/", "a/zones//b", "projects/p/regions/r/zones/z/x",
		"https://www.googleapis.com/compute/beta/projects/p/zones/asia-east1-b/instanceGroups/ig",
	}
	parts := []string{"projects", "p", "zones", "regions", "global", "us-central1-a", "", "x"}
	for _, a := range parts {
		for _, b := range parts {
			for _, c := range parts {
				urls = append(urls, a+"/"+b+"/"+c, a+"/"+b+"/"+c+"/", "/"+a+"/"+b+"/"+c)
			}
		}
	}
	for _, u := range urls {
		if got, want := LocationOf(u), locationBySplit(u); got != want {
			t.Errorf("LocationOf(%q) = %q, splitting gives %q", u, got, want)
		}
	}
	locs := []string{"us-central1-a", "us-central1", "europe-west1-b", "asia-east1-bc", "a-b-c", "a-b-", "-b-c", "--", "-", "", "a", "a-b-c-d", "us-central1-a-", "global"}
	for _, l := range locs {
		if got, want := RegionOfLocation(l), regionBySplit(l); got != want {
			t.Errorf("RegionOfLocation(%q) = %q, splitting gives %q", l, got, want)
		}
	}
}

// TestClusterScopeFollowsTheCluster: the scope is built once, on any
// goroutine, and again when the cluster's project, location or name
// changes.
func TestClusterScopeFollowsTheCluster(t *testing.T) {
	t.Parallel()
	cl := &Cluster{Project: "p", Info: &containerpb.Cluster{Name: "c", Location: "us-central1"}}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got := cl.Scope(); got != "projects/p/locations/us-central1/clusters/c" {
				t.Errorf("Scope = %q", got)
			}
		})
	}
	wg.Wait()
	cl.Project = "q"
	if got := cl.Scope(); got != "projects/q/locations/us-central1/clusters/c" {
		t.Errorf("after the project changed: %q", got)
	}
	cl.Info.Location, cl.Info.Name = "europe-west1-b", "d"
	if got := cl.Scope(); got != "projects/q/locations/europe-west1-b/clusters/d" {
		t.Errorf("after the location and name changed: %q", got)
	}
}
