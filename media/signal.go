package media

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SessionDescription is an SDP offer or answer as a browser sends and
// takes it (RTCSessionDescriptionInit): {type, sdp}. The HTTP layer
// speaks it; only the WebRTC adapter knows the library that parses it.
type SessionDescription struct {
	Type SDPType `json:"type"`
	SDP  string  `json:"sdp"`
}

// SDPType is a session description's type, as RTCSdpType has it.
type SDPType string

// The types of session description.
const (
	SDPOffer    SDPType = "offer"
	SDPPranswer SDPType = "pranswer"
	SDPAnswer   SDPType = "answer"
	SDPRollback SDPType = "rollback"
)

// UnmarshalJSON takes a type in any case and refuses one RTCSdpType does
// not have: such a body is not a session description.
func (t *SDPType) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	switch typ := SDPType(strings.ToLower(s)); typ {
	case SDPOffer, SDPPranswer, SDPAnswer, SDPRollback:
		*t = typ
		return nil
	}
	return fmt.Errorf("unknown SDP type %q", s)
}

// Answer is the answer a server gives with sdp.
func Answer(sdp string) SessionDescription {
	return SessionDescription{Type: SDPAnswer, SDP: sdp}
}

// OfferSDP returns an offer's SDP; anything else (an answer, no SDP)
// wraps ErrInvalid.
func (d SessionDescription) OfferSDP() (string, error) {
	if d.Type != SDPOffer || d.SDP == "" {
		return "", Invalidf("need an SDP offer: {type:\"offer\", sdp}")
	}
	return d.SDP, nil
}

// ICECandidate is an ICE candidate as a browser sends and takes it
// (RTCIceCandidateInit).
type ICECandidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex"`
	UsernameFragment *string `json:"usernameFragment"`
}

// BrowserICE is what a browser needs to build its RTCPeerConnection: the
// servers with credentials, and the transport policy. It is handed to the
// page and never logged.
type BrowserICE struct {
	Servers []ICEServer `json:"iceServers"`
	Policy  string      `json:"iceTransportPolicy"`
}

// ICEServer is an RTCIceServer as a browser takes it.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// OfferOptions change how a session answers an offer.
type OfferOptions struct {
	// Trickle answers at once, before the server has gathered its
	// candidates; the page long-polls for them as they come. Without it
	// the answer carries every candidate.
	Trickle bool
	// Client is who offers (the handlers' per-client key): no client may
	// hold more live sessions at once than the adapter's per-client bound.
	Client string
}
