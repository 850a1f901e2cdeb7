package inventory

import "testing"

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
