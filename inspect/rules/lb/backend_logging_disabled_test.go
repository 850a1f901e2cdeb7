package lb

import (
	"testing"

	compute "google.golang.org/api/compute/v1"
)

func TestBackendLoggingDisabled(t *testing.T) {
	t.Parallel()
	runServingCases(t, BackendLoggingDisabled, []servingCase{
		{name: "logging off", groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY")}, want: "logging"},
		{name: "logging on", logging: true, groups: map[string]*compute.BackendServiceGroupHealth{"europe-west1-b": health("HEALTHY")}},
	})
}
