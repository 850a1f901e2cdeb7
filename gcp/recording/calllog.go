package recording

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// Call is one HTTP attempt of a run, as the call log of a bundle lists it.
// Retried requests appear once per attempt. No header is kept.
type Call struct {
	API        string  `json:"api"`
	Method     string  `json:"method"`
	URL        string  `json:"url"`
	Status     int     `json:"status,omitempty"`
	Error      string  `json:"error,omitempty"`
	DurationMs float64 `json:"durationMs"`
	Bytes      int64   `json:"bytes"`
	// WaitedMs is how long the attempt waited on lbdiag's rate limiter
	// before it was sent.
	WaitedMs float64 `json:"waitedMs,omitempty"`
}

type waitKey struct{}

// WithWait records in a request's context how long it waited on the rate
// limiter, for the call log.
func WithWait(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, waitKey{}, d)
}

// CallLog records every attempt sent through the transports it wraps.
type CallLog struct {
	mu    sync.Mutex
	calls []Call
}

// Wrap returns a RoundTripper that logs each request sent through next.
// The entry is completed when the response body is closed.
func (l *CallLog) Wrap(api string, next http.RoundTripper) http.RoundTripper {
	return callLogTransport{log: l, api: api, next: next}
}

// Calls returns the logged calls in the order they finished.
func (l *CallLog) Calls() []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Call(nil), l.calls...)
}

func (l *CallLog) add(c Call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
}

type callLogTransport struct {
	log  *CallLog
	api  string
	next http.RoundTripper
}

func (t callLogTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	u := *req.URL
	u.User = nil
	c := Call{API: t.api, Method: req.Method, URL: u.String()}
	if d, ok := req.Context().Value(waitKey{}).(time.Duration); ok {
		c.WaitedMs = ms(d)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		c.Error = err.Error()
		c.DurationMs = ms(time.Since(start))
		t.log.add(c)
		return nil, err
	}
	c.Status = resp.StatusCode
	resp.Body = &countingBody{ReadCloser: resp.Body, done: func(n int64) {
		c.Bytes, c.DurationMs = n, ms(time.Since(start))
		t.log.add(c)
	}}
	return resp, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

type countingBody struct {
	io.ReadCloser
	n      int64
	done   func(int64)
	closed bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *countingBody) Close() error {
	if !b.closed {
		b.closed = true
		b.done(b.n)
	}
	return b.ReadCloser.Close()
}
