package media

import "time"

// Spans are parts of a recording's timeline, in order and apart: what a
// cut keeps when it keeps more than one part.
type Spans []Selection

// Keeps reports whether a packet that starts at at and lasts dur belongs
// to one of the spans (its middle lies in it; see Selection.Keeps).
func (s Spans) Keeps(at, dur time.Duration) bool {
	for _, span := range s {
		if span.Keeps(at, dur) {
			return true
		}
	}
	return false
}

// CheckPauses refuses a list of pauses of a take that lasted length on
// the recorder's clock (recorded time and pauses together): a pause that
// starts before 0, ends before it starts, begins before the one before it
// ends, or ends after the take (more than a packet past: rounding).
func CheckPauses(pauses []Selection, length time.Duration) error {
	var prev time.Duration
	for i, p := range pauses {
		switch {
		case p.Start < 0:
			return Invalidf("pause %d starts before the take", i+1)
		case p.End <= p.Start:
			return Invalidf("pause %d ends before it starts", i+1)
		case p.Start < prev:
			return Invalidf("pause %d starts before pause %d ends: pauses must be in order and apart", i+1, i)
		case p.End > length+MinSelection:
			return Invalidf("pause %d ends after the take (%.3f s with its pauses)", i+1, length.Seconds())
		}
		prev = p.End
	}
	return nil
}

// PausedTotal is how long the pauses last together.
func PausedTotal(pauses []Selection) time.Duration {
	var total time.Duration
	for _, p := range pauses {
		total += p.End - p.Start
	}
	return total
}

// RecordedThroughPauses reports whether a take whose media lasts measured,
// of which the page recorded recorded outside its pauses, holds its paused
// parts too: whether the media is longer than the recorded time by about
// the time paused (within max(0.3 s, 5 %)), and closer to that than to the
// recorded time. An engine that honours MediaRecorder.pause gives media
// as long as the recorded time; WebKitGTK's records on through a pause.
func RecordedThroughPauses(measured, recorded time.Duration, pauses []Selection) bool {
	total := PausedTotal(pauses)
	if total <= 0 || recorded <= 0 {
		return false
	}
	excess := measured - recorded
	tolerance := max(300*time.Millisecond, measured/20)
	off := (excess - total).Abs()
	return off <= tolerance && off < excess.Abs()
}

// WithoutPauses is the part of a take length long left when its pauses
// (checked by CheckPauses) are taken out.
func WithoutPauses(pauses []Selection, length time.Duration) Spans {
	var keep Spans
	var from time.Duration
	for _, p := range pauses {
		if p.Start > from {
			keep = append(keep, Selection{Start: from, End: min(p.Start, length)})
		}
		from = p.End
	}
	if from < length {
		keep = append(keep, Selection{Start: from, End: length})
	}
	return keep
}

// Unpaused places a moment t of a take's timeline with its pauses on the
// timeline without them: earlier by the time paused before t (a moment
// within a pause goes to where the pause was).
func Unpaused(pauses []Selection, t time.Duration) time.Duration {
	shift := time.Duration(0)
	for _, p := range pauses {
		if p.Start >= t {
			break
		}
		shift += min(t, p.End) - p.Start
	}
	return t - shift
}
