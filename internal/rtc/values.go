package rtc

import (
	"context"

	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/media"
)

// What the HTTP layer asks of the Manager answers in values, not
// *Session: a handler never holds a live session, and a stand-in for the
// Manager needs no pion to answer.

// Start answers a browser's offer SDP (see OfferWith) and returns the
// new session's info and the answer's SDP.
func (m *Manager) Start(ctx context.Context, id, offerSDP string, p media.Params, o media.OfferOptions) (media.SessionInfo, string, error) {
	s, answer, err := m.offer(ctx, id, webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offerSDP}, p, o)
	if err != nil {
		return media.SessionInfo{}, "", err
	}
	return s.Info(), answer.SDP, nil
}

// Info returns a session's state and counters, live or finished.
func (m *Manager) Info(id string) (media.SessionInfo, error) {
	s, err := m.Get(id)
	if err != nil {
		return media.SessionInfo{}, err
	}
	return s.Info(), nil
}

// WaitCandidates returns session id's own ICE candidates from the from-th
// on, as they are gathered (trickle ICE): at once if there are any, else
// when one comes, gathering completes or the session ends. complete says
// no more will come. When ctx ends first it returns none, not complete.
func (m *Manager) WaitCandidates(ctx context.Context, id string, from int) (list []media.ICECandidate, complete bool, err error) {
	s, err := m.Get(id)
	if err != nil {
		return nil, false, err
	}
	for {
		own, complete, changed := s.Candidates(from)
		if len(own) > 0 || complete || s.finished() {
			for _, c := range own {
				list = append(list, media.ICECandidate(c))
			}
			return list, complete || s.finished(), nil
		}
		select {
		case <-changed:
		case <-s.Done():
		case <-ctx.Done():
			return nil, false, nil
		}
	}
}
