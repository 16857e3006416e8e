package e2e

import (
	"bytes"
	"encoding/base64"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/config"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
	"github.com/avatarweb/recorder/media/ogg"
)

// TestLiveTakeOpus records each WebRTC engine's fake microphone through
// the real page with the format set to opus: the page says what an hour
// costs in each format; the saved recording is an Ogg holding the RTP
// payloads the browser sent (padding-only probes aside), byte for byte
// and in order, as long as the take; and the browser reads it back as a
// media file of that length, and decodes it, and an Ogg with time without
// packets in it, to their full length.
func TestLiveTakeOpus(t *testing.T) {
	forEachLiveEngine(t, func(t *testing.T, e engine) {
		var sent captured
		srv := startServer(t, func(id string, p media.Packet) {
			p.Payload = slices.Clone(p.Payload) // the session reads the next packet into the same buffer
			sent.add(id, p)
		})
		postJSON(t, srv.url+"/update_params", map[string]any{"sample_rate": 16000, "format": "opus"})

		p := e.open(t)
		filename, recorded := p.recordLive(srv.url, func() { time.Sleep(3 * time.Second) })

		cost := strings.Join(strings.Fields(p.text(`[data-testid=format-cost]`)), " ")
		if !strings.Contains(cost, "WAV: 146.5 MiB per hour at 16 kHz mono") || !strings.Contains(cost, "Opus: about 16.4 MiB per hour") {
			t.Errorf("the page says %q about the formats' cost", cost)
		}

		file := readSaved(t, srv.Config.RecordingsDir(), filename)
		audio := file.Audio
		if file.MIME != "audio/ogg;codecs=opus" || file.SampleRate != 48000 || file.Params.Format != "opus" ||
			file.Params.SampleRate != 16000 {
			t.Errorf("stored as %s at %d Hz, processing parameters %+v", file.MIME, file.SampleRate, file.Params)
		}
		info, kept, _, err := mediatest.OggPackets(audio)
		if err != nil {
			t.Fatalf("not a valid Ogg: %v", err)
		}
		// What the browser sent, as the server received it: in sequence
		// order, once each, padding-only packets aside.
		pkts := slices.Clone(sent.packets())
		slices.SortStableFunc(pkts, func(a, b media.Packet) int { return int(int16(a.SequenceNumber - b.SequenceNumber)) })
		pkts = slices.CompactFunc(pkts, func(a, b media.Packet) bool { return a.SequenceNumber == b.SequenceNumber })
		var payloads [][]byte
		for _, p := range pkts {
			if len(p.Payload) > 0 {
				payloads = append(payloads, p.Payload)
			}
		}
		checkKept(t, kept, payloads, savedStats(t, srv.Config.RecordingsDir(), filename))
		d := info.Duration.Seconds()
		if math.Abs(d-recorded) > 0.15*recorded || math.Abs(file.Duration-d) > 1e-6 {
			t.Errorf("duration: Ogg %.3f s, file says %.3f s, page recorded %.3f s", d, file.Duration, recorded)
		}
		t.Logf("%d packets, %d bytes, %.3f s (page recorded %.3f s): %.0f bytes/s", len(kept), len(audio), d, recorded, float64(len(audio))/d)
		// The browser was asked for config.DefaultOpusBitrate: Firefox left
		// alone sends 66 kbit/s, twice what an hour on disk can afford.
		if rate, asked := float64(len(audio))/d*8, float64(config.DefaultOpusBitrate); rate > 1.25*asked {
			t.Errorf("the Ogg holds %.0f bits/s; the browser was asked for %.0f", rate, asked)
		}

		// The browser reads the file as stored, with its length.
		var played float64
		p.eval(`new Promise((ok, fail) => {
		const a = new Audio("/recordings/`+filename+`/audio");
		a.onloadedmetadata = () => ok(a.duration);
		a.onerror = () => fail(new Error("media error " + (a.error && a.error.code)));
	})`, &played)
		if math.Abs(played-d) > 0.05 {
			t.Errorf("%s reads %.3f s of an Ogg of %.3f s", e.name, played, d)
		}
		// And decodes all of it, lost frames (time without packets) included.
		gappy, want := gappyOgg(t)
		for url, want := range map[string]float64{"/recordings/" + filename + "/audio": d, "base64:" + gappy: want} {
			var got float64
			p.eval(decodedSecondsJS(url), &got)
			if math.Abs(got-want) > 0.03 {
				t.Errorf("%s decodes %.3f s of an Ogg of %.3f s (%.40s)", e.name, got, want, url)
			}
		}
	})
}

// gappyOgg is an Ogg Opus stream as a take kept as Opus holds one: 2 s of
// Chromium's packets, 1.5 s without packets (lost frames), 1 s more. It
// returns the file as base64 and its length in seconds.
func gappyOgg(t *testing.T) (string, float64) {
	t.Helper()
	capture, _ := toneSender(t)
	var buf bytes.Buffer
	w, err := ogg.NewWriter(&buf, 5, 1, media.OpusRate, media.OpusVendor)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 150 {
		if i == 100 {
			w.Fill(72000)
		}
		if err := w.WritePacket(capture.Pkts[i%len(capture.Pkts)].Payload); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), float64(w.Granule()-ogg.PreSkip) / media.OpusRate
}

// decodedSecondsJS is a script that decodes audio with the Web Audio API,
// as a player would, and gives its length in seconds: the file at a URL
// of the page's origin, or given as "base64:" and its bytes.
func decodedSecondsJS(src string) string {
	bytes := `fetch("` + src + `").then(r => r.arrayBuffer())`
	if b64, ok := strings.CutPrefix(src, "base64:"); ok {
		bytes = `Promise.resolve(Uint8Array.from(atob("` + b64 + `"), c => c.charCodeAt(0)).buffer)`
	}
	return bytes + `.then(b => new AudioContext().decodeAudioData(b)).then(a => a.duration)`
}

// checkKept checks that the packets an Ogg kept are the payloads sent, in
// order, byte for byte. Only a packet the take's timeline had moved past
// may be missing (one that came after a stall's silence was written over
// its time, when the machine or the network held it for over
// media.DefaultStallAfter): its audio is trimmed from the PCM as well, and
// the take's stats count it.
func checkKept(t *testing.T, kept, sent [][]byte, stats map[string]int64) {
	t.Helper()
	i := 0
	for _, p := range sent {
		if i < len(kept) && bytes.Equal(kept[i], p) {
			i++
		}
	}
	missing := len(sent) - len(kept)
	switch {
	case i != len(kept):
		t.Errorf("the Ogg's packet %d of %d is none of the payloads sent, in order", i, len(kept))
	case missing > 0 && int64(missing)*480 > stats["trimmed_samples"]:
		t.Errorf("the Ogg lacks %d of the %d payloads sent; the timeline trimmed %d samples", missing, len(sent), stats["trimmed_samples"])
	case missing > 0:
		t.Logf("%d late packets left out, as %d samples were trimmed from the PCM", missing, stats["trimmed_samples"])
	}
}
