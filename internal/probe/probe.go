// Package probe caches a health check, so that however often it is asked
// (a load balancer's probes, a flood of /readyz, every failing request
// wanting to know why) the thing checked sees at most one check at a time
// and one per interval: callers at once share the check under way.
package probe

import (
	"context"
	"sync"
	"time"
)

// Cached is one check and its last result. It is safe for concurrent use.
type Cached struct {
	check   func(context.Context) error
	timeout time.Duration
	now     func() time.Time

	mu      sync.Mutex
	started time.Time     // when the last finished check began
	err     error         // its result
	running chan struct{} // closed when the check under way ends; nil if none
	next    *result       // what that check will give
}

type result struct{ err error }

// New caches check, which is given timeout to answer (its context ends
// then); now is the clock (nil: time.Now).
func New(check func(context.Context) error, timeout time.Duration, now func() time.Time) *Cached {
	if now == nil {
		now = time.Now
	}
	return &Cached{check: check, timeout: timeout, now: now}
}

// Result returns the result of a check that began at notBefore or later:
// the last one if it did, else a new one (or the one under way, if it
// began late enough), waited for until ctx ends. Asking with
// now.Add(-interval) runs at most one check per interval.
func (c *Cached) Result(ctx context.Context, notBefore time.Time) error {
	c.mu.Lock()
	if !c.started.IsZero() && !c.started.Before(notBefore) {
		err := c.err
		c.mu.Unlock()
		return err
	}
	if c.running == nil {
		c.start()
	}
	running, next := c.running, c.next
	c.mu.Unlock()
	select {
	case <-running:
		return next.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// start runs a check in the background; c.mu is held.
func (c *Cached) start() {
	done := make(chan struct{})
	res := &result{}
	c.running, c.next = done, res
	began := c.now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		err := c.check(ctx)
		cancel()
		c.mu.Lock()
		res.err = err
		c.started, c.err = began, err
		c.running, c.next = nil, nil
		c.mu.Unlock()
		close(done)
	}()
}
