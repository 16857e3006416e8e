package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestUnreachableIndexIs503: a request that fails because the index (or
// the recording store) has gone away was a bare "500 internal error";
// while the check the server shares (Reachable) says they do not answer,
// it is 503 saying so, with Retry-After, in the form the client asked for.
// A failure while both answer stays a 500.
func TestUnreachableIndexIs503(t *testing.T) {
	var down atomic.Bool
	var checks atomic.Int32
	ta, _ := newFakeAppWith(t, func(o *appOptions) {
		o.reachable = func(ctx context.Context, since time.Time) error {
			checks.Add(1)
			if since.IsZero() || time.Since(since) > time.Minute {
				t.Errorf("asked for a check since %v, want the request's start", since)
			}
			if down.Load() {
				return errors.New("database: failed to connect: connection refused")
			}
			return nil
		}
	})
	if err := ta.db.Close(); err != nil { // every query fails from now on
		t.Fatal(err)
	}
	ta.do(t, http.MethodGet, "/recordings", "").wantError(t, http.StatusInternalServerError, "internal error")

	down.Store(true)
	res := ta.do(t, http.MethodGet, "/recordings", "")
	res.wantError(t, http.StatusServiceUnavailable, "the recording store is unreachable; nothing was lost, try again")
	if res.header.Get("Retry-After") == "" {
		t.Error("no Retry-After on the 503")
	}
	page := ta.do(t, http.MethodGet, "/", "", "Accept", "text/html")
	page.wantStatus(t, http.StatusServiceUnavailable)
	if !strings.Contains(string(page.body), "The recording store is unreachable; nothing was lost, try again.") {
		t.Errorf("the page says:\n%s", page.body)
	}
	if checks.Load() != 3 {
		t.Errorf("%d checks for 3 failed requests", checks.Load())
	}
}
