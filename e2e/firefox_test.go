//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/firefox"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/ogg"
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
