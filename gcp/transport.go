package gcp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lbdiag/lbdiag/gcp/recording"
)

// ErrWriteRefused is returned for any request that could change state.
var ErrWriteRefused = errors.New("lbdiag is read-only: request refused")

// readOnlyPOSTs are the POST methods that only read: Compute Engine's
// getHealth and listNetworkEndpoints, Cloud Logging's entries.list.
var readOnlyPOSTs = []string{"/getHealth", "/listNetworkEndpoints", "/v2/entries:list"}

// ReadOnly returns a RoundTripper that refuses every request but GET, and
// POST to the read-only getHealth, listNetworkEndpoints and entries.list
// methods. Every
// transport lbdiag builds starts with it, live or replayed.
func ReadOnly(next http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if !readOnlyRequest(req) {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, fmt.Errorf("%w: %s %s", ErrWriteRefused, req.Method, req.URL.Path)
		}
		return next.RoundTrip(req)
	})
}

func readOnlyRequest(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet:
		return true
	case http.MethodPost:
		for _, suffix := range readOnlyPOSTs {
			if strings.HasSuffix(req.URL.Path, suffix) {
				return true
			}
		}
	}
	return false
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// RetryPolicy bounds retries of one API call.
type RetryPolicy struct {
	// MaxAttempts is the number of tries, the first included.
	MaxAttempts int
	// BaseDelay is the first backoff for server and transport errors;
	// RateLimitDelay the first for quota errors. Each retry doubles it, up
	// to MaxDelay, with jitter.
	BaseDelay      time.Duration
	RateLimitDelay time.Duration
	MaxDelay       time.Duration
	// AttemptTimeout bounds one try, body included.
	AttemptTimeout time.Duration
}

// DefaultRetryPolicy is the policy of the CLI.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:    5,
	BaseDelay:      250 * time.Millisecond,
	RateLimitDelay: time.Second,
	MaxDelay:       30 * time.Second,
	AttemptTimeout: 60 * time.Second,
}

// Retry returns a RoundTripper that retries 429, 500, 502, 503, 504,
// quota errors (403 rateLimitExceeded and the like) and transport errors
// with exponential backoff and jitter, honouring Retry-After. It reads
// each answer's body whole inside the try, so that a connection reset in
// the middle of a body is retried like one before the headers (every
// request lbdiag sends is a read, safe to repeat). It gives up after
// MaxAttempts or when the request's context ends. A limiter, if not nil, is
// waited on before every try, and told to slow down when the API says its
// quota is exhausted.
func Retry(next http.RoundTripper, p RetryPolicy, limiter *Limiter) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		ctx := req.Context()
		var body []byte
		if req.Body != nil && req.Body != http.NoBody {
			b, err := io.ReadAll(req.Body)
			req.Body.Close()
			if err != nil {
				return nil, fmt.Errorf("reading request body: %w", err)
			}
			body = b
		}
		for attempt := 1; ; attempt++ {
			release := func() {}
			try := req
			if limiter != nil {
				start := time.Now()
				r, err := limiter.Acquire(ctx)
				if err != nil {
					return nil, err
				}
				release = r
				try = req.WithContext(recording.WithWait(ctx, time.Since(start)))
			}
			resp, err := tryOnce(next, try, body, p.AttemptTimeout)
			release()
			delay, retry := retryDelay(p, attempt, resp, err)
			if err != nil && noTransportRetry(ctx) {
				retry = false
			}
			if limiter != nil && isQuotaAnswer(resp) {
				limiter.SlowDown()
			}
			if !retry || attempt >= p.MaxAttempts || ctx.Err() != nil {
				if err != nil && attempt > 1 {
					err = &retriedError{attempts: attempt, err: err}
				}
				return resp, err
			}
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
				// Waiting would outlive the run: answer with what we have.
				if err != nil {
					return nil, err
				}
				return resp, nil
			}
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
		}
	})
}

type transportRetryKey struct{}

// withoutTransportRetry marks a request whose transport errors are not
// retried: a path to a cluster that does not connect is left for the next
// path, not dialled again.
func withoutTransportRetry(ctx context.Context) context.Context {
	return context.WithValue(ctx, transportRetryKey{}, true)
}

func noTransportRetry(ctx context.Context) bool {
	v, _ := ctx.Value(transportRetryKey{}).(bool)
	return v
}

// retriedError is a transport error that persisted over several tries.
type retriedError struct {
	attempts int
	err      error
}

func (e *retriedError) Error() string {
	return fmt.Sprintf("%v (after %d tries)", e.err, e.attempts)
}
func (e *retriedError) Unwrap() error { return e.err }

// bodyReadError is a failure while reading an answer's body: the
// connection broke after the headers arrived.
type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string { return "reading the answer: " + e.err.Error() }
func (e *bodyReadError) Unwrap() error { return e.err }

// tryOnce sends one try and reads its whole answer within timeout.
func tryOnce(next http.RoundTripper, req *http.Request, body []byte, timeout time.Duration) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(req.Context(), timeout)
	}
	defer cancel()
	r := req.Clone(ctx)
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	resp, err := next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b, err := recording.ReadBody(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, &bodyReadError{err: err}
	}
	resp.Body = recording.NewAnswerBody(b)
	resp.ContentLength = int64(len(b))
	return resp, nil
}

// isQuotaAnswer reports whether the API said its quota is exhausted.
func isQuotaAnswer(resp *http.Response) bool {
	return resp != nil && (resp.StatusCode == http.StatusTooManyRequests || (resp.StatusCode == http.StatusForbidden && isRateLimitBody(resp)))
}

// retryDelay decides whether a try should be repeated and after how long.
func retryDelay(p RetryPolicy, attempt int, resp *http.Response, err error) (time.Duration, bool) {
	base := p.BaseDelay
	switch {
	case err != nil:
		if !retryableTransportError(err) {
			return 0, false
		}
	case resp.StatusCode == http.StatusTooManyRequests:
		base = p.RateLimitDelay
	case resp.StatusCode == http.StatusInternalServerError, resp.StatusCode == http.StatusBadGateway,
		resp.StatusCode == http.StatusServiceUnavailable, resp.StatusCode == http.StatusGatewayTimeout:
	case resp.StatusCode == http.StatusForbidden && isRateLimitBody(resp):
		base = p.RateLimitDelay
	default:
		return 0, false
	}
	if resp != nil {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After")); ok {
			return min(d, p.MaxDelay), true
		}
	}
	d := base << (attempt - 1)
	if d > p.MaxDelay || d <= 0 {
		d = p.MaxDelay
	}
	// Equal jitter: half fixed, half random.
	return d/2 + rand.N(d/2+1), true
}

func retryableTransportError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, ErrWriteRefused) {
		return false
	}
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var certInvalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var replayed *recording.ReplayedError
	switch {
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &certInvalid),
		errors.As(err, &verify), errors.As(err, &replayed):
		return false
	}
	return true
}

// isRateLimitBody peeks at a 403 body for a quota reason, leaving the body
// readable.
func isRateLimitBody(resp *http.Response) bool {
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return false
	}
	var ge struct {
		Error struct {
			Status string `json:"status"`
			Errors []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &ge) != nil {
		return false
	}
	if ge.Error.Status == "RESOURCE_EXHAUSTED" {
		return true
	}
	for _, e := range ge.Error.Errors {
		switch e.Reason {
		case "rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded":
			return true
		}
	}
	return false
}

func parseRetryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}
