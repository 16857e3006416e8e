package webm_test

import (
	"testing"
	"time"

	"github.com/avatarweb/recorder/media/webm"
)

// A Timeline places packets by their timestamps: back to back as long as
// the stamps follow the audio (a few ms of clock drift included), after a
// gap of silence where they jump a packet or more ahead, back to back
// again where they overlap or jump absurdly far.
func TestTimeline(t *testing.T) {
	ms := time.Millisecond
	var tl webm.Timeline
	for i, tc := range []struct {
		at        time.Duration
		n, gap    int64
		wantPlace int64 // Placed after it
	}{
		{1000 * ms, 960, 0, 960},     // the first packet is the origin
		{1020 * ms, 960, 0, 1920},    // on time
		{1059 * ms, 960, 0, 2880},    // 19 ms late: drift, not a gap
		{1120 * ms, 960, 2880, 6720}, // 60 ms after the audio placed ends: a gap
		{1100 * ms, 960, 0, 7680},    // an overlap: kept, back to back
		{1200 * ms, 2880, 1920, 12480},
		{3 * time.Hour, 960, 0, 13440}, // a broken stamp: not hours of silence
	} {
		if gap := tl.Place(tc.at, tc.n); gap != tc.gap || tl.Placed() != tc.wantPlace {
			t.Errorf("packet %d at %v: gap %d, placed %d; want %d and %d", i, tc.at, gap, tl.Placed(), tc.gap, tc.wantPlace)
		}
	}
}
