package network

import (
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
)

func TestStaticIPMissing(t *testing.T) {
	t.Parallel()
	runStaticIPCases(t, StaticIPMissing, []staticIPCase{
		{name: "global address exists", ann: map[string]string{gke.AnnGlobalStaticIP: "web-ip"}, addrs: []*compute.Address{ruletest.Address("web-ip", "", "RESERVED")}},
		{name: "only a regional address", ann: map[string]string{gke.AnnGlobalStaticIP: "web-ip"}, addrs: []*compute.Address{ruletest.Address("web-ip", "europe-west1", "RESERVED")},
			want: []string{"a regional address of that name exists in europe-west1"}},
		{name: "regional address in the cluster region", class: "gce-internal", ann: map[string]string{gke.AnnRegionalIP: "ilb-ip"}, addrs: []*compute.Address{ruletest.Address("ilb-ip", "europe-west1", "RESERVED")}},
		{name: "regional address elsewhere", class: "gce-internal", ann: map[string]string{gke.AnnRegionalIP: "ilb-ip"}, addrs: []*compute.Address{ruletest.Address("ilb-ip", "us-east1", "RESERVED")},
			want: []string{"no address of that name in region europe-west1"}},
	})
}
