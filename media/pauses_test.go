package media

import (
	"errors"
	"slices"
	"testing"
	"time"
)

const ms = time.Millisecond

func TestCheckPausesRefusesWhatIsNoTakesPauses(t *testing.T) {
	length := 4 * time.Second
	for name, pauses := range map[string][]Selection{
		"negative":       {{Start: -ms, End: 500 * ms}},
		"backwards":      {{Start: 900 * ms, End: 800 * ms}},
		"empty":          {{Start: 900 * ms, End: 900 * ms}},
		"out of order":   {{Start: 2000 * ms, End: 2500 * ms}, {Start: 500 * ms, End: 900 * ms}},
		"overlapping":    {{Start: 500 * ms, End: 1500 * ms}, {Start: 1400 * ms, End: 2000 * ms}},
		"beyond the end": {{Start: 3500 * ms, End: 4500 * ms}},
	} {
		if err := CheckPauses(pauses, length); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s %v: %v, want ErrInvalid", name, pauses, err)
		}
	}
	ok := []Selection{{Start: 0, End: 500 * ms}, {Start: 500 * ms, End: 900 * ms}, {Start: 3 * time.Second, End: length + 10*ms}}
	if err := CheckPauses(ok, length); err != nil {
		t.Errorf("%v: %v", ok, err)
	}
}

// The figures of the WebKitGTK take that found the bug: 4.249 s of media
// for 3.233 s recorded around a pause of about a second.
func TestRecordedThroughPauses(t *testing.T) {
	pause := []Selection{{Start: 1520 * ms, End: 2540 * ms}}
	for _, c := range []struct {
		measured, recorded time.Duration
		pauses             []Selection
		want               bool
	}{
		{4249 * ms, 3233 * ms, pause, true},
		{3240 * ms, 3233 * ms, pause, false},                                 // the engine paused
		{3400 * ms, 3233 * ms, pause, false},                                 // within the tolerance of paused
		{4249 * ms, 3233 * ms, nil, false},                                   // no pauses
		{4249 * ms, 0, pause, false},                                         // no recorded time
		{9 * time.Second, 3233 * ms, pause, false},                           // longer by far more than paused
		{3400 * ms, 3233 * ms, []Selection{{Start: 0, End: 200 * ms}}, true}, // a short pause, closer
	} {
		if got := RecordedThroughPauses(c.measured, c.recorded, c.pauses); got != c.want {
			t.Errorf("%v measured, %v recorded, pauses %v: %v, want %v", c.measured, c.recorded, c.pauses, got, c.want)
		}
	}
}

func TestWithoutPausesAndUnpaused(t *testing.T) {
	pauses := []Selection{{Start: 0, End: 100 * ms}, {Start: 1000 * ms, End: 2000 * ms}, {Start: 3000 * ms, End: 4000 * ms}}
	got := WithoutPauses(pauses, 4000*ms)
	want := Spans{{Start: 100 * ms, End: 1000 * ms}, {Start: 2000 * ms, End: 3000 * ms}}
	if !slices.Equal(got, want) {
		t.Errorf("WithoutPauses: %v, want %v", got, want)
	}
	if !got.Keeps(2400*ms, 20*ms) || got.Keeps(1500*ms, 20*ms) || got.Keeps(50*ms, 20*ms) {
		t.Errorf("Keeps: wrong about a packet in a pause or in a kept part")
	}
	for at, want := range map[time.Duration]time.Duration{
		0: 0, 50 * ms: 0, 500 * ms: 400 * ms, 1500 * ms: 900 * ms, 2500 * ms: 1400 * ms, 5000 * ms: 2900 * ms,
	} {
		if got := Unpaused(pauses, at); got != want {
			t.Errorf("Unpaused(%v) = %v, want %v", at, got, want)
		}
	}
}
