package rtc

import (
	"time"

	"github.com/avatarweb/recorder/media"
)

// Totals are a Manager's counters since it was made, summed over every
// session it ran: the ended ones, folded in once each as it ends, and the
// live ones, read as they stand. Every field only rises, a session ending
// between two reads included, so each can be exported as a counter.
type Totals struct {
	Started int64 // sessions begun (offers taken)
	Stopped int64 // sessions ended with a take kept as a draft
	Failed  int64 // sessions ended without a usable take
	Refused int64 // offers admission turned away (the server at capacity)

	Packets        int64 // RTP packets received
	PayloadBytes   int64 // Opus payload bytes received
	LostPackets    int64 // sequence numbers never received
	LatePackets    int64 // arrived after their turn, or duplicates: dropped
	Recovered      int64 // arrived after a later packet, put back in order
	DecodeErrors   int64 // packets the Opus decoder refused
	DecodedSamples int64 // per channel, at 48 kHz
	DecodeTime     time.Duration

	Frames  int64 // frames cut
	Batches int64 // batches cut
	// Latency is RTP packet read → frame emitted; Lag is end to end, frame
	// emitted → the stream position of the packet that completed it (see
	// FramingInfo). Whole sessions: a recent window is the difference of
	// two reads.
	Latency media.LatencyTotal
	Lag     media.LatencyTotal
}

// Totals returns the counters of every session the Manager has run.
func (m *Manager) Totals() Totals {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.totals
	for _, s := range m.sessions {
		if !s.folded {
			s.addTotals(&t)
		}
	}
	return t
}

// fold adds an ended session's counters to the Manager's totals, once.
func (m *Manager) fold(s *Session) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.foldLocked(s)
}

// foldLocked is fold with m.mu held. A session is folded as it finishes,
// and at the latest as the Manager forgets it, so no session leaves the
// sums.
func (m *Manager) foldLocked(s *Session) {
	if s.folded {
		return
	}
	s.folded = true
	s.addTotals(&m.totals)
	if s.State() == media.SessionStopped {
		m.totals.Stopped++
	} else {
		m.totals.Failed++
	}
}

// addTotals adds the session's counters (not Started, Stopped or Failed)
// to t.
func (s *Session) addTotals(t *Totals) {
	st := &s.stats
	t.Packets += st.Packets.Load()
	t.PayloadBytes += st.PayloadBytes.Load()
	t.LostPackets += st.LostPackets.Load()
	t.LatePackets += st.LatePackets.Load()
	t.Recovered += st.RecoveredPackets.Load()
	t.DecodeErrors += st.DecodeErrors.Load()
	t.DecodedSamples += st.DecodedSamples.Load()
	t.DecodeTime += time.Duration(st.DecodeNanos.Load())
	s.live.addTotals(t)
}

// addTotals adds the frame and batch counts and the whole-session
// latency histograms to t.
func (f *framing) addTotals(t *Totals) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t.Frames += f.frames
	t.Batches += f.batches
	t.Latency.Add(&f.latency.All)
	t.Lag.Add(&f.lag.All)
}
