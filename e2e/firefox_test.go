//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/firefox"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
	"github.com/avatarweb/recorder/media/ogg"
	"github.com/avatarweb/recorder/media/webm"
)

// Firefox's fake microphone (media.navigator.streams.fake) plays a sine at
// media.navigator.audio.fake_frequency, 1000 Hz unless set. The tests keep
// the default, so what they assert is what the fake device plays.
const firefoxToneHz = 1000

// firefoxPath finds Debian's firefox-esr (or FIREFOX).
func firefoxPath(t *testing.T) string {
	t.Helper()
	return findEngine(t, "Firefox", "install it with `apt-get install -y firefox-esr`, or set FIREFOX=path",
		os.Getenv("FIREFOX"), "/usr/bin/firefox-esr", "/usr/bin/firefox")
}

// firefoxPrefs: a fake microphone granted without a prompt, autoplay
// allowed, ICE on loopback, and secureHost (if any: a plain-http server at
// a namespace address) trusted as a secure origin, as Chromium's
// --unsafely-treat-insecure-origin-as-secure does; getUserMedia is allowed
// on insecure pages too, for good measure.
func firefoxPrefs(secureHost string) map[string]any {
	return map[string]any{
		"media.navigator.streams.fake":        true,
		"media.navigator.permission.disabled": true,
		"media.devices.insecure.enabled":      true,
		"media.getusermedia.insecure.enabled": true,
		"dom.securecontext.allowlist":         secureHost,
		"media.autoplay.default":              0,
		// Without it Firefox offers no candidate on a machine whose only
		// interface is loopback, and none on 127.0.0.1 at all.
		"media.peerconnection.ice.loopback":          true,
		"browser.shell.checkDefaultBrowser":          false,
		"datareporting.policy.dataSubmissionEnabled": false,
	}
}

// newFirefox starts headless Firefox; wrap and dial place it in a network
// namespace (both nil: this one), where it trusts secureHost's plain-http
// pages. It is closed when the test ends.
func newFirefox(t *testing.T, wrap []string, dial func(context.Context, string, string) (net.Conn, error), secureHost string) *tab {
	t.Helper()
	exe := firefoxPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	b, err := firefox.Launch(ctx, firefox.Options{Exec: exe, Wrap: wrap, Dial: dial, Prefs: firefoxPrefs(secureHost), Log: t.Logf})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(); cancel() })
	return &tab{t: t, engine: "Firefox", b: b, ctx: ctx}
}

// TestCaptureFirefoxRTP saves the packets Firefox sends for its fake
// microphone's tone, for the decoder's unit tests: the stream starts with
// a burst of padding-only packets (Firefox's bandwidth probe). It runs
// only when RECORDER_CAPTURE_RTP names a directory.
func TestCaptureFirefoxRTP(t *testing.T) {
	dir := os.Getenv(captureEnv)
	if dir == "" {
		t.Skip("set " + captureEnv + "=dir to capture Firefox RTP packets")
	}
	var capture captured
	srv := startServer(t, capture.add)
	newFirefox(t, nil, nil, "").recordLive(srv.url, func() { time.Sleep(2 * time.Second) })
	path := filepath.Join(dir, "firefox-1khz.rtp")
	if err := mediatest.WritePackets(path, capture.packets()); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d packets", path, len(capture.packets()))
}

// TestFirefoxWebRTC records Firefox's fake microphone through the real page
// over WebRTC and checks that every audio packet was decoded: no decode
// errors, the padding-only packets Firefox probes the bandwidth with
// counted apart (each one checked to be padding, stamped like the audio
// before it), and a saved take as long as the time recorded, the 1 kHz
// tone from start to end.
//
// Firefox gathers no ICE candidates on loopback unless told to
// (media.peerconnection.ice.loopback); with that, it talks to the server
// on 127.0.0.1 like the Chromium tests. TestNetNAT runs it across
// namespaces as well.
func TestFirefoxWebRTC(t *testing.T) {
	firefoxPath(t)
	for _, rate := range []int{48000, 16000} {
		t.Run(strconv.Itoa(rate), func(t *testing.T) {
			var capture captured
			srv := startServer(t, capture.add)
			postJSON(t, srv.url+"/update_params", map[string]any{"sample_rate": rate, "channels": 1})
			p := newFirefox(t, nil, nil, "")
			name, recorded := p.recordLive(srv.url, func() { time.Sleep(3 * time.Second) })

			var audio, padding int
			var prevTS uint32
			for i, pk := range capture.packets() {
				switch {
				case len(pk.Payload) > 0:
					audio++
				case pk.Padding == 0 || i == 0 || pk.Timestamp != prevTS:
					t.Errorf("packet %d (seq %d): empty, padding %d, timestamp %d after %d: not a padding-only probe", i, pk.SequenceNumber, pk.Padding, pk.Timestamp, prevTS)
				default:
					padding++
				}
				prevTS = pk.Timestamp
			}
			stats := savedStats(t, srv.Config.RecordingsDir(), name)
			t.Logf("%d audio packets, %d padding-only; stats %v", audio, padding, stats)
			if stats["decode_errors"] != 0 || stats["empty_packets"] != int64(padding) || stats["packets"] != int64(audio+padding) {
				t.Errorf("stats %v: want no decode errors and the %d padding-only packets of %d counted apart", stats, padding, audio+padding)
			}
			if stats["lost_packets"] == 0 && stats["late_packets"] == 0 && stats["decoded_samples"] != int64(audio)*media.OpusRate/50 {
				t.Errorf("decoded %d samples from %d audio packets of 20 ms: not all decoded in full", stats["decoded_samples"], audio)
			}
			samples, got := loadTake(t, srv.Config.DataDir, name)
			if got != rate {
				t.Errorf("take at %d Hz, want %d", got, rate)
			}
			checkTone(t, samples, got, recorded, firefoxToneHz)
			// Decoded in full: the whole take is the tone, no silent stretch.
			if quiet := longestQuiet(samples, got); quiet > 0.05 {
				t.Errorf("%.2f s of silence in the take: audio went missing", quiet)
			}
		})
	}
}

// savedStats reads the counters stored with a saved recording.
func savedStats(t *testing.T, dir, filename string) map[string]int64 {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, filename))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Stats map[string]int64 `json:"stats"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	return file.Stats
}

// TestFirefoxMediaRecorder records Firefox's fake microphone in Record mode
// with a pause, listens back, saves, and checks the stored take: WebM or
// Ogg with Opus, as long as the time recorded without the pause, the
// 1 kHz tone.
func TestFirefoxMediaRecorder(t *testing.T) {
	firefoxPath(t)
	srv := startServer(t, nil)
	p := newFirefox(t, nil, nil, "")
	p.do("recording", p.navigate(srv.url), p.waitFor(`body[data-ready]`),
		p.press("Record in the browser"), p.press("Record"), p.waitFor(`body[data-state=recording]`),
		sleep(1500*time.Millisecond))
	// The meters' AudioContext is made (or resumed) in the click. Where it
	// still cannot run (headless Firefox without a sound device: no audio
	// output, no clock for Web Audio) the page says so, instead of flat
	// meters that look like a dead microphone.
	var meters struct {
		State, Level string
		Note         bool
	}
	if err := p.b.Eval(p.ctx, `({state: document.body.dataset.meters || '', level: document.getElementById('level-bar').style.transform,
		note: !!document.querySelector('[data-testid=meter-note]')?.getClientRects().length})`, &meters); err != nil {
		t.Fatal(err)
	}
	t.Logf("meters: %+v", meters)
	switch {
	case meters.State == "on" && (meters.Level == "scaleX(0)" || meters.Note):
		t.Errorf("meters %+v: on, yet flat or said off", meters)
	case meters.State == "off" && !meters.Note:
		t.Errorf("meters %+v: off, and the page does not say so", meters)
	case meters.State != "on" && meters.State != "off":
		t.Errorf("meters %+v: the page does not know whether they run", meters)
	}
	p.do("pausing and resuming",
		p.click(`[data-testid=btn-pause]`), p.waitFor(`body[data-state=paused]`),
		sleep(time.Second),
		p.click(`[data-testid=btn-pause]`), p.waitFor(`body[data-state=recording]`),
		sleep(1500*time.Millisecond),
		p.click(`[data-testid=btn-stop]`), p.waitFor(`body[data-state=draft]`))
	var canPlay bool
	if err := p.b.Eval(p.ctx, `new Promise((resolve) => {
		const a = document.querySelector('[data-testid=preview]');
		if (a.readyState >= 2) return resolve(true);
		a.addEventListener('loadeddata', () => resolve(true), { once: true });
		a.addEventListener('error', () => resolve(false), { once: true });
		a.load();
	})`, &canPlay); err != nil || !canPlay {
		t.Errorf("the listen-back player could not load the uploaded take: %v", err)
	}
	recorded, err := strconv.ParseFloat(p.attr("body", "data-recorded-seconds"), 64)
	if err != nil {
		t.Fatal(err)
	}
	p.do("saving", p.click(`[data-testid=btn-save]`), p.waitFor(`body[data-saved-filename]`))
	filename := p.attr("body", "data-saved-filename")
	p.do("the list showing the take", p.waitFor(fmt.Sprintf(`[data-testid=recording][data-filename=%q]`, filename)))

	raw, err := os.ReadFile(filepath.Join(srv.Config.RecordingsDir(), filename))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		AudioData string  `json:"audio_data"`
		MIME      string  `json:"mime"`
		Mode      string  `json:"mode"`
		Duration  float64 `json:"duration"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	audio, err := base64.StdEncoding.DecodeString(file.AudioData)
	if err != nil {
		t.Fatal(err)
	}
	var pcm []float32
	var channels int
	var dur float64
	switch file.MIME {
	case "audio/webm;codecs=opus":
		info, err := webm.Probe(bytes.NewReader(audio), int64(len(audio)))
		if err != nil || !info.HasDuration || info.Codec != webm.CodecOpus {
			t.Fatalf("stored WebM: %+v, %v; want Opus with a duration", info, err)
		}
		dur = info.Duration.Seconds()
		if pcm, channels, err = webm.DecodeOpus(bytes.NewReader(audio), int64(len(audio))); err != nil {
			t.Fatal(err)
		}
	case "audio/ogg;codecs=opus", "audio/ogg":
		pcm, dur = decodeOgg(t, audio)
		channels = 1
	default:
		t.Fatalf("stored as %q: want WebM or Ogg with Opus", file.MIME)
	}
	t.Logf("Firefox recorded %s, %d bytes, %d channel(s), %.3f s", file.MIME, len(audio), channels, dur)
	if file.Mode != "mediarecorder" || math.Abs(file.Duration-dur) > 0.001 {
		t.Errorf("mode %q, duration %.3f s in the file, %.3f s in the audio", file.Mode, file.Duration, dur)
	}
	if math.Abs(dur-recorded) > 0.1*recorded {
		t.Errorf("duration %.3f s, the page recorded %.3f s without the pause (want ±10%%)", dur, recorded)
	}
	left := mediatest.Channel(pcm, channels, 0)
	checkTone(t, left, media.OpusRate, float64(len(left))/media.OpusRate, firefoxToneHz)
}

// decodeOgg decodes an Ogg/Opus file to mono 48 kHz PCM and its length in
// seconds.
func decodeOgg(t *testing.T, audio []byte) ([]float32, float64) {
	t.Helper()
	info, err := ogg.Probe(bytes.NewReader(audio))
	if err != nil {
		t.Fatalf("stored Ogg: %v", err)
	}
	stats := &media.Stats{}
	dec, err := media.NewDecoder(1, stats, nil)
	if err != nil {
		t.Fatal(err)
	}
	var pcm []float32
	emit := func(p media.PCM) error { pcm = append(pcm, p.Samples...); return nil }
	seq := uint16(0)
	err = ogg.Packets(bytes.NewReader(audio), func(_ int64, pkt []byte) error {
		// Each packet starts where the audio decoded so far ends.
		p := media.Packet{SequenceNumber: seq, Timestamp: uint32(stats.DecodedSamples.Load()), Payload: pkt}
		seq++
		return dec.Decode(p, emit)
	})
	if err != nil || stats.DecodeErrors.Load() != 0 {
		t.Fatalf("decoding the Ogg: %v, %d decode errors", err, stats.DecodeErrors.Load())
	}
	return pcm, info.Duration.Seconds()
}
