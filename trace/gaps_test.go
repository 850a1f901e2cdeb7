package trace

import (
	"strings"
	"testing"

	"github.com/lbdiag/lbdiag/inventory"
)

// TestGapsAreSanitized: a gap quotes what an API or an error said; a
// trace prints it escaped, with credentials scrubbed.
func TestGapsAreSanitized(t *testing.T) {
	t.Parallel()
	inv := &inventory.Inventory{Project: "p", Coverage: inventory.CoverageSet{{Source: inventory.ComputeBackendServices, Scope: inventory.ProjectScope("p"),
		Status: inventory.StatusError, Error: "googleapi: \x1b[31mdenied\x1b[0m Bearer ya29.s3cret-token"}}}
	gaps := gapsOf(inv, nil, nil)
	if len(gaps) != 1 || strings.ContainsAny(gaps[0].Error, "\x1b") || strings.Contains(gaps[0].Error, "s3cret") {
		t.Errorf("gaps %+v", gaps)
	}
}
