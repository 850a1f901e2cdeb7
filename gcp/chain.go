package gcp

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/option"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inventory"
)

// kubeMaxAttempts bounds the tries of one Kubernetes API call.
const kubeMaxAttempts = 3

// clientOptions configures a Google API client: endpoint and lbdiag's HTTP
// client, which carries authentication, so the library's own credential
// lookup never runs.
func (c *collector) clientOptions(api, endpoint, def string) []option.ClientOption {
	if endpoint == "" {
		endpoint = def
	}
	return []option.ClientOption{
		option.WithEndpoint(endpoint),
		option.WithHTTPClient(&http.Client{Transport: c.transport(api, c.base)}),
		option.WithUserAgent(c.userAgent()),
	}
}

// transport builds the chain every request of api goes through:
// ReadOnly → redaction → recorder → retry (with rate limit) → call log →
// OAuth2 → base; in replay, ReadOnly → redaction → recorder → call log →
// recording. The recorder keeps what the API answered; the collectors
// decode the redacted answer, so that the rules, the reports and an
// evidence bundle all see the same data.
func (c *collector) transport(api string, base http.RoundTripper) http.RoundTripper {
	return c.kubeTransport(api, base, true)
}

// kubeTransport is transport with lbdiag's Google token or without it
// (a kubeconfig's context authenticates itself).
func (c *collector) kubeTransport(api string, base http.RoundTripper, token bool) http.RoundTripper {
	var rt http.RoundTripper
	if c.opts.Replay != nil {
		rt = c.opts.Replay.Transport(api)
		if c.opts.CallLog != nil {
			rt = c.opts.CallLog.Wrap(api, rt)
		}
	} else {
		rt = base
		if c.tokens != nil && token {
			rt = &oauth2.Transport{Source: c.tokens, Base: rt}
		}
		if c.opts.CallLog != nil {
			rt = c.opts.CallLog.Wrap(api, rt)
		}
		policy := c.opts.Retry
		if strings.HasPrefix(api, "kubernetes/") && policy.MaxAttempts > kubeMaxAttempts {
			// A cluster endpoint that does not answer (a private cluster
			// seen from outside its VPC) is not worth five dial timeouts.
			policy.MaxAttempts = kubeMaxAttempts
		}
		rt = Retry(rt, policy, c.limiter(api))
	}
	if c.opts.Recorder != nil {
		rt = c.opts.Recorder.Wrap(api, rt)
	}
	return ReadOnly(RedactAnswers(rt))
}

func newBaseTransport() http.RoundTripper {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   DefaultConcurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
	}
}

// limiter returns the limiter of an API in this run's project: MaxQPS
// requests per second to Compute Engine and GKE (burst BurstFor(MaxQPS)),
// Concurrency calls in flight each; 50 a second to each cluster, with
// kubeConcurrency in flight.
func (c *collector) limiter(api string) *Limiter {
	c.lmu.Lock()
	defer c.lmu.Unlock()
	if l, ok := c.limiters[api]; ok {
		return l
	}
	qps := c.opts.MaxQPS
	if qps <= 0 {
		qps = DefaultMaxQPS
	}
	burst, inflight := BurstFor(qps), c.opts.concurrency()
	switch {
	case strings.HasPrefix(api, "kubernetes/"):
		qps, burst, inflight = 50, 50, c.opts.kubeConcurrency()
	case api == recording.APILogging:
		// Cloud Logging allows about 60 entries.list calls a minute.
		qps, burst = 1, 5
		if c.opts.LoggingQPS > 0 {
			qps = c.opts.LoggingQPS
		}
	}
	l := NewLimiter(qps, burst, inflight)
	c.limiters[api] = l
	return l
}

// LimiterWait is the coverage source that reports how long the run waited
// on its rate limiters.
const LimiterWait inventory.Source = "lbdiag.rateLimit"

// coverLimiters reports, per Google API, how long requests waited on the
// rate limiter and whether the API made lbdiag slow down.
func (c *collector) coverLimiters() {
	c.lmu.Lock()
	defer c.lmu.Unlock()
	for _, api := range []string{recording.APICompute, recording.APIContainer, recording.APILogging, recording.APICertificateManager} {
		l, ok := c.limiters[api]
		if !ok {
			continue
		}
		waited, qps, slowed := l.Stats()
		if waited < time.Second && slowed == 0 {
			continue
		}
		cov := inventory.Coverage{Source: LimiterWait, Scope: inventory.ProjectScope(c.opts.Project) + "/apis/" + api, Status: inventory.StatusOK,
			Detail: "requests waited " + waited.Round(time.Millisecond).String() + " in all on lbdiag's rate limit"}
		if slowed > 0 {
			cov.Detail += "; the API said its quota was exhausted, so lbdiag slowed down to " + formatQPS(qps) + " requests a second for the rest of the run"
		}
		c.coverage = append(c.coverage, cov)
	}
}

func formatQPS(q float64) string { return strconv.FormatFloat(q, 'g', 3, 64) }
