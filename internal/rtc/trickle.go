package rtc

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/media"
)

// netState is a session's ICE bookkeeping: its own candidates as pion
// gathers them (for pages that trickle) and how often ICE was restarted.
type netState struct {
	mu       sync.Mutex
	list     []webrtc.ICECandidateInit
	complete bool
	changed  chan struct{} // closed and replaced on every change

	restarts atomic.Int64
}

func newNetState() *netState { return &netState{changed: make(chan struct{})} }

// add records a gathered candidate; nil means gathering is complete.
func (n *netState) add(c *webrtc.ICECandidate) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c == nil {
		n.complete = true
	} else {
		n.list = append(n.list, c.ToJSON())
	}
	close(n.changed)
	n.changed = make(chan struct{})
}

// Candidates returns the server's own candidates from the index from on,
// whether gathering is complete, and a channel closed at the next change.
func (s *Session) Candidates(from int) (list []webrtc.ICECandidateInit, complete bool, changed <-chan struct{}) {
	n := s.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if from < 0 {
		from = 0
	}
	if from < len(n.list) {
		list = append(list, n.list[from:]...)
	}
	return list, n.complete, n.changed
}

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// Restarts counts the ICE restarts the browser asked for.
func (s *Session) Restarts() int64 { return s.net.restarts.Load() }

// OfferWith is Offer with options.
func (m *Manager) OfferWith(ctx context.Context, id string, offer webrtc.SessionDescription, p media.Params, o media.OfferOptions) (*Session, webrtc.SessionDescription, error) {
	return m.offer(ctx, id, offer, p, o)
}

// Restart answers an ICE restart offer for a live session (the browser
// changed networks): the session, its spool and its pipeline go on, and
// the answer (its SDP) carries the server's new candidates.
func (m *Manager) Restart(ctx context.Context, id, offerSDP string) (string, error) {
	const none = ""
	if offerSDP == "" {
		return none, media.Invalidf("need an SDP offer: {type:\"offer\", sdp}")
	}
	offer := webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offerSDP}
	s, err := m.Get(id)
	if err != nil {
		return none, err
	}
	s.mu.Lock()
	pc := s.pc
	s.mu.Unlock()
	if pc == nil || s.finished() {
		return none, media.Conflictf("session %q has ended; start a new take", id)
	}
	if err := pc.SetRemoteDescription(offer); err != nil {
		return none, &media.Error{Kind: media.ErrInvalid, Message: "the ICE restart offer was refused", Err: err}
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return none, &media.Error{Kind: media.ErrInvalid, Message: "no answer fits the ICE restart offer", Err: err}
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return none, fmt.Errorf("rtc: restart: set local description: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return none, fmt.Errorf("rtc: restart: gathering candidates: %w", ctx.Err())
	}
	s.net.restarts.Add(1)
	s.log.Info("ICE restarted", "restarts", s.net.restarts.Load())
	return askBitrate(pc.LocalDescription().SDP, s.cfg.OpusBitrate), nil
}
