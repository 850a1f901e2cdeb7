package gcp

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Limiter paces the requests of one API in one project and bounds how many
// are in flight. It slows down, for the rest of the run, when the API says
// its quota is exhausted, and it counts the time requests waited on it.
type Limiter struct {
	rate     *rate.Limiter
	inflight chan struct{}
	floor    rate.Limit

	waited   atomic.Int64 // nanoseconds spent waiting for a token
	mu       sync.Mutex
	slowDown int // times the rate was lowered
}

// NewLimiter returns a limiter of qps requests per second with the given
// burst, and at most inflight requests at once (0: no bound).
func NewLimiter(qps float64, burst, inflight int) *Limiter {
	l := &Limiter{rate: rate.NewLimiter(rate.Limit(qps), max(burst, 1)), floor: rate.Limit(min(qps, 1))}
	if inflight > 0 {
		l.inflight = make(chan struct{}, inflight)
	}
	return l
}

// Acquire waits for a token and a free slot. The returned release frees
// the slot; it must be called when the request's answer was read.
func (l *Limiter) Acquire(ctx context.Context) (release func(), err error) {
	start := time.Now()
	defer func() { l.waited.Add(int64(time.Since(start))) }()
	if l.inflight != nil {
		select {
		case l.inflight <- struct{}{}:
		case <-ctx.Done():
			return nil, &waitError{err: ctx.Err()}
		}
	}
	if err := l.rate.Wait(ctx); err != nil {
		if l.inflight != nil {
			<-l.inflight
		}
		// The limiter refuses at once a wait that would outlast the
		// deadline: that is the time budget running out too.
		if ctx.Err() == nil {
			err = context.DeadlineExceeded
		}
		return nil, &waitError{err: err}
	}
	if l.inflight == nil {
		return func() {}, nil
	}
	var once sync.Once
	return func() { once.Do(func() { <-l.inflight }) }, nil
}

// SlowDown halves the rate, down to one request per second, and keeps it
// there for the rest of the run: the API said its quota is exhausted.
func (l *Limiter) SlowDown() {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.rate.Limit() / 2
	if r < l.floor {
		r = l.floor
	}
	l.rate.SetLimit(r)
	l.rate.SetBurst(max(1, int(r)))
	l.slowDown++
}

// Stats returns how long requests waited for the limiter in all, its
// current rate, and how many times it slowed down.
func (l *Limiter) Stats() (waited time.Duration, qps float64, slowDowns int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Duration(l.waited.Load()), float64(l.rate.Limit()), l.slowDown
}

// waitError is a request that could not start: the run's time ran out (or
// it was interrupted) while it waited for the rate limiter.
type waitError struct{ err error }

func (e *waitError) Error() string {
	return "not sent: the time budget ran out while waiting for the rate limit (" + e.err.Error() + ")"
}
func (e *waitError) Unwrap() error { return e.err }
