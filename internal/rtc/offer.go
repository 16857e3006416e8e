package rtc

import (
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/avatarweb/recorder/media"
)

// errNoOpusAudio refuses an offer the recorder could never record from.
var errNoOpusAudio error = &media.Error{Kind: media.ErrInvalid,
	Message: "the SDP offer was refused: it sends no Opus audio (the recorder needs a microphone track in Opus)"}

// checkOffer refuses, before any session is made for it, an SDP offer that
// does not send Opus audio: one with only a data channel, only video, or
// audio in other codecs (PCMU) would otherwise be answered and hold a
// session slot until the connect timeout.
func checkOffer(offerSDP string) error {
	var desc sdp.SessionDescription
	if err := desc.UnmarshalString(offerSDP); err != nil {
		return &media.Error{Kind: media.ErrInvalid, Message: "the SDP offer was refused", Err: err}
	}
	sessionDir := direction(desc.Attributes, "sendrecv")
	for _, m := range desc.MediaDescriptions {
		if m.MediaName.Media != "audio" {
			continue
		}
		if dir := direction(m.Attributes, sessionDir); dir != "sendrecv" && dir != "sendonly" {
			continue // the browser would not send this audio
		}
		if offersOpus(m) {
			return nil
		}
	}
	return errNoOpusAudio
}

// direction is the last direction attribute among attrs, or def.
func direction(attrs []sdp.Attribute, def string) string {
	for _, a := range attrs {
		switch a.Key {
		case "sendrecv", "sendonly", "recvonly", "inactive":
			def = a.Key
		}
	}
	return def
}

// offersOpus reports whether an audio section lists a payload type that
// its rtpmap names opus.
func offersOpus(m *sdp.MediaDescription) bool {
	formats := map[string]bool{}
	for _, f := range m.MediaName.Formats {
		formats[f] = true
	}
	for _, a := range m.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		pt, codec, ok := strings.Cut(a.Value, " ")
		name, _, _ := strings.Cut(codec, "/")
		if ok && formats[pt] && strings.EqualFold(strings.TrimSpace(name), "opus") {
			return true
		}
	}
	return false
}
