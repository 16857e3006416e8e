package media

import "sync/atomic"

// Stats are the live counters of one session. Stages update them from their
// own goroutines; readers take a Snapshot.
type Stats struct {
	Packets        atomic.Int64 // RTP packets received
	PayloadBytes   atomic.Int64 // Opus payload bytes received
	LostPackets    atomic.Int64 // sequence numbers never received
	LatePackets    atomic.Int64 // arrived after their turn, or duplicates: dropped
	DecodeErrors   atomic.Int64 // packets the Opus decoder refused
	EmptyPackets   atomic.Int64 // packets with no payload (RTP padding only: a sender's bandwidth probes); no audio, no error
	GapSamples     atomic.Int64 // silence inserted for lost packets, DTX and stalls (48 kHz samples)
	TrimmedSamples atomic.Int64 // decoded audio dropped because the timeline had moved past it (48 kHz)
	Gaps           atomic.Int64 // how many separate gaps were filled
	DecodedSamples atomic.Int64 // samples per channel decoded from packets (48 kHz)
	OutputFrames   atomic.Int64 // samples per channel written to the take (output rate)
	JitterMicros   atomic.Int64 // RFC 3550 interarrival jitter

	// RecoveredPackets arrived after a later packet but in time: the
	// reorder stage put them back in sequence.
	RecoveredPackets atomic.Int64
	// DecodeNanos is the time spent in the Opus decoder. Not in the
	// Snapshot: it is for /metrics, not the session's stats.
	DecodeNanos atomic.Int64
}

// StatsSnapshot is a point-in-time copy of Stats, ready for JSON.
type StatsSnapshot struct {
	Packets        int64 `json:"packets"`
	PayloadBytes   int64 `json:"payload_bytes"`
	LostPackets    int64 `json:"lost_packets"`
	LatePackets    int64 `json:"late_packets"`
	DecodeErrors   int64 `json:"decode_errors"`
	EmptyPackets   int64 `json:"empty_packets"`
	GapSamples     int64 `json:"gap_samples"`
	TrimmedSamples int64 `json:"trimmed_samples"`
	Gaps           int64 `json:"gaps"`
	DecodedSamples int64 `json:"decoded_samples"`
	OutputFrames   int64 `json:"output_frames"`
	JitterMicros   int64 `json:"jitter_us"`

	RecoveredPackets int64 `json:"recovered_packets"`
}

// Snapshot reads every counter.
func (s *Stats) Snapshot() StatsSnapshot {
	return StatsSnapshot{
		Packets:        s.Packets.Load(),
		PayloadBytes:   s.PayloadBytes.Load(),
		LostPackets:    s.LostPackets.Load(),
		LatePackets:    s.LatePackets.Load(),
		DecodeErrors:   s.DecodeErrors.Load(),
		EmptyPackets:   s.EmptyPackets.Load(),
		GapSamples:     s.GapSamples.Load(),
		TrimmedSamples: s.TrimmedSamples.Load(),
		Gaps:           s.Gaps.Load(),
		DecodedSamples: s.DecodedSamples.Load(),
		OutputFrames:   s.OutputFrames.Load(),
		JitterMicros:   s.JitterMicros.Load(),

		RecoveredPackets: s.RecoveredPackets.Load(),
	}
}

// Map returns the snapshot as name → value, for storing with a recording.
func (s StatsSnapshot) Map() map[string]int64 {
	return map[string]int64{
		"packets":         s.Packets,
		"payload_bytes":   s.PayloadBytes,
		"lost_packets":    s.LostPackets,
		"late_packets":    s.LatePackets,
		"decode_errors":   s.DecodeErrors,
		"empty_packets":   s.EmptyPackets,
		"gap_samples":     s.GapSamples,
		"trimmed_samples": s.TrimmedSamples,
		"gaps":            s.Gaps,
		"decoded_samples": s.DecodedSamples,
		"output_frames":   s.OutputFrames,

		"recovered_packets": s.RecoveredPackets,
	}
}
