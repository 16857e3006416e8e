package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/avatarweb/recorder/internal/app"
	"github.com/avatarweb/recorder/internal/config"
	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// captureEnv, when set to a directory, makes TestCaptureRTP record real
// Chromium RTP packets there: how media/testdata got them.
const captureEnv = "RECORDER_CAPTURE_RTP"

const toneHz = 440

// chromiumPath finds Debian's chromium (or CHROMIUM).
func chromiumPath(t *testing.T) string {
	t.Helper()
	return findEngine(t, "Chromium", "install it with `apt-get install -y chromium`, or set CHROMIUM=path",
		os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser")
}

// testServer runs the real server on a free loopback port with a temp
// data directory.
type testServer struct {
	*app.Server
	url string
}

func startServer(t *testing.T, tap func(string, media.Packet), flags ...string) *testServer {
	t.Helper()
	cfg, err := config.Parse(append([]string{"-data", t.TempDir(), "-addr", "127.0.0.1:0"}, flags...), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tap = tap
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := app.New(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		srv.Close()
	})
	return &testServer{Server: srv, url: "http://" + ln.Addr().String()}
}

// testWriter sends server logs to the test log, shown on failure or -v.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// newBrowser starts headless Chromium whose fake microphone plays wav.
func newBrowser(t *testing.T, wav string) context.Context {
	t.Helper()
	return launch(t,
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", wav),
	)
}

// launch starts headless Chromium with the given extra flags.
func launch(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	return launchChromium(t, chromiumPath(t), 90*time.Second,
		append([]chromedp.ExecAllocatorOption{chromedp.Flag("allow-loopback-in-peer-connection", true)}, extra...)...)
}

// launchChromium starts headless Chromium from execPath (the browser, or
// a wrapper that runs it in a network namespace) with the flags every
// test's Chromium has and extra, and returns its context, which ends
// after timeout or with the test. It is the one place a test's Chromium
// is started.
func launchChromium(t *testing.T, execPath string, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
	)
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// toneWAV writes a 440 Hz tone long enough to outlast a take (Chromium
// loops the file anyway).
func toneWAV(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tone440.wav")
	if err := mediatest.WriteWAV(path, mediatest.Tone(toneHz, 48000, 1, 20, 0.5), 48000, 1); err != nil {
		t.Fatal(err)
	}
	return path
}

func postJSON(t *testing.T, url string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("POST %s: %d, undecodable body: %v", url, res.StatusCode, err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %v", url, res.StatusCode, out)
	}
	return out
}

// TestBrowserMicErrors: a denied or missing microphone is explained on the
// page, and the page is ready to try again.
func TestBrowserMicErrors(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t, nil)
	for _, tc := range []struct {
		name  string
		flags []chromedp.ExecAllocatorOption
		want  string
	}{
		// No fake UI: headless Chromium denies the permission prompt.
		{"Denied", []chromedp.ExecAllocatorOption{chromedp.Flag("use-fake-device-for-media-stream", true)}, "denied"},
		// Fake UI grants permission, but there is no device at all.
		{"NoMicrophone", []chromedp.ExecAllocatorOption{chromedp.Flag("use-fake-ui-for-media-stream", true)}, "No microphone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := launch(t, tc.flags...)
			type css = chromedp.CSS
			err := chromedp.Do(ctx,
				chromedp.Navigate(srv.url),
				chromedp.Click(css(`[data-testid=btn-start]`)),
				chromedp.WaitReady(css(`body[data-state=error]`)),
			)
			if err != nil {
				t.Fatal(err)
			}
			status, err := chromedp.Run(ctx, chromedp.Text(css(`[data-testid=status]`)))
			if err != nil || !strings.Contains(status, tc.want) {
				t.Errorf("status line %q (err %v), want it to say %q", status, err, tc.want)
			}
			disabled, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('btn-start').disabled`))
			if disabled {
				t.Error("WebRTC button stays disabled after the error: the user cannot retry")
			}
			if n := srv.Sessions.Live(); n != 0 {
				t.Errorf("%d sessions live after a mic error", n)
			}
		})
	}
}

// TestCaptureRTP saves the packets the browsers send for their fake
// microphones, for the decoder's unit tests: Chromium's tone once at its
// default bitrate (CELT after a Hybrid start) and once capped to 12 kbps
// (SILK wideband); Firefox's tone, whose stream starts with a burst of
// padding-only packets (its bandwidth probe). It runs only when
// RECORDER_CAPTURE_RTP names a directory.
func TestCaptureRTP(t *testing.T) {
	dir := os.Getenv(captureEnv)
	if dir == "" {
		t.Skip("set " + captureEnv + "=dir to capture browser RTP packets")
	}
	files := map[string][]struct{ name, maxBitrate string }{
		"Chromium": {{"chromium-440hz-celt.rtp", ""}, {"chromium-440hz-silk.rtp", "12000"}},
		"Firefox":  {{"firefox-1khz.rtp", ""}},
	}
	forEachLiveEngine(t, func(t *testing.T, e engine) {
		for _, f := range files[e.name] {
			var capture captured
			srv := startServer(t, capture.add)
			p := e.open(t)
			p.recordLive(srv.url, func() {
				if f.maxBitrate != "" {
					p.do("capping the bitrate", p.run(`(async () => {
						const sender = window.recorder.session.pc.getSenders()[0];
						const p = sender.getParameters();
						p.encodings[0].maxBitrate = `+f.maxBitrate+`;
						await sender.setParameters(p);
					})()`))
				}
				time.Sleep(2 * time.Second)
			})
			path := filepath.Join(dir, f.name)
			if err := mediatest.WritePackets(path, capture.packets()); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d packets", path, len(capture.packets()))
		}
	})
}

func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil || !v.Exists {
		t.Fatalf("%s[%s]: %v (exists %v)", sel, name, err, v.Exists)
	}
	return v.Value
}

// checkRecording reads a saved live take from disk and its SQLite row: a
// mono WAV at rate holding the tone of e's microphone at no less than half
// its level, as long as the page recorded.
func checkRecording(t *testing.T, srv *testServer, filename string, rate int, recorded float64, e engine) {
	t.Helper()
	file := readSaved(t, srv.Config.RecordingsDir(), filename)
	audio := file.Audio
	r := bytes.NewReader(audio)
	info, err := media.ReadWAVHeader(r)
	if err != nil {
		t.Fatalf("audio_data is not a WAV: %v", err)
	}
	pcm, _ := io.ReadAll(r)
	samples := media.S16LEToFloat(nil, pcm)

	if info.SampleRate != rate || info.Channels != 1 || file.SampleRate != rate || file.Params.SampleRate != rate {
		t.Errorf("format: wav %d Hz × %d, file says %d Hz, params %+v; want %d Hz mono", info.SampleRate, info.Channels, file.SampleRate, file.Params, rate)
	}
	if file.MIME != "audio/wav" || file.Mode != "webrtc" || file.Bytes != int64(len(audio)) {
		t.Errorf("metadata: mime %q mode %q bytes %d (audio is %d bytes)", file.MIME, file.Mode, file.Bytes, len(audio))
	}
	// Skip the first 200 ms: Opus starts in Hybrid mode and ramps up.
	steady := samples[min(len(samples), rate/5):]
	if f := mediatest.DominantFrequency(steady, rate); math.Abs(f-e.tone) > 5 {
		t.Errorf("dominant frequency %.1f Hz, want %.0f ± 5 Hz", f, e.tone)
	} else {
		t.Logf("dominant frequency %.2f Hz, RMS %.3f", f, mediatest.RMS(steady))
	}
	if rms := mediatest.RMS(steady); rms < e.level/2 {
		t.Errorf("RMS %.3f: %s's tone (RMS %.2f) came out too quiet", rms, e.name, e.level)
	}
	// The page's clock starts as the connection is up; a loaded machine's
	// Firefox starts sending its audio up to ~0.7 s later. So a short take
	// may be that much shorter, never longer.
	dur := info.Duration()
	if short := recorded - dur; dur > 1.15*recorded || short > max(0.15*recorded, 0.7) || math.Abs(file.Duration-dur) > 1e-6 {
		t.Errorf("duration: audio %.3f s, file says %.3f s, page recorded %.3f s (want +15%%, -max(15%%, 0.7 s))", dur, file.Duration, recorded)
	} else {
		t.Logf("duration %.3f s vs %.3f s recorded (%.1f%%)", dur, recorded, 100*(dur-recorded)/recorded)
	}

	row, err := srv.DB.GetRecording(context.Background(), filename)
	if err != nil {
		t.Fatalf("no SQLite row for %s: %v", filename, err)
	}
	if row.SampleRate != rate || row.Channels != 1 || row.Mode != "webrtc" || row.MIME != "audio/wav" ||
		row.Bytes != int64(len(audio)) || row.SessionID != file.SessionID || math.Abs(row.Duration-dur) > 1e-6 ||
		row.FPS != file.Params.FPS || row.BatchSize != file.Params.BatchSize {
		t.Errorf("SQLite row %+v does not match the file (%d Hz, %d bytes, %.3f s, session %s)", row, rate, len(audio), dur, file.SessionID)
	}
}

type captured struct {
	mu   sync.Mutex
	list []media.Packet
}

func (c *captured) add(_ string, p media.Packet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.list = append(c.list, p)
}

func (c *captured) packets() []media.Packet {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.list
}

// TestBrowserLiveParams changes fps through the form on the recording page
// and batch size through /ws on a second page during one live take, and
// checks that every page shows each change, that the server's frames and
// batches account for the audio at each setting, and that the saved take
// records where the changes took effect.
func TestBrowserLiveParams(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t, nil)
	const rate = 16000
	postJSON(t, srv.url+"/update_params", map[string]any{"sample_rate": rate, "channels": 1, "fps": 30, "batch_size": 16})

	rec := newBrowser(t, toneWAV(t))
	type css = chromedp.CSS
	if err := chromedp.Do(rec, chromedp.Navigate(srv.url)); err != nil { // starts the browser
		t.Fatal(err)
	}
	watcher, cancel := chromedp.NewContext(rec) // a second tab in the same browser
	defer cancel()
	if err := chromedp.Do(watcher, chromedp.Navigate(srv.url), chromedp.WaitVisible(css(`#params-form`))); err != nil {
		t.Fatal(err)
	}
	// A steady tone is what the browser's processing removes: off.
	recTab := chromiumTab(t, rec)
	recTab.do("turning processing off", recTab.processingOff())
	err := chromedp.Do(rec,
		startTake("webrtc"),
		chromedp.Sleep(time.Second),
		// fps through the form (htmx posts it and swaps the fragment).
		chromedp.SetValue(css(`#fps`), "25"),
		chromedp.Click(css(`[data-testid=params-submit]`)),
		chromedp.WaitReady(css(`[data-testid=params-saved]`)),
	)
	if err != nil {
		t.Fatalf("recording page: %v", err)
	}
	waitShown(t, watcher, `#fps[value="25"]`, "the second page did not show fps 25")
	if err := chromedp.Do(watcher, chromedp.Sleep(time.Second)); err != nil {
		t.Fatal(err)
	}
	// batch size through the WebSocket, from the second page.
	if sent, err := chromedp.Run(watcher, chromedp.Evaluate[bool](`window.recorder.channel.updateParams({batch_size: 32})`)); err != nil || !sent {
		t.Fatalf("sending update_params over /ws: %v (sent %v)", err, sent)
	}
	waitShown(t, rec, `#batch_size[value="32"]`, "the recording page did not show batch size 32")
	id := attrOrFail(t, rec, `[data-testid=session-id]`)
	if err := chromedp.Do(rec, chromedp.Sleep(time.Second),
		chromedp.Click(css(`[data-testid=btn-stop]`)), chromedp.WaitReady(css(`body[data-state=draft]`))); err != nil {
		t.Fatal(err)
	}
	if frames, _ := chromedp.Run(rec, chromedp.Text(css(`[data-testid=st-frames]`))); !strings.Contains(frames, "frames") {
		t.Errorf("the stats panel never showed frames over /ws: %q", frames)
	}

	s, err := srv.Sessions.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	info := s.Info()
	checkFraming(t, info.Framing, info.Stats.OutputFrames, rate)

	if err := chromedp.Do(rec, chromedp.Click(css(`[data-testid=btn-save]`)), chromedp.WaitReady(css(`body[data-saved-filename]`))); err != nil {
		t.Fatal(err)
	}
	var file struct {
		ParamChanges []media.ParamChange `json:"param_changes"`
		Stats        map[string]int64    `json:"stats"`
	}
	raw, err := os.ReadFile(filepath.Join(srv.Config.RecordingsDir(), attr(t, rec, "body", "data-saved-filename")))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(file.ParamChanges) != fmt.Sprint(info.Framing.Changes) || file.Stats["frames"] != info.Framing.Frames {
		t.Errorf("saved take: changes %+v frames %d; session had %+v and %d", file.ParamChanges, file.Stats["frames"], info.Framing.Changes, info.Framing.Frames)
	}
}

// checkFraming recomputes frame and batch counts from the audio the
// server received and where each change took effect.
func checkFraming(t *testing.T, f media.FramingInfo, samples int64, rate int64) {
	t.Helper()
	t.Logf("%d samples → %d frames, %d batches; changes %+v", samples, f.Frames, f.Batches, f.Changes)
	if len(f.Changes) != 2 || f.Changes[0].FPS != 25 || f.Changes[0].BatchSize != 16 || f.Changes[1].FPS != 25 || f.Changes[1].BatchSize != 32 {
		t.Fatalf("changes %+v, want fps 30→25, then batch size 16→32", f.Changes)
	}
	fpsAt, batchAt := f.Changes[0], f.Changes[1]
	// Frames: F1 at 30 fps, then the rest of the audio at 25 fps.
	start := int64(math.Round(fpsAt.Seconds * float64(rate)))
	if want := fpsAt.Frame * rate / 30; start != want {
		t.Errorf("fps change at frame %d starts at sample %d, want %d", fpsAt.Frame, start, want)
	}
	if want := fpsAt.Frame + ceilDiv((samples-start)*25, rate); f.Frames != want {
		t.Errorf("%d frames, want %d (%d at 30 fps + the %d samples after at 25 fps)", f.Frames, want, fpsAt.Frame, samples-start)
	}
	// Batches: of 16 up to the fps change (the last one cut short there),
	// of 16 from it to the batch change, of 32 after.
	if (batchAt.Frame-fpsAt.Frame)%16 != 0 {
		t.Errorf("batch size change at frame %d is not a batch boundary after frame %d", batchAt.Frame, fpsAt.Frame)
	}
	want := ceilDiv(fpsAt.Frame, 16) + (batchAt.Frame-fpsAt.Frame)/16 + ceilDiv(f.Frames-batchAt.Frame, 32)
	if f.Batches != want {
		t.Errorf("%d batches, want %d", f.Batches, want)
	}
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

func waitShown(t *testing.T, ctx context.Context, sel, what string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, time.Second+500*time.Millisecond)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitReady(chromedp.CSS(sel))); err != nil {
		t.Fatalf("%s within 1.5 s: %v", what, err)
	}
}

func attrOrFail(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil || text == "" {
		t.Fatalf("%s: %q, %v", sel, text, err)
	}
	return text
}

// TestBrowserAtCapacity: a live take the server has no room for is
// refused at once, and the page says so and that recording in the browser
// still works; in each engine with WebRTC.
func TestBrowserAtCapacity(t *testing.T) {
	forEachLiveEngine(t, func(t *testing.T, e engine) {
		srv := startServer(t, nil, "-max-sessions", "1")
		capture, api := toneSender(t)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		peer := connectPeer(t, ctx, api, srv.url, "session_occupant")
		defer peer.Close()
		go func() { _ = peer.Stream(ctx, capture, &rtcsend.SendStats{}) }()

		p := e.open(t)
		p.startTake(srv.url, "Live to the server", "error")
		if status := p.status(); !strings.Contains(status, "at capacity") || !strings.Contains(status, "Record in the browser works meanwhile") {
			t.Errorf("status %q, want it to say the server is at capacity and recording in the browser works", status)
		}
		if n := srv.Sessions.Live(); n != 1 {
			t.Errorf("%d sessions live, want only the occupant", n)
		}
	})
}
