package export

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/avatarweb/recorder/media"
)

// Slots bounds how many conversions run at once. Each is a burst of one
// core's work (an hour exported is 10–22 s of it, docs/formats.md): more
// at once than there are cores only slows every one of them down, and a
// crowd of downloads would take the cores the live sessions decode on.
// A conversion beyond the bound waits a little for a slot, then is
// refused as busy (media.ErrBusy: 503, try again).
type Slots struct {
	free chan struct{}
	wait time.Duration
}

// NewSlots lets n conversions run at once (at least one), a further one
// wait up to wait for a slot.
func NewSlots(n int, wait time.Duration) *Slots {
	return &Slots{free: make(chan struct{}, max(n, 1)), wait: wait}
}

// Take waits for a slot, up to the Slots' wait or ctx's end, and returns
// the function that gives it back (once, whatever it is called). A nil
// Slots bounds nothing.
func (s *Slots) Take(ctx context.Context) (release func(), err error) {
	if s == nil {
		return func() {}, nil
	}
	select {
	case s.free <- struct{}{}:
		return s.release(), nil
	default:
	}
	t := time.NewTimer(s.wait)
	defer t.Stop()
	select {
	case s.free <- struct{}{}:
		return s.release(), nil
	case <-t.C:
		return nil, &media.Error{Kind: media.ErrBusy,
			Message: fmt.Sprintf("the server is busy converting other recordings (%d at once at most); try again in a few seconds", cap(s.free))}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Slots) release() func() {
	return sync.OnceFunc(func() { <-s.free })
}
