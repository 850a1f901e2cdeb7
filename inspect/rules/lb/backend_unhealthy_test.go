package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"
)

func TestBackendUnhealthy(t *testing.T) {
	t.Parallel()
	runServingCases(t, BackendUnhealthy, []servingCase{
		{name: "all healthy", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY"), "europe-west1-c": health("HEALTHY", "UNHEALTHY")}},
		{name: "one zone down", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY"), "europe-west1-c": health("UNHEALTHY", "UNHEALTHY")},
			want: "no healthy endpoint in 1 of its 2 backend groups: k8s1-0123abcd-shop-web-80-9f8e7d6c (europe-west1-c: 0 of 2 endpoints healthy)"},
		{name: "empty zone is fine", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY"), "europe-west1-c": health()}},
		{name: "nothing anywhere", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health(), "europe-west1-c": health()}, want: "no endpoint at all"},
		{name: "health not read", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": nil, "europe-west1-c": nil}},
	})
}
