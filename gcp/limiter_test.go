package gcp

import (
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/gcp/recording"
)

// TestDefaultRateStaysUnderTheReadQuota: a client that sends as fast as
// the default limiter lets it, for three simulated minutes, never sends
// more than 1,400 requests in any 60 seconds (Compute Engine's default
// read quota is about 1,500 a minute), and sends its first 500 at once.
func TestDefaultRateStaysUnderTheReadQuota(t *testing.T) {
	t.Parallel()
	if BurstFor(DefaultMaxQPS) != DefaultBurst {
		t.Errorf("BurstFor(%d) = %d, DefaultBurst %d", DefaultMaxQPS, BurstFor(DefaultMaxQPS), DefaultBurst)
	}
	for _, qps := range []float64{0, 5, 40} { // 0: the default
		// The limiter a run gives Compute Engine, driven on a simulated
		// clock.
		lim := newCollector(Options{MaxQPS: qps}).limiter(recording.APICompute).rate
		if qps == 0 {
			qps = DefaultMaxQPS
		}
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var sent []time.Duration
		for at := time.Duration(0); at < 3*time.Minute; at += time.Millisecond {
			for lim.AllowN(start.Add(at), 1) {
				sent = append(sent, at)
			}
		}
		most, first := 0, 0
		for i, j := 0, 0; i < len(sent); i++ {
			for sent[i]-sent[j] >= time.Minute {
				j++
			}
			most = max(most, i-j+1)
			if sent[i] == 0 {
				first++
			}
		}
		// A third of a minute's worth up front, then a minute of the rate.
		if limit := int(qps*(100.0/3+60) + 1); most > limit {
			t.Errorf("%g a second: %d requests in one minute, more than %d", qps, most, limit)
		}
		if qps == DefaultMaxQPS {
			if most > 1400 {
				t.Errorf("the default sends %d requests in one minute, more than 1,400", most)
			}
			if first != DefaultBurst {
				t.Errorf("the default sends %d requests at once, want its burst of %d", first, DefaultBurst)
			}
		}
	}
}
