package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
	"github.com/avatarweb/recorder/media/webm"
)

// speechWAV is synthesized English speech with a pause (10.7 s, 22050 Hz
// mono): what the fake microphone plays in the tests of what users see.
const speechWAV = "../media/testdata/speech-22050-mono.wav"

type css = chromedp.CSS

// speechBrowser starts headless Chromium whose microphone plays speech.
func speechBrowser(t *testing.T) context.Context {
	t.Helper()
	chromiumPath(t)
	abs, err := filepath.Abs(speechWAV)
	if err != nil {
		t.Fatal(err)
	}
	return newBrowser(t, abs)
}

// startTake starts a take in mode "webrtc" or "record" the way a user
// does, and waits until it runs.
func startTake(mode string) chromedp.Action[chromedp.Void] {
	running := `body[data-state=live]`
	if mode == "record" {
		running = `body[data-state=recording]`
	}
	return chromedp.Steps(
		chromedp.Click(css(`[data-testid=mode-`+mode+`]`)),
		chromedp.Click(css(`[data-testid=btn-start]`)),
		chromedp.WaitReady(css(running)),
	)
}

// sampler watches the page text every 100 ms for values that must never
// show (undefined, NaN, null) and for uncaught errors; window.__bad
// collects what it saw.
const sampler = `(() => {
	if (window.__bad) return;
	window.__bad = [];
	const look = () => {
		const text = document.body.textContent;
		const m = text.match(/\b(undefined|NaN|null)\b/);
		if (m) window.__bad.push(text.slice(Math.max(0, m.index - 60), m.index + 20).replace(/\s+/g, ' '));
	};
	setInterval(look, 100);
	window.addEventListener('error', (e) => window.__bad.push('uncaught: ' + e.message));
	window.addEventListener('unhandledrejection', (e) => window.__bad.push('unhandled: ' + (e.reason && e.reason.message)));
})()`

// js evaluates JavaScript for its effect.
func js(src string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](src)(ctx, t)
		return err
	})
}

func badSeen(t *testing.T, ctx context.Context) []string {
	t.Helper()
	bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__bad || []`))
	if err != nil {
		t.Fatal(err)
	}
	return bad
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.TextContent(css(sel)))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

// savedFile is a recording's file as the tests read it.
type savedFile struct {
	Audio      []byte       `json:"audio_data"` // base64 in the file
	MIME       string       `json:"mime"`
	Duration   float64      `json:"duration"`
	Title      string       `json:"title"`
	Mode       string       `json:"mode"`
	Bytes      int64        `json:"bytes"`
	Params     media.Params `json:"processing_parameters"`
	SampleRate int          `json:"sample_rate"`
	SessionID  string       `json:"webrtc_session_id"`
}

// readSaved reads a saved recording's file from the recordings directory.
func readSaved(t *testing.T, dir, filename string) savedFile {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, filename))
	if err != nil {
		t.Fatal(err)
	}
	var file savedFile
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatalf("%s: %v", filename, err)
	}
	return file
}

// savedAudio decodes a saved recording's audio from its file: samples
// (first channel), their rate and the recording's duration.
func savedAudio(t *testing.T, srv *testServer, filename string) ([]float32, int, float64) {
	t.Helper()
	file := readSaved(t, srv.Config.RecordingsDir(), filename)
	audio := file.Audio
	switch {
	case file.MIME == "audio/wav":
		r := bytes.NewReader(audio)
		info, err := media.ReadWAVHeader(r)
		if err != nil {
			t.Fatal(err)
		}
		pcm, _ := io.ReadAll(r)
		return mediatest.Channel(media.S16LEToFloat(nil, pcm), info.Channels, 0), info.SampleRate, file.Duration
	case strings.HasPrefix(file.MIME, "audio/webm"):
		pcm, ch, err := webm.DecodeOpus(bytes.NewReader(audio), int64(len(audio)))
		if err != nil {
			t.Fatal(err)
		}
		return mediatest.Channel(pcm, ch, 0), media.OpusRate, file.Duration
	}
	t.Fatalf("%s: unexpected mime %q", filename, file.MIME)
	return nil, 0, 0
}

// TestBrowserNoUndefinedValues makes ten takes in a row, saving or
// discarding each, and samples the page text every 100 ms: no value on
// the page may ever read undefined, NaN or null, nothing may throw, and
// after a take ends the panel must not say the session is live.
func TestBrowserNoUndefinedValues(t *testing.T) {
	srv := startServer(t, nil)
	ctx := speechBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.url), js(sampler)); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		end, endBtn := "save", `[data-testid=btn-save]`
		if i%2 == 1 {
			end, endBtn = "discard", `[data-testid=btn-discard]`
		}
		err := chromedp.Do(ctx,
			startTake("webrtc"),
			chromedp.Sleep(700*time.Millisecond),
			chromedp.Click(css(`[data-testid=btn-stop]`)),
			chromedp.WaitReady(css(`body[data-state=draft]`)),
			chromedp.Click(css(endBtn)),
			chromedp.WaitReady(css(`body[data-state=idle]`)),
			chromedp.Sleep(600*time.Millisecond), // a few stats ticks after the take
		)
		if err != nil {
			t.Fatalf("take %d (%s): %v (status %q)", i+1, end, err, text(t, ctx, `[data-testid=status]`))
		}
		if s := text(t, ctx, `[data-testid=server-stats]`); strings.Contains(s, "live") {
			t.Errorf("take %d: after %s the Server row still says %q", i+1, end, s)
		}
	}
	if bad := badSeen(t, ctx); len(bad) > 0 {
		t.Errorf("the page showed or threw %d times, first: %q", len(bad), bad[:min(len(bad), 5)])
	}
}

// TestBrowserServerStop: a take the server ends by itself (here its time
// limit) must show on the page within a second, say why, and offer the
// audio up to that point for saving.
func TestBrowserServerStop(t *testing.T) {
	const limit = 3 * time.Second
	srv := startServer(t, nil, "-max-take-time", limit.String())
	ctx := speechBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.url), js(sampler), startTake("webrtc")); err != nil {
		t.Fatal(err)
	}
	id := attrOrFail(t, ctx, `[data-testid=session-id]`)
	var endedAt time.Time
	for deadline := time.Now().Add(limit + 5*time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		s, err := srv.Sessions.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if st := s.State(); st == media.SessionStopped || st == media.SessionFailed {
			endedAt = time.Now()
			break
		}
	}
	if endedAt.IsZero() {
		t.Fatal("the server never ended the take")
	}
	wctx, cancel := context.WithDeadline(ctx, endedAt.Add(time.Second))
	err := chromedp.Do(wctx, chromedp.WaitReady(css(`body[data-state=draft]`)))
	cancel()
	if err != nil {
		t.Fatalf("1 s after the server ended the take the page is %q, status %q", attr(t, ctx, "body", "data-state"), text(t, ctx, `[data-testid=status]`))
	}
	t.Logf("page showed the end %v after the server", time.Since(endedAt).Round(time.Millisecond))
	if status := text(t, ctx, `[data-testid=status]`); !strings.Contains(status, "limit") {
		t.Errorf("status %q does not say the take hit the time limit", status)
	}
	if err := chromedp.Do(ctx, chromedp.Click(css(`[data-testid=btn-save]`)), chromedp.WaitReady(css(`body[data-saved-filename]`))); err != nil {
		t.Fatal(err)
	}
	samples, rate, dur := savedAudio(t, srv, attr(t, ctx, "body", "data-saved-filename"))
	if dur < limit.Seconds()-0.3 || dur > limit.Seconds()+0.3 {
		t.Errorf("saved %.2f s, want the %v the server allowed", dur, limit)
	}
	if rms := mediatest.RMS(samples); rms < 0.01 || rate == 0 {
		t.Errorf("saved audio RMS %.4f at %d Hz: silent", rms, rate)
	}
	if bad := badSeen(t, ctx); len(bad) > 0 {
		t.Errorf("the page showed or threw: %q", bad)
	}
}

// TestBrowserReloadMidTake reloads the page in the middle of a take, in
// both modes: the browser warns before leaving, and after the reload the
// page offers the unsaved take, which saves with at least 90 % of the
// audio recorded before the reload.
func TestBrowserReloadMidTake(t *testing.T) {
	for _, mode := range []string{"webrtc", "record"} {
		t.Run(mode, func(t *testing.T) {
			srv := startServer(t, nil)
			ctx := speechBrowser(t)
			var warned atomic.Int32
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.url)); err != nil {
				t.Fatal(err)
			}
			// Accept the "leave the page?" dialog, counting it.
			go func() {
				for e, err := range chromedp.Events(ctx, page.JavascriptDialogOpening) {
					if err != nil {
						return
					}
					if e.Type == page.DialogTypeBeforeunload {
						warned.Add(1)
					}
					_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
				}
			}()
			if err := chromedp.Do(ctx, js(`1`), startTake(mode)); err != nil {
				t.Fatal(err)
			}
			started := time.Now()
			id := attrOrFail(t, ctx, `[data-testid=session-id]`)
			if err := chromedp.Do(ctx, chromedp.Sleep(5*time.Second)); err != nil {
				t.Fatal(err)
			}
			held := time.Since(started).Seconds()
			if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
				t.Fatal(err)
			}
			if warned.Load() == 0 {
				t.Error("leaving the page mid-take gave no warning")
			}
			row := fmt.Sprintf(`[data-testid=unsaved-take][data-id=%q]`, id)
			wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			err := chromedp.Do(wctx,
				chromedp.WaitVisible(css(row)),
				chromedp.SendKeys(css(row+` input[name=title]`), "After the reload"),
				chromedp.Click(css(row+` [data-testid=unsaved-save]`)),
				chromedp.WaitReady(css(`body[data-saved-filename]`)),
			)
			if err != nil {
				t.Fatalf("after the reload the take %s was not offered for saving: %v (status %q)", id, err, text(t, ctx, `[data-testid=status]`))
			}
			filename := attr(t, ctx, "body", "data-saved-filename")
			samples, _, dur := savedAudio(t, srv, filename)
			t.Logf("held %.2f s before the reload, saved %.2f s (%.0f%%)", held, dur, 100*dur/held)
			if dur < 0.9*held {
				t.Errorf("saved %.2f s of the %.2f s recorded before the reload: under 90 %%", dur, held)
			}
			if rms := mediatest.RMS(samples); rms < 0.01 {
				t.Errorf("saved audio RMS %.4f: silent", rms)
			}
			if title := fileTitle(t, srv, filename); title != "After the reload" {
				t.Errorf("the recording's file is titled %q, want the title typed before saving", title)
			}
			if err := chromedp.Do(ctx, chromedp.WaitNotPresent(css(row))); err != nil {
				t.Errorf("the saved take is still offered as unsaved: %v", err)
			}
		})
	}
}

// saveWAVViaAPI saves a WAV file through the API and returns its name.
func saveWAVViaAPI(t *testing.T, srv *testServer, path string) string {
	t.Helper()
	wav, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := postJSON(t, srv.url+"/save_recording", map[string]any{
		"recording_type": "mediarecorder", "audio_data": base64.StdEncoding.EncodeToString(wav), "mime": "audio/wav",
	})
	name, _ := out["filename"].(string)
	if name == "" {
		t.Fatalf("save answered %v", out)
	}
	return name
}

// saveToneViaAPI saves a short tone through the API (the seed's
// whole-take upload) and returns its file name.
func saveToneViaAPI(t *testing.T, srv *testServer, seconds float64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tone.wav")
	if err := mediatest.WriteWAV(path, mediatest.Tone(toneHz, 16000, 1, seconds, 0.5), 16000, 1); err != nil {
		t.Fatal(err)
	}
	wav, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := postJSON(t, srv.url+"/save_recording", map[string]any{
		"recording_type": "mediarecorder", "audio_data": base64.StdEncoding.EncodeToString(wav), "mime": "audio/wav", "duration": seconds,
	})
	name, _ := out["filename"].(string)
	if name == "" {
		t.Fatalf("save answered %v", out)
	}
	return name
}

// TestBrowserNoJavaScript: with JavaScript off the page says recording
// needs it, and the list, playback, rename, delete and the parameters
// keep working, each confirming what it did.
func TestBrowserNoJavaScript(t *testing.T) {
	srv := startServer(t, nil)
	name := saveToneViaAPI(t, srv, 1)
	ctx := launch(t)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	row := fmt.Sprintf(`[data-testid=recording][data-filename=%q]`, name)
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.url),
		chromedp.WaitVisible(css(`[data-testid=nojs]`)),
		chromedp.WaitVisible(css(row+` audio`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if banner := text(t, ctx, `[data-testid=nojs]`); !strings.Contains(banner, "needs JavaScript") {
		t.Errorf("banner %q", banner)
	}
	// Parameters: the plain form posts, the page comes back saying so.
	err = chromedp.Do(ctx,
		chromedp.Click(css(`#advanced > summary`)),
		chromedp.SetValue(css(`#sample_rate`), "16000"),
		chromedp.Click(css(`[data-testid=params-submit]`)),
		chromedp.WaitVisible(css(`[data-testid=notice]`)),
		chromedp.Click(css(`#advanced > summary`)), // a new page: Advanced is closed again
		chromedp.WaitVisible(css(`[data-testid=params-saved]`)),
	)
	if err != nil {
		t.Fatalf("parameters without JavaScript: %v", err)
	}
	if p := getParams(t, srv); p.SampleRate != 16000 {
		t.Errorf("sample rate %d after the form, want 16000", p.SampleRate)
	}
	// Rename.
	err = chromedp.Do(ctx,
		chromedp.SetValue(css(row+` input[name=title]`), "Standup notes"),
		chromedp.Click(css(row+` [data-testid=rename]`)),
		chromedp.WaitVisible(css(row+` input[name=title][value="Standup notes"]`)),
	)
	if err != nil {
		t.Fatalf("rename without JavaScript: %v", err)
	}
	if n := text(t, ctx, `[data-testid=notice]`); n != "Title saved." {
		t.Errorf("notice after renaming: %q", n)
	}
	// Delete: a confirmation page, then the list says it is gone.
	err = chromedp.Do(ctx,
		chromedp.Click(css(row+` [data-testid=delete]`)),
		chromedp.WaitVisible(css(`[data-testid=confirm-delete]`)),
		chromedp.Click(css(`[data-testid=confirm-delete]`)),
		chromedp.WaitVisible(css(`[data-testid=notice]`)),
	)
	if err != nil {
		t.Fatalf("delete without JavaScript: %v", err)
	}
	if n := text(t, ctx, `[data-testid=notice]`); !strings.Contains(n, "Deleted") {
		t.Errorf("notice after deleting: %q", n)
	}
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.querySelector('[data-testid=recording]')`)); !ok {
		t.Error("the deleted recording is still listed")
	}
}

func getParams(t *testing.T, srv *testServer) media.Params {
	t.Helper()
	res, err := http.Get(srv.url + "/get_params")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p media.Params
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

// screenshotsEnv, when set to a directory (docs/), makes
// TestBrowserScreenshots write the README's screenshots there.
const screenshotsEnv = "RECORDER_SCREENSHOTS"

// TestBrowserScreenshots records a take with the speech fixture, leaves it
// in review, and photographs the page on a desktop and on a 390×844
// phone. It checks on both that Stop is on screen while recording.
func TestBrowserScreenshots(t *testing.T) {
	srv := startServer(t, nil)
	first := saveWAVViaAPI(t, srv, speechWAV)
	postForm(t, srv.url+"/recordings/"+first+"/title", "Standup notes")
	second := saveWAVViaAPI(t, srv, speechWAV)
	postForm(t, srv.url+"/recordings/"+second+"/title", "Interview intro, take 2")
	dir := os.Getenv(screenshotsEnv)
	for _, size := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}} {
		t.Run(size.name, func(t *testing.T) {
			ctx := speechBrowser(t)
			err := chromedp.Do(ctx,
				chromedp.EmulateViewport(size.width, size.height, chromedp.EmulateScale(1), func(p *emulation.SetDeviceMetricsOverrideParams, _ *emulation.SetTouchEmulationEnabledParams) {
					p.Mobile = size.mobile
				}),
				chromedp.Navigate(srv.url),
				startTake("webrtc"),
				chromedp.Sleep(1500*time.Millisecond),
			)
			if err != nil {
				t.Fatal(err)
			}
			// Stop must be on screen without scrolling.
			inView, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
				const r = document.getElementById('btn-stop').getBoundingClientRect();
				return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight;
			})()`))
			if err != nil || !inView {
				t.Errorf("%s: Stop is not on screen while recording (%v)", size.name, err)
			}
			shoot(t, ctx, dir, size.name+"-recording.png")
			err = chromedp.Do(ctx,
				chromedp.Sleep(2*time.Second),
				chromedp.Click(css(`[data-testid=btn-stop]`)),
				chromedp.WaitReady(css(`body[data-state=draft]`)),
				chromedp.Sleep(time.Second), // the waveform draws
				chromedp.SetValue(css(`#take-title`), "Morning voice memo"),
			)
			if err != nil {
				t.Fatal(err)
			}
			shoot(t, ctx, dir, size.name+"-review.png")
		})
	}
}

func shoot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if dir == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func postForm(t *testing.T, u, title string) {
	t.Helper()
	res, err := http.PostForm(u, map[string][]string{"title": {title}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode >= 400 {
		t.Fatalf("POST %s: %d", u, res.StatusCode)
	}
}

// TestBrowserListInEveryTab: a recording saved, renamed or deleted
// anywhere (here through the API) shows in an open page within 2 s.
func TestBrowserListInEveryTab(t *testing.T) {
	srv := startServer(t, nil)
	ctx := speechBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.url), chromedp.WaitVisible(css(`[data-testid=recordings]`)), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	within := func(what string, action chromedp.Action[chromedp.Void]) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := chromedp.Do(wctx, action); err != nil {
			t.Fatalf("the open page did not show %s within 2 s: %v", what, err)
		}
	}
	name := saveToneViaAPI(t, srv, 1)
	row := fmt.Sprintf(`[data-testid=recording][data-filename=%q]`, name)
	within("the new recording", chromedp.WaitVisible(css(row)))
	postForm(t, srv.url+"/recordings/"+name+"/title", "Renamed elsewhere")
	within("the new title", chromedp.WaitReady(css(row+` input[name=title][value="Renamed elsewhere"]`)))
	req, _ := http.NewRequest(http.MethodDelete, srv.url+"/recordings/"+name, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d", res.StatusCode)
	}
	within("the deletion", chromedp.WaitNotPresent(css(row)))
}

// fileTitle reads the title written in a recording's own file.
func fileTitle(t *testing.T, srv *testServer, filename string) string {
	t.Helper()
	return readSaved(t, srv.Config.RecordingsDir(), filename).Title
}

// axeCheck runs axe-core (testdata/axe, injected by the test, never
// served) on the page and fails on any serious or critical violation.
func axeCheck(t *testing.T, ctx context.Context, when string) {
	t.Helper()
	src, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, js(`window.axe ? 0 : (() => {`+string(src)+`
; return 0; })()`)); err != nil {
		t.Fatalf("injecting axe-core: %v", err)
	}
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`axe.run(document, {resultTypes: ['violations']}).then((r) =>
		r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
			.map((v) => v.impact + ' ' + v.id + ': ' + v.help + ' @ ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running axe-core %s: %v", when, err)
	}
	for _, v := range found {
		t.Errorf("%s: %s", when, v)
	}
}

// TestBrowserAccessibility checks the page with axe-core idle with
// recordings listed and Advanced open, during a take, and in review.
func TestBrowserAccessibility(t *testing.T) {
	srv := startServer(t, nil)
	name := saveToneViaAPI(t, srv, 1)
	postForm(t, srv.url+"/recordings/"+name+"/title", "Standup notes")
	saveToneViaAPI(t, srv, 2)
	ctx := speechBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.url+"/?advanced=1"), chromedp.WaitVisible(css(`[data-testid=recording]`))); err != nil {
		t.Fatal(err)
	}
	if label := attr(t, ctx, fmt.Sprintf(`[data-filename=%q] [data-testid=delete]`, name), "aria-label"); label != "Delete Standup notes" {
		t.Errorf("the delete button is labelled %q", label)
	}
	axeCheck(t, ctx, "idle, with recordings and Advanced open")
	if err := chromedp.Do(ctx, startTake("webrtc"), chromedp.Sleep(time.Second)); err != nil {
		t.Fatal(err)
	}
	axeCheck(t, ctx, "during a take")
	if err := chromedp.Do(ctx, chromedp.Click(css(`[data-testid=btn-stop]`)), chromedp.WaitReady(css(`body[data-state=draft]`))); err != nil {
		t.Fatal(err)
	}
	axeCheck(t, ctx, "reviewing a take")
}

// TestBrowserReview records speech in each mode, and before saving checks
// the review: the player knows the take's real length and can seek, the
// waveform is drawn; then it saves with a title and finds the new
// recording first in the list, marked and in view, as long and as loud as
// what was recorded.
func TestBrowserReview(t *testing.T) {
	for _, mode := range []string{"webrtc", "record"} {
		t.Run(mode, func(t *testing.T) {
			srv := startServer(t, nil)
			saveToneViaAPI(t, srv, 1) // an older recording below the new one
			ctx := speechBrowser(t)
			err := chromedp.Do(ctx,
				chromedp.Navigate(srv.url),
				startTake(mode),
				chromedp.Sleep(3*time.Second),
				chromedp.Click(css(`[data-testid=btn-stop]`)),
				chromedp.WaitVisible(css(`[data-testid=review]`)),
			)
			if err != nil {
				t.Fatal(err)
			}
			recorded, err := strconv.ParseFloat(attr(t, ctx, "body", "data-recorded-seconds"), 64)
			if err != nil {
				t.Fatal(err)
			}
			var player struct {
				Duration, Seekable, Drawn float64
			}
			player, err = chromedp.Run(ctx, chromedp.Evaluate[struct{ Duration, Seekable, Drawn float64 }](`new Promise((resolve) => {
				const a = document.getElementById('preview');
				const c = document.getElementById('review-wave');
				const done = () => setTimeout(() => {
					const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
					let drawn = 0;
					for (let i = 3; i < px.length; i += 4) if (px[i] > 0) drawn++;
					resolve({ duration: a.duration, seekable: a.seekable.length ? a.seekable.end(0) : 0, drawn: drawn / (px.length / 4) });
				}, 800);
				if (a.readyState >= 1) done(); else a.addEventListener('loadedmetadata', done, { once: true });
			})`, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("recorded %.2f s; player: %.2f s, seekable to %.2f s, waveform covers %.0f%%", recorded, player.Duration, player.Seekable, 100*player.Drawn)
			if math.IsInf(player.Duration, 0) || math.IsNaN(player.Duration) || math.Abs(player.Duration-recorded) > 0.2*recorded {
				t.Errorf("the review player says %.2f s for a %.2f s take", player.Duration, recorded)
			}
			if player.Seekable < 0.8*recorded {
				t.Errorf("the review player seeks only to %.2f s of %.2f s", player.Seekable, recorded)
			}
			if player.Drawn < 0.05 {
				t.Errorf("the waveform is not drawn (%.1f%% of the canvas)", 100*player.Drawn)
			}
			err = chromedp.Do(ctx,
				chromedp.SendKeys(css(`[data-testid=take-title]`), "Morning memo"),
				chromedp.Click(css(`[data-testid=btn-save]`)),
				chromedp.WaitReady(css(`body[data-saved-filename]`)),
			)
			if err != nil {
				t.Fatal(err)
			}
			filename := attr(t, ctx, "body", "data-saved-filename")
			wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			if err := chromedp.Do(wctx, chromedp.WaitVisible(css(fmt.Sprintf(`li.fresh[data-filename=%q]`, filename)))); err != nil {
				t.Fatalf("the new recording is not marked in the list: %v", err)
			}
			first, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
				const li = document.querySelector('[data-testid=recording]');
				const r = li.getBoundingClientRect();
				return li.dataset.filename === %q && r.top < innerHeight && r.bottom > 0;
			})()`, filename)))
			if err != nil || !first {
				t.Errorf("the new recording is not first in the list and in view (%v)", err)
			}
			if title := fileTitle(t, srv, filename); title != "Morning memo" {
				t.Errorf("saved with title %q", title)
			}
			samples, _, dur := savedAudio(t, srv, filename)
			if math.Abs(dur-recorded) > 0.15*recorded {
				t.Errorf("saved %.2f s of a %.2f s take", dur, recorded)
			}
			if rms := mediatest.RMS(samples); rms < 0.01 {
				t.Errorf("saved audio RMS %.4f: silent", rms)
			}
		})
	}
}

// TestBrowserErrorWhereActed: a refused htmx action shows the server's
// message in the row the user acted on, instead of nothing.
func TestBrowserErrorWhereActed(t *testing.T) {
	srv := startServer(t, nil)
	name := saveToneViaAPI(t, srv, 1)
	ctx := speechBrowser(t)
	row := fmt.Sprintf(`[data-testid=recording][data-filename=%q]`, name)
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.url),
		chromedp.WaitVisible(css(row)),
		// maxlength stops typing past 200 characters; a script does not.
		js(fmt.Sprintf(`document.querySelector('%s input[name=title]').value = 'x'.repeat(300)`, strings.ReplaceAll(row, `"`, `\"`))),
		chromedp.Click(css(row+` [data-testid=rename]`)),
		chromedp.WaitVisible(css(row+` [data-testid=error]`)),
	)
	if err != nil {
		t.Fatalf("no error shown in the row: %v", err)
	}
	if msg := text(t, ctx, row+` [data-testid=error]`); !strings.Contains(msg, "at most 200 characters") {
		t.Errorf("error in the row: %q", msg)
	}
}

// TestBrowserClosedTab closes the tab in the middle of a live take; a new
// tab of the same browser offers the take, which saves.
func TestBrowserClosedTab(t *testing.T) {
	srv := startServer(t, nil)
	browser := speechBrowser(t)
	if err := chromedp.Do(browser, chromedp.Navigate(srv.url)); err != nil {
		t.Fatal(err)
	}
	tab, closeTab := chromedp.NewContext(browser)
	if err := chromedp.Do(tab, chromedp.Navigate(srv.url), startTake("webrtc"), chromedp.Sleep(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	id := attrOrFail(t, tab, `[data-testid=session-id]`)
	closeTab()
	row := fmt.Sprintf(`[data-testid=unsaved-take][data-id=%q]`, id)
	wctx, cancel := context.WithTimeout(browser, 15*time.Second)
	defer cancel()
	err := chromedp.Do(wctx,
		chromedp.Reload(),
		chromedp.WaitVisible(css(row)),
		chromedp.Click(css(row+` [data-testid=unsaved-save]`)),
		chromedp.WaitReady(css(`body[data-saved-filename]`)),
	)
	if err != nil {
		t.Fatalf("after closing its tab the take %s was not offered: %v", id, err)
	}
	if _, _, dur := savedAudio(t, srv, attr(t, browser, "body", "data-saved-filename")); dur < 2.5 {
		t.Errorf("saved %.2f s of a 3 s take", dur)
	}
}
