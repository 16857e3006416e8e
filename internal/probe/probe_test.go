package probe

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCached(t *testing.T) {
	var checks atomic.Int32
	var down atomic.Bool
	release := make(chan struct{})
	c := New(func(ctx context.Context) error {
		checks.Add(1)
		<-release
		if down.Load() {
			return errors.New("down")
		}
		return nil
	}, time.Second, nil)

	// A hundred callers at once share one check.
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Go(func() { errs <- c.Result(context.Background(), time.Now().Add(-time.Second)) })
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := checks.Load(); n != 1 {
		t.Fatalf("%d checks for 100 callers at once, want 1", n)
	}
	// Within the interval: the cached result, no check.
	down.Store(true)
	if err := c.Result(context.Background(), time.Now().Add(-time.Second)); err != nil || checks.Load() != 1 {
		t.Fatalf("within the interval: %v after %d checks, want the cached ok", err, checks.Load())
	}
	// Asking for a result newer than the last check: a new check.
	if err := c.Result(context.Background(), time.Now()); err == nil || checks.Load() != 2 {
		t.Fatalf("a fresh result: %v after %d checks, want down after 2", err, checks.Load())
	}
}

func TestCachedTimeout(t *testing.T) {
	c := New(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, 100*time.Millisecond, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := c.Result(ctx, time.Now()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a caller's own deadline: %v", err)
	}
	if err := c.Result(context.Background(), time.Now().Add(-time.Hour)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a check that hangs: %v, want its timeout", err)
	}
}
