//go:build linux

package e2e

import (
	"bytes"
	"context"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/avatarweb/recorder/internal/webkit"
	"github.com/avatarweb/recorder/media/mediatest"
	"github.com/avatarweb/recorder/media/mp4"
)

// WebKit's mock microphone (MiniBrowser --enable-mock-capture-devices)
// plays a steady 150 Hz hum with a short beep every second: the hum is
// what the saved audio must hold.
const webkitHumHz = 150

// Debian's WebKitGTK (package webkit2gtk-driver) and the X server it runs
// on (package xvfb). WEBKIT_DRIVER names another driver.
const (
	webkitDriver  = "/usr/bin/WebKitWebDriver"
	webkitBrowser = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
	xvfbPath      = "/usr/bin/Xvfb"
)

// webkitOptions finds WebKitGTK (its WebDriver, MiniBrowser and Xvfb).
func webkitOptions(t *testing.T) webkit.Options {
	t.Helper()
	driver := os.Getenv("WEBKIT_DRIVER")
	if driver == "" {
		driver = webkitDriver
	}
	for _, p := range []string{driver, webkitBrowser, xvfbPath} {
		findEngine(t, "WebKit", p+" is missing; install WebKitGTK with `apt-get install -y webkit2gtk-driver xvfb`", p)
	}
	return webkit.Options{
		Driver: driver, Browser: webkitBrowser, Xvfb: xvfbPath,
		Args: []string{"--enable-mock-capture-devices=true", "--enable-media-stream=true"},
		Log:  t.Logf,
	}
}

// newWebKit starts WebKitGTK's MiniBrowser (width×height), closed when
// the test ends; p.b is its *webkit.Browser.
func newWebKit(t *testing.T, width, height int) *tab {
	t.Helper()
	opt := webkitOptions(t)
	opt.Width, opt.Height = width, height
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	b, err := webkit.Launch(ctx, opt)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(); cancel() })
	return &tab{t: t, engine: "WebKit", b: b, ctx: ctx}
}

// decodedAudio is what a browser makes of a recording: its player's
// length, and a stretch of its decoded samples.
type decodedAudio struct {
	Player  float64   `json:"player"`  // <audio>.duration
	Decoded float64   `json:"decoded"` // AudioBuffer.duration
	Rate    int       `json:"rate"`
	Samples []float32 `json:"samples"` // 2 s from the middle, first channel
	Played  float64   `json:"played"`  // seconds the player advanced while playing, muted
}

// decodeJS has the page play url in an <audio> (muted: no user gesture
// needed), and decode it with Web Audio.
func decodeJS(url string) string {
	return `(async () => {
	const url = ` + strconv.Quote(url) + `;
	const a = new Audio(url);
	a.muted = true;
	await new Promise((ok, fail) => { a.onloadedmetadata = ok; a.onerror = () => fail(new Error('the player cannot load it: ' + (a.error && a.error.code))); });
	const player = a.duration;
	let played = 0;
	try {
		await a.play();
		const from = a.currentTime;
		await new Promise((r) => setTimeout(r, 1200));
		played = a.currentTime - from;
		a.pause();
	} catch (e) { played = -1; }
	const buf = await new OfflineAudioContext(1, 1, 44100).decodeAudioData(await (await fetch(url)).arrayBuffer());
	const data = buf.getChannelData(0);
	const mid = Math.floor(data.length / 2), half = Math.min(buf.sampleRate, mid);
	return { player, played, decoded: buf.duration, rate: buf.sampleRate, samples: Array.from(data.subarray(mid - half, mid + half)) };
})()`
}

// checkDecoded: a browser plays and decodes a saved recording as long as
// it is, and hears the tone.
func checkDecoded(t *testing.T, engine string, got decodedAudio, want, hz float64) {
	t.Helper()
	f := mediatest.DominantFrequency(got.Samples, got.Rate)
	t.Logf("%s: player %.2f s, decoded %.2f s, played %.2f s in 1.2 s, %.1f Hz", engine, got.Player, got.Decoded, got.Played, f)
	if math.Abs(got.Player-want) > 0.1 || math.Abs(got.Decoded-want) > 0.1 {
		t.Errorf("%s: the player says %.2f s and decodes %.2f s of a %.2f s recording", engine, got.Player, got.Decoded, want)
	}
	if got.Played < 0.5 {
		t.Errorf("%s: the player did not play (%.2f s in 1.2 s)", engine, got.Played)
	}
	if math.Abs(f-hz) > 5 {
		t.Errorf("%s: dominant frequency %.1f Hz, want %.0f ± 5", engine, f, hz)
	}
}

// TestWebKitRecord: Safari's engine records a take. WebKitGTK has no
// WebRTC, so the live mode is shown off with the reason and Record in the
// browser is chosen; its MP4 (AAC, ftyp twice, a repeated moof) uploads,
// the review knows the take's real length, Enter in the title saves, and
// the saved recording plays, with the mock microphone's hum, in WebKit
// and in Chromium.
func TestWebKitRecord(t *testing.T) {
	srv := startServer(t, nil)
	p := newWebKit(t, 1280, 800)
	p.do("opening the page", p.navigate(srv.url), p.waitFor(`body[data-ready]`))
	var modes struct {
		LiveOff, RecordOn bool
		Why               string
	}
	if err := p.b.Eval(p.ctx, `({liveOff: document.getElementById('mode-webrtc').disabled, recordOn: document.getElementById('mode-record').checked,
		why: document.querySelector('[data-testid=mode-webrtc-why]')?.textContent || ''})`, &modes); err != nil {
		t.Fatal(err)
	}
	if !modes.LiveOff || !modes.RecordOn || !strings.Contains(modes.Why, "no WebRTC") {
		t.Errorf("modes: %+v; want live off, saying it has no WebRTC, and Record in the browser chosen", modes)
	}
	p.shoot("webkit-idle.png")
	p.do("choosing live anyway", p.press("Live to the server"))
	var live bool
	if err := p.b.Eval(p.ctx, `document.getElementById('mode-webrtc').checked`, &live); err != nil || live {
		t.Errorf("the live mode could be chosen (%v)", err)
	}

	p.do("recording", p.press("Record"), p.waitFor(`body[data-state=recording]`), sleep(4*time.Second))
	p.shoot("webkit-recording.png")
	p.do("stopping", p.press("Stop"), p.waitFor(`body[data-state=draft]`))
	recorded, err := strconv.ParseFloat(p.attr("body", "data-recorded-seconds"), 64)
	if err != nil {
		t.Fatal(err)
	}
	status, _ := p.b.Text(p.ctx, `[data-testid=status]`)
	if !strings.Contains(status, "Stopped: ") || !strings.Contains(status, " s recorded") {
		t.Errorf("status after Stop: %q, want “Stopped: N s recorded”", status)
	}
	var review struct {
		Duration float64
		Focused  string
	}
	if err := p.b.Eval(p.ctx, `new Promise((resolve) => {
		const a = document.getElementById('preview');
		const done = () => resolve({duration: a.duration, focused: document.activeElement?.id || ''});
		if (a.readyState >= 1) done(); else a.addEventListener('loadedmetadata', done, {once: true});
	})`, &review); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %.2f s; the review player says %.2f s; status %q", recorded, review.Duration, status)
	if math.IsNaN(review.Duration) || math.IsInf(review.Duration, 0) || math.Abs(review.Duration-recorded) > 0.2*recorded {
		t.Errorf("the review player says %.2f s for a %.2f s take", review.Duration, recorded)
	}
	if review.Focused != "take-title" {
		t.Errorf("after Stop the focus is on %q, want the title", review.Focused)
	}
	time.Sleep(500 * time.Millisecond) // the waveform draws
	p.shoot("webkit-review.png")

	// Enter in the title saves.
	if err := p.b.(*webkit.Browser).Type(p.ctx, `[data-testid=take-title]`, "Safari take\ue007"); err != nil {
		t.Fatal(err)
	}
	p.do("saving with Enter", p.waitFor(`body[data-saved-filename]`))
	filename := p.attr("body", "data-saved-filename")
	p.do("the list showing the take", p.waitFor(`[data-testid=recording][data-filename="`+filename+`"]`))
	p.shoot("webkit-saved.png")

	file := readSaved(t, srv.Config.RecordingsDir(), filename)
	audio := file.Audio
	info, err := mp4.Probe(bytes.NewReader(audio), int64(len(audio)))
	if err != nil || info.Codec != mp4.CodecAAC || info.Fragmented || file.MIME != "audio/mp4;codecs=mp4a.40.2" || file.Title != "Safari take" {
		t.Fatalf("stored %q titled %q: %+v, %v; want an ordinary AAC MP4 titled Safari take", file.MIME, file.Title, info, err)
	}
	if math.Abs(file.Duration-recorded) > 0.15*recorded {
		t.Errorf("saved %.2f s of a %.2f s take", file.Duration, recorded)
	}
	url := "/recordings/" + filename + "/audio"
	var inWebKit decodedAudio
	if err := p.b.Eval(p.ctx, decodeJS(url), &inWebKit); err != nil {
		t.Fatal(err)
	}
	checkDecoded(t, "WebKit", inWebKit, file.Duration, webkitHumHz)

	chromiumPath(t)
	ctx := launch(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.url)); err != nil {
		t.Fatal(err)
	}
	inChromium, err := chromedp.Run(ctx, chromedp.Evaluate[decodedAudio](decodeJS(url), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	checkDecoded(t, "Chromium", inChromium, file.Duration, webkitHumHz)
}
