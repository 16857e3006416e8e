package export

import (
	"time"

	"github.com/avatarweb/recorder/media"
)

// minGap is the shortest jump in a WebM's block timestamps taken for lost
// time: one 20 ms packet. Timestamps are rounded to the file's ticks
// (1 ms), and a browser stamping by its own clock drifts a little from
// the audio's: less than a packet is left as it is, not filled.
const minGap = media.OpusRate / 50

// maxGap is the longest jump filled with silence, as the live path's:
// a longer one is a broken or restarted stamp, not a pause.
const maxGap = media.OpusRate * 60 * 60

// timeline places a WebM's packets by their timestamps, as the live path
// places RTP packets: a block stamped later than the packets before it
// end (a browser that stalled, DTX) comes after a gap, which an export
// fills so it lasts as long as the take did. A block stamped early (an
// overlap) is kept, back to back.
type timeline struct {
	started bool
	origin  time.Duration // the first packet's timestamp
	pos     int64         // samples (48 kHz) placed so far, gaps included
}

// place returns how many samples of silence go before a packet of n
// samples stamped ts.
func (t *timeline) place(ts time.Duration, n int64) (gap int64) {
	if !t.started {
		t.started, t.origin = true, ts
	}
	at := int64(ts-t.origin) * media.OpusRate / int64(time.Second)
	if gap = at - t.pos; gap < minGap || gap > maxGap {
		gap = 0
	}
	t.pos += gap + n
	return gap
}
