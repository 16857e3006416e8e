package media

// What the HTTP layer and the WebRTC adapter (internal/rtc) say to each
// other about a live session, as plain values: the handlers speak these
// and SDP strings, and never a WebRTC library's types.

// A live session's states, as the page and the API show them.
const (
	SessionConnecting = "connecting" // answered, waiting for ICE/DTLS and audio
	SessionLive       = "live"       // audio is arriving
	SessionStopped    = "stopped"    // ended; the take is a draft
	SessionFailed     = "failed"     // ended without a usable take
)

// SessionInfo is a live session as the API reports it.
type SessionInfo struct {
	SessionID string        `json:"session_id"`
	State     string        `json:"state"`
	Reason    string        `json:"reason,omitempty"`      // why a failed session failed, in plain words
	Params    Params        `json:"processing_parameters"` // in force now
	Duration  float64       `json:"duration"`
	Codec     string        `json:"codec,omitempty"`
	Chain     ChainInfo     `json:"chain"`
	Stats     StatsSnapshot `json:"stats"`
	Framing   FramingInfo   `json:"framing"`
	RTTms     float64       `json:"rtt_ms"` // ICE round trip (STUN consent checks)
}

// ChainInfo is the audio's format at each step, for the page to show.
type ChainInfo struct {
	Codec        string  `json:"codec"`
	DecodedRate  int     `json:"decoded_rate"`
	Resampler    string  `json:"resampler"`
	OutputRate   int     `json:"output_rate"`
	Channels     int     `json:"channels"`
	FrameSamples float64 `json:"frame_samples"`
}

// Latency summarizes a latency histogram (quantiles to within 2.2 %).
type Latency struct {
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
	Count int64   `json:"count"`
}

// FramingInfo is the live framing state of a session.
type FramingInfo struct {
	FPS           int     `json:"fps"`
	BatchSize     int     `json:"batch_size"`
	Frames        int64   `json:"frames"`
	Batches       int64   `json:"batches"`
	FrameSamples  float64 `json:"frame_samples"`  // sample_rate / fps, per channel
	Latency       Latency `json:"latency"`        // RTP packet read → frame emitted, whole session
	LatencyRecent Latency `json:"latency_recent"` // the same over the last 10–20 s
	// Lag is end-to-end: frame emitted → the stream position of the packet
	// that completed it (RTP time on the wall clock, anchored by the
	// session's first packets), so it also counts network jitter, the
	// reorder wait and any queueing before the read. Whole session.
	Lag       Latency       `json:"lag"`
	LagRecent Latency       `json:"lag_recent"` // the same over the last 10–20 s
	DriftMs   float64       `json:"drift_ms"`   // at the newest frame: wall clock since the first minus audio framed
	Features  Features      `json:"features"`   // of the newest frame
	Changes   []ParamChange `json:"param_changes,omitempty"`
}
