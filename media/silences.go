package media

import "math"

// Span is a stretch of a take, in seconds from its start.
type Span struct{ Start, End float64 }

// Silence detection on the waveform thumbnail: the only picture of a
// saved take's loudness the index keeps (Peaks: PeakBuckets spans, each
// its peak on Level's square-root scale). A span is quiet when its peak
// is below silenceFloor and well below the take's loudest
// (silenceBelowLoudest): speech peaks sit at −20…−3 dBFS, a quiet room at
// −50…−40, so a take recorded soft still finds its pauses and one that
// is all noise finds none. Only runs of at least silenceMinSeconds count
// (a pause between sentences is part of speech), and each keeps
// silenceKeepSeconds at both ends, so a skip never clips a word's onset
// or tail.
const (
	silenceFloor        = 0.02 // −34 dBFS peak: never silent above it
	silenceBelowLoudest = 0.1  // −20 dB under the take's loudest span
	silenceMinSeconds   = 1.0
	silenceKeepSeconds  = 0.25
)

// Silences returns the voice-free stretches of a take of seconds whose
// thumbnail is peaks, in order, each worth skipping.
func Silences(peaks []byte, seconds float64) []Span {
	if len(peaks) == 0 || seconds <= 0 {
		return nil
	}
	amp := func(level byte) float64 { return math.Pow(float64(level)/255, 2) }
	loudest := 0.0
	for _, p := range peaks {
		loudest = max(loudest, amp(p))
	}
	limit := min(silenceFloor, loudest*silenceBelowLoudest)
	per := seconds / float64(len(peaks))
	var out []Span
	start := -1
	for i := 0; i <= len(peaks); i++ {
		quiet := i < len(peaks) && amp(peaks[i]) < limit
		switch {
		case quiet && start < 0:
			start = i
		case !quiet && start >= 0:
			s, e := float64(start)*per, float64(i)*per
			if e-s >= silenceMinSeconds {
				out = append(out, Span{s + silenceKeepSeconds, min(e, seconds) - silenceKeepSeconds})
			}
			start = -1
		}
	}
	return out
}
