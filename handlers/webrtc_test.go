package handlers_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/media"
)

// fixtureOffer is a browser-like SDP offer (one sendonly Opus track). The
// server answers it, but nothing ever connects: no client runs here.
func fixtureOffer(t *testing.T) webrtc.SessionDescription {
	t.Helper()
	sdp, err := os.ReadFile(filepath.Join("testdata", "offer.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	return webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(sdp)}
}

// offerBody is the page's body for POST /webrtc/offer.
func offerBody(t *testing.T, id string, offer any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"session_id": id, "offer": offer})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantNoSession fails if the manager holds session id or any live one.
func wantNoSession(t *testing.T, m *rtc.Manager, id string) {
	t.Helper()
	if n := m.Live(); n != 0 {
		t.Errorf("Live() = %d, want 0", n)
	}
	if _, err := m.Get(id); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Get(%q) error = %v, want ErrNotFound", id, err)
	}
}

func TestOffer(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		ta, m := newRTCApp(t)
		ta.do(t, http.MethodPost, "/update_params", `{"sample_rate":16000}`).wantStatus(t, http.StatusOK)
		want := media.Params{FPS: 30, BatchSize: 64, SampleRate: 16000, Channels: 1, Format: "wav"}

		res := ta.do(t, http.MethodPost, "/webrtc/offer", offerBody(t, "s-ok", fixtureOffer(t)))
		res.wantStatus(t, http.StatusOK)
		var got struct {
			Status    string                    `json:"status"`
			Answer    webrtc.SessionDescription `json:"answer"`
			SessionID string                    `json:"session_id"`
			Params    media.Params              `json:"processing_parameters"`
		}
		res.decode(t, &got)
		if got.Status != "success" || got.SessionID != "s-ok" || got.Params != want {
			t.Errorf("answer = %+v, want success for s-ok at %+v", got, want)
		}
		if got.Answer.Type != webrtc.SDPTypeAnswer || !strings.HasPrefix(got.Answer.SDP, "v=0") ||
			!strings.Contains(got.Answer.SDP, "a=rtpmap:111 opus/48000/2") ||
			!strings.Contains(got.Answer.SDP, "a=recvonly") {
			t.Errorf("not a recvonly Opus answer: %+v", got.Answer)
		}
		if n := m.Live(); n != 1 {
			t.Errorf("Live() = %d, want 1", n)
		}
		s, err := m.Get("s-ok")
		if err != nil {
			t.Fatal(err)
		}
		if s.Params != want {
			t.Errorf("session params = %+v, want %+v", s.Params, want)
		}
	})

	t.Run("OKIssuesID", func(t *testing.T) {
		ta, m := newRTCApp(t)
		res := ta.do(t, http.MethodPost, "/webrtc/offer", offerBody(t, "", fixtureOffer(t)))
		res.wantStatus(t, http.StatusOK)
		var got struct {
			SessionID string `json:"session_id"`
		}
		if err := json.Unmarshal(res.body, &got); err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^session_[0-9a-f]{16}$`).MatchString(got.SessionID) {
			t.Errorf("issued session_id = %q", got.SessionID)
		}
		if _, err := m.Get(got.SessionID); err != nil {
			t.Errorf("Get(%q): %v", got.SessionID, err)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		ta, m := newRTCApp(t)
		body := offerBody(t, "dup", fixtureOffer(t))
		ta.do(t, http.MethodPost, "/webrtc/offer", body).wantStatus(t, http.StatusOK)
		ta.do(t, http.MethodPost, "/webrtc/offer", body).wantError(t, http.StatusConflict, `session "dup" already exists`)
		if n := m.Live(); n != 1 {
			t.Errorf("Live() = %d, want 1", n)
		}
	})

	offer := fixtureOffer(t)
	for _, tt := range []struct {
		name, body, msg string
	}{
		{"ErrBadJSON", `{"offer":`, "not valid JSON"},
		{"ErrBadJSONType", `{"session_id":"s1","offer":{"type":"bogus","sdp":"v=0"}}`, "not valid JSON"},
		{"ErrMissingOffer", `{"session_id":"s1"}`, "need an SDP offer"},
		{"ErrEmptySDP", offerBody(t, "s1", map[string]string{"type": "offer", "sdp": ""}), "need an SDP offer"},
		{"ErrAnswerNotOffer", offerBody(t, "s1", map[string]string{"type": "answer", "sdp": offer.SDP}), "need an SDP offer"},
		{"ErrGarbageSDP", offerBody(t, "s1", map[string]string{"type": "offer", "sdp": "garbage"}), "SDP offer was refused"},
		{"ErrTruncatedSDP", offerBody(t, "s1", map[string]string{"type": "offer", "sdp": offer.SDP[:40]}), "SDP offer was refused"},
		{"ErrBadSessionID", offerBody(t, "../s1", offer), "session_id must be"},
		{"ErrLongSessionID", offerBody(t, strings.Repeat("s", 65), offer), "session_id must be"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ta, m := newRTCApp(t)
			ta.do(t, http.MethodPost, "/webrtc/offer", tt.body).wantError(t, http.StatusBadRequest, tt.msg)
			wantNoSession(t, m, "s1")
			ta.do(t, http.MethodGet, "/webrtc/sessions/s1", "").wantError(t, http.StatusNotFound, "no session")
		})
	}
}

// TestSessionLifecycle walks a real session that never connects: offer,
// info, stop (nothing was recorded), discard.
func TestSessionLifecycle(t *testing.T) {
	ta, m := newRTCApp(t)
	ta.do(t, http.MethodPost, "/webrtc/offer", offerBody(t, "s1", fixtureOffer(t))).wantStatus(t, http.StatusOK)

	info := func(t *testing.T) media.SessionInfo {
		t.Helper()
		res := ta.do(t, http.MethodGet, "/webrtc/sessions/s1", "")
		res.wantStatus(t, http.StatusOK)
		var got media.SessionInfo
		res.decode(t, &got)
		return got
	}

	t.Run("InfoOK", func(t *testing.T) {
		got := info(t)
		if got.SessionID != "s1" || got.State != media.SessionConnecting || got.Params != defaultParams ||
			got.Stats != (media.StatsSnapshot{}) || got.Framing.Frames != 0 || got.Framing.FPS != 30 ||
			got.Chain.OutputRate != 48000 || got.Chain.FrameSamples != 1600 {
			t.Errorf("info = %+v", got)
		}
	})

	t.Run("StopErrEmptyTake", func(t *testing.T) {
		ta.do(t, http.MethodPost, "/webrtc/stop", `{"session_id":"s1"}`).
			wantError(t, http.StatusBadRequest, "nothing was recorded")
		if got := info(t).State; got != media.SessionFailed {
			t.Errorf("state after stop = %q, want %q", got, media.SessionFailed)
		}
		if n := m.Live(); n != 0 {
			t.Errorf("Live() = %d, want 0", n)
		}
	})

	t.Run("SaveErrEmptyTake", func(t *testing.T) {
		before := ta.written(t)
		ta.do(t, http.MethodPost, "/save_recording", `{"session_id":"s1","recording_type":"webrtc"}`).
			wantError(t, http.StatusBadRequest, "nothing was recorded")
		ta.wantUnchanged(t, before)
	})

	t.Run("DiscardOK", func(t *testing.T) {
		res := ta.do(t, http.MethodPost, "/webrtc/discard", `{"session_id":"s1"}`)
		res.wantStatus(t, http.StatusOK)
		var got map[string]string
		res.decode(t, &got)
		want := map[string]string{"status": "success", "session_id": "s1", "message": "take discarded"}
		if !maps.Equal(got, want) {
			t.Errorf("answer = %v, want %v", got, want)
		}
		wantNoSession(t, m, "s1")
		ta.do(t, http.MethodGet, "/webrtc/sessions/s1", "").wantError(t, http.StatusNotFound, `no session "s1"`)
		ta.do(t, http.MethodPost, "/webrtc/discard", `{"session_id":"s1"}`).wantError(t, http.StatusNotFound, "no session")
	})
}

// TestStopOK stops a session whose take the fake hands back; the answer
// reports the session's state and counters: no pion needed, the
// handler deals in values.
func TestStopOK(t *testing.T) {
	ta, f := newFakeApp(t)
	f.addTake(t, "s1", toneParams, tone(toneParams.SampleRate, toneParams.Channels, 0.1))
	f.InfoFn = func(id string) (media.SessionInfo, error) {
		if id != "s1" {
			return media.SessionInfo{}, media.ErrNotFound
		}
		return media.SessionInfo{SessionID: "s1", State: media.SessionConnecting, Params: toneParams}, nil
	}
	res := ta.do(t, http.MethodPost, "/webrtc/stop", `{"session_id":"s1"}`)
	res.wantStatus(t, http.StatusOK)
	var got struct {
		Status    string              `json:"status"`
		SessionID string              `json:"session_id"`
		State     string              `json:"state"`
		Duration  float64             `json:"duration"`
		Stats     media.StatsSnapshot `json:"stats"`
	}
	res.decode(t, &got)
	if got.Status != "success" || got.SessionID != "s1" || got.State != media.SessionConnecting ||
		got.Duration != 0 || got.Stats != (media.StatsSnapshot{}) {
		t.Errorf("answer = %+v", got)
	}
	if len(f.stopped) != 1 || f.stopped[0] != "s1" {
		t.Errorf("Stop calls = %q, want [s1]", f.stopped)
	}
	if len(f.released) != 0 {
		t.Errorf("Release calls = %q, want none: a stopped take stays a draft", f.released)
	}
}

func TestDiscardOK(t *testing.T) {
	ta, f := newFakeApp(t)
	var discarded []string
	f.DiscardFn = func(id string) error {
		discarded = append(discarded, id)
		return nil
	}
	res := ta.do(t, http.MethodPost, "/webrtc/discard", `{"session_id":"s1"}`)
	res.wantStatus(t, http.StatusOK)
	if want := `{"message":"take discarded","session_id":"s1","status":"success"}`; string(res.body) != want {
		t.Errorf("body = %s, want %s", res.body, want)
	}
	if len(discarded) != 1 || discarded[0] != "s1" {
		t.Errorf("Discard calls = %q, want [s1]", discarded)
	}
}

// TestSessionRoutesErr covers the refusals of stop, discard and session
// info against the real manager, which holds no session.
func TestSessionRoutesErr(t *testing.T) {
	ta, m := newRTCApp(t)
	for _, tt := range []struct {
		name, method, target, body string
		status                     int
		msg                        string
	}{
		{"StopErrNotFound", http.MethodPost, "/webrtc/stop", `{"session_id":"nope"}`, http.StatusNotFound, `no session "nope"`},
		{"StopErrNoID", http.MethodPost, "/webrtc/stop", `{}`, http.StatusBadRequest, "session_id is required"},
		{"StopErrBadJSON", http.MethodPost, "/webrtc/stop", `{"session_id":`, http.StatusBadRequest, "not valid JSON"},
		{"StopErrEmptyBody", http.MethodPost, "/webrtc/stop", ``, http.StatusBadRequest, "not valid JSON"},
		{"StopErrWrongType", http.MethodPost, "/webrtc/stop", `{"session_id":42}`, http.StatusBadRequest, "not valid JSON"},
		{"DiscardErrNotFound", http.MethodPost, "/webrtc/discard", `{"session_id":"nope"}`, http.StatusNotFound, `no session "nope"`},
		{"DiscardErrBadJSON", http.MethodPost, "/webrtc/discard", `[`, http.StatusBadRequest, "not valid JSON"},
		{"InfoErrNotFound", http.MethodGet, "/webrtc/sessions/nope", ``, http.StatusNotFound, `no session "nope"`},
		{"InfoErrTraversal", http.MethodGet, "/webrtc/sessions/..%2fnope", ``, http.StatusNotFound, "no session"},
		{"GetStopNoRoute", http.MethodGet, "/webrtc/stop", ``, http.StatusMethodNotAllowed, "Method Not Allowed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ta.do(t, tt.method, tt.target, tt.body).wantError(t, tt.status, tt.msg)
			if n := m.Live(); n != 0 {
				t.Errorf("Live() = %d, want 0", n)
			}
		})
	}
}

// startFixtureSession answers the fixture offer as session id; the
// session stays connecting since no client runs.
func (ta *testApp) startFixtureSession(t *testing.T, id string) {
	t.Helper()
	ta.do(t, http.MethodPost, "/webrtc/offer", offerBody(t, id, fixtureOffer(t))).wantStatus(t, http.StatusOK)
}

// hostCandidate is a host candidate as a browser trickles it.
const hostCandidate = "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host"

func TestICECandidate(t *testing.T) {
	ta, m := newRTCApp(t)
	ta.startFixtureSession(t, "s1")

	body := func(t *testing.T, id string, candidate any) string {
		t.Helper()
		b, err := json.Marshal(map[string]any{"session_id": id, "candidate": candidate})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	for _, tt := range []struct {
		name      string
		candidate any
	}{
		{"OKString", hostCandidate},
		{"OKObject", map[string]any{"candidate": hostCandidate, "sdpMid": "0", "sdpMLineIndex": 0}},
		{"OKObjectNoMid", map[string]any{"candidate": "candidate:2 1 udp 2130706431 127.0.0.1 50001 typ host"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := ta.do(t, http.MethodPost, "/webrtc/ice-candidate", body(t, "s1", tt.candidate))
			res.wantStatus(t, http.StatusOK)
			var got map[string]string
			res.decode(t, &got)
			if want := map[string]string{"status": "success", "session_id": "s1"}; !maps.Equal(got, want) {
				t.Errorf("answer = %v, want %v", got, want)
			}
		})
	}

	for _, tt := range []struct {
		name, body string
		status     int
		msg        string
	}{
		{"ErrBadJSON", `{"session_id":"s1","candidate":`, http.StatusBadRequest, "not valid JSON"},
		{"ErrEmptyBody", ``, http.StatusBadRequest, "not valid JSON"},
		{"ErrNoSessionID", body(t, "", hostCandidate), http.StatusBadRequest, "session_id is required"},
		{"ErrNotFound", body(t, "nope", hostCandidate), http.StatusNotFound, `no session "nope"`},
		{"ErrNoCandidate", `{"session_id":"s1"}`, http.StatusBadRequest, "candidate must be"},
		{"ErrNumber", body(t, "s1", 42), http.StatusBadRequest, "candidate must be"},
		{"ErrArray", body(t, "s1", []string{hostCandidate}), http.StatusBadRequest, "candidate must be"},
		{"ErrObjectWithoutCandidate", body(t, "s1", map[string]any{"sdpMid": "0", "sdpMLineIndex": 0}), http.StatusBadRequest, "candidate must be"},
		{"ErrNull", `{"session_id":"s1","candidate":null}`, http.StatusBadRequest, "candidate must be"},
		{"ErrEmptyString", body(t, "s1", ""), http.StatusBadRequest, "candidate must be"},
		{"ErrObjectEmpty", body(t, "s1", map[string]any{"candidate": "", "sdpMid": "0"}), http.StatusBadRequest, "candidate must be"},
		{"ErrObjectBadCandidateType", body(t, "s1", map[string]any{"candidate": 7}), http.StatusBadRequest, "candidate must be"},
		{"ErrGarbage", body(t, "s1", "candidate:garbage"), http.StatusBadRequest, "the ICE candidate was refused"},
		{"ErrGarbageObject", body(t, "s1", map[string]any{"candidate": "not a candidate", "sdpMid": "0"}), http.StatusBadRequest, "the ICE candidate was refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ta.do(t, http.MethodPost, "/webrtc/ice-candidate", tt.body).wantError(t, tt.status, tt.msg)
		})
	}

	t.Run("ErrConflictAfterStop", func(t *testing.T) {
		ta.do(t, http.MethodPost, "/webrtc/stop", `{"session_id":"s1"}`).wantStatus(t, http.StatusBadRequest) // nothing recorded
		ta.do(t, http.MethodPost, "/webrtc/ice-candidate", body(t, "s1", hostCandidate)).
			wantError(t, http.StatusConflict, `session "s1" is not connecting any more`)
		if n := m.Live(); n != 0 {
			t.Errorf("Live() = %d, want 0", n)
		}
	})
}

func TestAudioData(t *testing.T) {
	ta, _ := newRTCApp(t)
	ta.startFixtureSession(t, "s1")

	t.Run("OK", func(t *testing.T) {
		res := ta.do(t, http.MethodPost, "/webrtc/audio-data", `{"session_id":"s1","audio_data":"AAAA"}`)
		res.wantStatus(t, http.StatusOK)
		var got struct {
			Status    string              `json:"status"`
			SessionID string              `json:"session_id"`
			State     string              `json:"state"`
			Duration  float64             `json:"duration"`
			Stats     media.StatsSnapshot `json:"stats"`
			Framing   media.FramingInfo   `json:"framing"`
		}
		res.decode(t, &got)
		if got.Status != "success" || got.SessionID != "s1" || got.State != media.SessionConnecting ||
			got.Duration != 0 || got.Stats != (media.StatsSnapshot{}) ||
			got.Framing.FPS != 30 || got.Framing.BatchSize != 64 || got.Framing.Frames != 0 {
			t.Errorf("answer = %+v", got)
		}
	})

	for _, tt := range []struct {
		name, body string
		status     int
		msg        string
	}{
		{"ErrNotFound", `{"session_id":"nope"}`, http.StatusNotFound, `no session "nope"`},
		{"ErrNoSessionID", `{"audio_data":"AAAA"}`, http.StatusBadRequest, "session_id is required"},
		{"ErrBadJSON", `{"session_id":`, http.StatusBadRequest, "not valid JSON"},
		{"ErrWrongType", `{"session_id":["s1"]}`, http.StatusBadRequest, "not valid JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ta.do(t, http.MethodPost, "/webrtc/audio-data", tt.body).wantError(t, tt.status, tt.msg)
		})
	}
}

// offerWithMedia is the fixture offer with its audio section replaced by
// sections: each a media line and its attributes (mid, direction, codecs).
func offerWithMedia(t *testing.T, sections ...string) webrtc.SessionDescription {
	t.Helper()
	offer := fixtureOffer(t)
	head, _, ok := strings.Cut(offer.SDP, "m=audio")
	if !ok {
		t.Fatal("the fixture offer has no audio section")
	}
	const transport = "c=IN IP4 0.0.0.0\r\na=ice-ufrag:hTst\r\na=ice-pwd:handlersTestIcePasswordX01\r\n" +
		"a=fingerprint:sha-256 42:0D:EF:05:62:B3:09:67:42:93:97:BD:79:CF:CB:60:97:71:04:1E:EF:FD:A4:DB:8C:A9:31:B8:2C:90:4D:28\r\n" +
		"a=setup:actpass\r\n"
	sdp := strings.ReplaceAll(head, "\n", "\r\n")
	sdp = strings.ReplaceAll(sdp, "\r\r\n", "\r\n")
	for i, s := range sections {
		mline, attrs, _ := strings.Cut(s, "\n")
		sdp += mline + "\r\n" + transport + fmt.Sprintf("a=mid:%d\r\n", i) + strings.ReplaceAll(attrs, "\n", "\r\n")
	}
	return webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}
}

// TestOfferErrNoOpusAudio: an offer that sends no Opus audio (a data
// channel, video, or audio in another codec) is refused at once with 400,
// and holds no session slot.
func TestOfferErrNoOpusAudio(t *testing.T) {
	const (
		opus = "m=audio 9 UDP/TLS/RTP/SAVPF 111\na=sendonly\na=rtcp-mux\na=rtpmap:111 opus/48000/2\na=fmtp:111 minptime=10;useinbandfec=1\n"
		pcmu = "m=audio 9 UDP/TLS/RTP/SAVPF 0 8\na=sendonly\na=rtcp-mux\na=rtpmap:0 PCMU/8000\na=rtpmap:8 PCMA/8000\n"
		vp8  = "m=video 9 UDP/TLS/RTP/SAVPF 96\na=sendonly\na=rtcp-mux\na=rtpmap:96 VP8/90000\n"
		data = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\na=sctp-port:5000\n"
	)
	for _, tt := range []struct {
		name     string
		sections []string
	}{
		{"DataChannelOnly", []string{data}},
		{"VideoOnly", []string{vp8}},
		{"PCMUOnly", []string{pcmu}},
		{"PCMUAndData", []string{pcmu, data}},
		{"OpusRecvOnly", []string{strings.Replace(opus, "a=sendonly", "a=recvonly", 1)}},
		{"NoMedia", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ta, m := newRTCApp(t)
			body := offerBody(t, "s1", offerWithMedia(t, tt.sections...))
			ta.do(t, http.MethodPost, "/webrtc/offer", body).wantError(t, http.StatusBadRequest, "Opus audio")
			wantNoSession(t, m, "s1")
		})
	}
	// Opus audio beside other media is what a browser may send: accepted.
	for _, tt := range []struct {
		name     string
		sections []string
	}{
		{"OpusAlone", []string{opus}},
		{"OpusAfterVideo", []string{vp8, opus}},
		{"OpusWithData", []string{opus, data}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ta, m := newRTCApp(t)
			ta.do(t, http.MethodPost, "/webrtc/offer", offerBody(t, "s1", offerWithMedia(t, tt.sections...))).
				wantStatus(t, http.StatusOK)
			if n := m.Live(); n != 1 {
				t.Errorf("Live() = %d, want 1", n)
			}
		})
	}
}
