package webm

import (
	"time"

	"github.com/avatarweb/recorder/media"
)

// MinGap is the shortest jump in a WebM's block timestamps taken for lost
// time: one 20 ms packet, in samples at 48 kHz. Timestamps are rounded to
// the file's ticks (1 ms), and a browser stamping by its own clock drifts
// a little from the audio's: less than a packet is left as it is, not
// filled.
const MinGap = media.OpusRate / 50

// MaxGap is the longest jump filled with silence, as the live path's: a
// longer one is a broken or restarted stamp, not a pause.
const MaxGap = media.OpusRate * 60 * 60

// Timeline places a WebM's Opus packets by their timestamps, as the live
// path places RTP packets: a block stamped later than the packets before
// it end (a browser that stalled, DTX) comes after a gap, which an export
// fills and a waveform leaves flat, so each lasts as long as the take
// did. A block stamped early (an overlap) is kept, back to back. The zero
// Timeline is ready to use.
type Timeline struct {
	started bool
	origin  time.Duration // the first packet's timestamp
	pos     int64         // samples (48 kHz) placed so far, gaps included
}

// Place returns how many samples (48 kHz) of silence go before a packet
// of n samples stamped ts, and counts both as placed.
func (t *Timeline) Place(ts time.Duration, n int64) (gap int64) {
	if !t.started {
		t.started, t.origin = true, ts
	}
	at := int64(ts-t.origin) * media.OpusRate / int64(time.Second)
	if gap = at - t.pos; gap < MinGap || gap > MaxGap {
		gap = 0
	}
	t.pos += gap + n
	return gap
}

// Placed is how many samples (48 kHz) have been placed, gaps included:
// where the next packet starts if it follows without a gap.
func (t *Timeline) Placed() int64 { return t.pos }
