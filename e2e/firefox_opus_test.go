package e2e

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// TestFirefoxWebRTCOpus records Firefox's fake microphone through the real
// page with the format set to opus: the saved Ogg holds the RTP payloads
// Firefox sent (its padding-only probes aside), and Firefox decodes it,
// and an Ogg with time without packets in it, to their full length.
func TestFirefoxWebRTCOpus(t *testing.T) {
	firefoxPath(t)
	var sent captured
	srv := startServer(t, func(id string, p media.Packet) {
		p.Payload = slices.Clone(p.Payload)
		sent.add(id, p)
	})
	postJSON(t, srv.url+"/update_params", map[string]any{"format": "opus"})
	p := newFirefox(t, nil, nil, "")
	name, recorded := p.recordLive(srv.url, func() { time.Sleep(3 * time.Second) })

	file := readSaved(t, srv.Config.RecordingsDir(), name)
	audio := file.Audio
	info, kept, _, err := mediatest.OggPackets(audio)
	if err != nil || file.MIME != "audio/ogg;codecs=opus" {
		t.Fatalf("stored as %s: %v", file.MIME, err)
	}
	var payloads [][]byte
	for _, pk := range sent.packets() { // Firefox on loopback: in order, none twice
		if len(pk.Payload) > 0 {
			payloads = append(payloads, pk.Payload)
		}
	}
	checkKept(t, kept, payloads, savedStats(t, srv.Config.RecordingsDir(), name))
	d := info.Duration.Seconds()
	if math.Abs(d-recorded) > 0.15*recorded {
		t.Errorf("the Ogg lasts %.3f s, the page recorded %.3f s", d, recorded)
	}
	t.Logf("%d packets, %d bytes, %.3f s (page recorded %.3f s)", len(kept), len(audio), d, recorded)

	gappy, want := gappyOgg(t)
	for src, want := range map[string]float64{"/recordings/" + name + "/audio": d, "base64:" + gappy: want} {
		var got float64
		if err := p.b.Eval(p.ctx, decodedSecondsJS(src), &got); err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 0.03 {
			t.Errorf("Firefox decodes %.3f s of an Ogg of %.3f s (%.40s)", got, want, src)
		}
	}
}
