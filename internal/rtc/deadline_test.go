package rtc

import (
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

// TestIdleDeadlineNeverFiresWhilePacketsFlow: a sender at 50 packets a
// second keeps the reader's deadline ahead of every packet, re-armed at most
// every other packet, and a quiet sender is still woken within a tick.
func TestIdleDeadlineNeverFiresWhilePacketsFlow(t *testing.T) {
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	var d idleDeadline
	d.arm(start)
	const packets = 500
	arms := 0
	now := start
	for i := 1; i <= packets; i++ {
		now = start.Add(time.Duration(i) * 20 * time.Millisecond)
		if !d.at.After(now) {
			t.Fatalf("packet %d at +%v: the deadline (+%v) had already fired", i, now.Sub(start), d.at.Sub(start))
		}
		if d.due(now) {
			d.arm(now)
			arms++
		}
	}
	if arms > packets/2 {
		t.Errorf("%d re-arms for %d packets, want at most one every other packet", arms, packets)
	}
	if wait := d.at.Sub(now); wait <= 0 || wait > media.IdleTick {
		t.Errorf("after the last packet the deadline is %v away, want within (0, %v]", wait, media.IdleTick)
	}
}
