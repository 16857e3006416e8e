package media

import "time"

// Take is a finished live take, handed from the session that recorded it
// to the library that saves it: raw little-endian int16 PCM in a spool
// file, at the session's output format, and what the session counted.
type Take struct {
	SessionID string
	TakeID    string // unique to this take, unlike SessionID
	SpoolPath string
	// OpusPath is the take's Ogg Opus, when Params.Format keeps it as
	// Opus; "" otherwise.
	OpusPath   string
	SampleRate int
	Channels   int
	Params     Params
	PCMBytes   int64
	StartedAt  time.Time
	Stats      StatsSnapshot
	// Frames and Batches were cut from it; Changes lists where fps or
	// batch size changed.
	Frames, Batches int64
	Changes         []ParamChange
}

// Duration is the take's length in seconds.
func (t Take) Duration() float64 {
	return float64(t.PCMBytes) / float64(2*t.Channels*t.SampleRate)
}
