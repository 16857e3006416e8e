package media

import (
	"fmt"
	"io"
	"time"
)

// Selection is the part of a recording a trim keeps: from Start to End on
// the recording's timeline.
type Selection struct {
	Start, End time.Duration
}

// MinSelection is the shortest selection a trim keeps: one Opus packet, the
// unit the compressed containers are cut in.
const MinSelection = 20 * time.Millisecond

// Check refuses a span that is no part of a recording length long: one
// that starts before 0 or at or after the end, ends before it starts, is
// shorter than MinSelection, or runs past the end by more than a packet (a
// little past is the page's rounding, and is clamped). It returns the
// span clamped to the recording.
func (s Selection) Check(length time.Duration) (Selection, error) {
	switch {
	case s.Start < 0:
		return s, Invalidf("the selection starts before the recording")
	case s.End <= s.Start:
		return s, Invalidf("the selection ends before it starts")
	case s.Start >= length:
		return s, Invalidf("the selection starts after the end of the recording")
	case s.End > length+MinSelection:
		return s, Invalidf("the selection ends after the end of the recording (%.3f s)", length.Seconds())
	}
	s.End = min(s.End, length)
	if s.End-s.Start < MinSelection {
		return s, Invalidf("the selection is shorter than %d ms", MinSelection.Milliseconds())
	}
	return s, nil
}

// Keeps reports whether a packet that starts at at and lasts dur belongs
// to the span: whether its middle lies in it. Cuts so fall on the packet
// boundary nearest each end, and the kept length is the span's within one
// packet.
func (s Selection) Keeps(at, dur time.Duration) bool {
	mid := at + dur/2
	return s.Start <= mid && mid < s.End
}

// CutWAV writes the part of the 16-bit PCM WAV file in r that span
// selects, cut at samples, as a canonical WAV file (other chunks are
// dropped) to w, and returns what it wrote. A span that is no part of the
// file wraps ErrInvalid, and nothing is written.
func CutWAV(w io.Writer, r io.Reader, span Selection) (WAVInfo, error) {
	info, err := ReadWAVHeader(r)
	if err != nil {
		return WAVInfo{}, &Error{Kind: ErrBadAudio, Message: "the recording is not a 16-bit PCM WAV file", Err: err}
	}
	frame := int64(2 * info.Channels)
	frames := info.DataBytes / frame
	rate := int64(info.SampleRate)
	length := time.Duration(frames * int64(time.Second) / rate)
	if span, err = span.Check(length); err != nil {
		return WAVInfo{}, err
	}
	first := int64(span.Start) * rate / int64(time.Second)
	last := min(frames, (int64(span.End)*rate+int64(time.Second)/2)/int64(time.Second))
	if _, err := io.CopyN(io.Discard, r, first*frame); err != nil {
		return WAVInfo{}, fmt.Errorf("wav: cut: skip to the start: %w", err)
	}
	out := WAVInfo{SampleRate: info.SampleRate, Channels: info.Channels, DataBytes: (last - first) * frame}
	if _, err := w.Write(WAVHeader(info.SampleRate, info.Channels, out.DataBytes)); err != nil {
		return WAVInfo{}, fmt.Errorf("wav: cut: %w", err)
	}
	if _, err := io.CopyN(w, r, out.DataBytes); err != nil {
		return WAVInfo{}, fmt.Errorf("wav: cut: %w", err)
	}
	return out, nil
}
