//go:build linux

package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/avatarweb/recorder/internal/firefox"
	"github.com/avatarweb/recorder/media/mediatest"
)

// keyboard is a driver that presses real keys wherever the focus is, in
// WebDriver's key codes.
type keyboard interface {
	Keys(ctx context.Context, keys string) error
}

const (
	keyTab    = "\ue004"
	keyDelete = "\ue017"
	keyRight  = "\ue014"
)

// Keys presses keys through the DevTools protocol, as the keyboard does.
func (chromeDriver) Keys(ctx context.Context, keys string) error {
	keys = strings.NewReplacer(keyTab, kb.Tab, keyDelete, kb.Delete, keyRight, kb.ArrowRight).Replace(keys)
	return chromedp.Do(ctx, chromedp.KeyEvent(keys))
}

func (p *tab) keys(keys string) step {
	return func(ctx context.Context) error {
		k, ok := p.b.(keyboard)
		if !ok {
			return fmt.Errorf("%T presses no keys", p.b)
		}
		return k.Keys(ctx, keys)
	}
}

// focusedName names what has the focus: its accessible name, or its tag.
const focusedName = `(() => {
	const el = document.activeElement;
	return el ? (el.getAttribute('aria-label') || (el.innerText || '').trim() || el.tagName) : '';
})()`

// keyboardWalk is a person with a keyboard alone in a library of two
// takes: nothing of the audio is fetched until played and each player
// shows its length; a row is one Tab stop per action; Space plays and
// pauses the focusedName row, the arrow keys seek; the Delete key deletes,
// with Undo.
func keyboardWalk(t *testing.T, p *tab, srv *testServer) {
	var names []string
	for _, title := range []string{"Standup notes", "Guitar riff"} {
		name := saveToneViaAPI(t, srv, 20)
		postForm(t, srv.url+"/recordings/"+name+"/title", title)
		names = append(names, name)
		time.Sleep(20 * time.Millisecond) // distinct save times: a stable order
	}
	p.do("opening the page", p.navigate(srv.url), p.waitFor(`body[data-ready]`),
		p.until("two rows", rowsAre("Guitar riff", "Standup notes")))
	var times []string
	if err := p.b.Eval(p.ctx, `[...document.querySelectorAll('[data-testid=recording] .rec-time')].filter((e) => e.getClientRects().length).map((e) => e.textContent.replace(/\s+/g, ' ').trim())`, &times); err != nil {
		t.Fatal(err)
	}
	if strings.Join(times, ",") != "0:00 / 0:20,0:00 / 0:20" {
		t.Errorf("the players show %q before playing, want the length of each (0:00 / 0:20)", times)
	}

	// Tab from the first row's title to the next row: each stop is one
	// action of the row, named for it.
	p.do("focusing the first title", func(ctx context.Context) error {
		return p.b.Eval(ctx, `document.querySelector('[data-testid=recording] input[name=title]').focus()`, nil)
	})
	want := []string{"Rename Guitar riff", "Play Guitar riff", "Position in Guitar riff", "Download Guitar riff", "Trim Guitar riff", "Details of Guitar riff", "Share Guitar riff", "Delete Guitar riff"}
	var stops []string
	for range len(want) + 1 {
		var name string
		p.do("pressing Tab", p.keys(keyTab), func(ctx context.Context) error { return p.b.Eval(ctx, focusedName, &name) })
		if strings.HasSuffix(name, "Standup notes") {
			break
		}
		stops = append(stops, name)
	}
	t.Logf("Tab stops in a row after its title: %q", stops)
	if strings.Join(stops, "|") != strings.Join(want, "|") {
		t.Errorf("Tab stops after a row's title: %q, want %q", stops, want)
	}

	// Space on the focusedName row plays it, and again pauses it.
	audio := `document.querySelector('[data-testid=recording] audio')`
	p.do("muting", func(ctx context.Context) error { return p.b.Eval(ctx, audio+`.muted = true`, nil) })
	p.do("focusing the waveform", func(ctx context.Context) error {
		return p.b.Eval(ctx, `document.querySelector('[data-testid=recording] [data-testid=seek]').focus()`, nil)
	}, p.keys(" "), p.until("playing", `!`+audio+`.paused && `+audio+`.currentTime > 0.2`),
		p.until("the button says Pause", `document.querySelector('[data-testid=recording] [data-testid=play]').getAttribute('aria-label') === 'Pause Guitar riff'`))
	// The list refreshed meanwhile (a rename elsewhere): the take plays on.
	p.do("marking the rows", p.run(`document.querySelectorAll('[data-testid=recording]').forEach((li) => (li.dataset.old = '1'))`))
	postForm(t, srv.url+"/recordings/"+names[0]+"/title", "Standup notes")
	p.do("the list refreshed", p.until("new rows", `document.querySelector('[data-testid=recording]') && !document.querySelector('[data-testid=recording][data-old]')`),
		p.run(`window.at = `+audio+`.currentTime`),
		p.until("still playing, on", `!`+audio+`.paused && `+audio+`.currentTime > window.at + 0.2`),
		p.until("its button says Pause", `document.querySelector('[data-testid=recording] [data-testid=play]').getAttribute('aria-label') === 'Pause Guitar riff'`))
	p.do("Space again", p.run(`document.querySelector('[data-testid=recording] [data-testid=seek]').focus()`), p.keys(" "), p.until("paused", audio+`.paused`))
	var was float64
	p.do("seeking with the arrow key", func(ctx context.Context) error { return p.b.Eval(ctx, audio+`.currentTime`, &was) },
		p.keys(keyRight), p.until("5 s on", fmt.Sprintf(`%s.currentTime >= %f`, audio, was+4.9)),
		p.until("the clock", `/^0:0[5-9] /.test(document.querySelector('[data-testid=recording] .rec-time').textContent.trim())`))

	// The Delete key on the focusedName row deletes it, with Undo.
	p.do("the Delete key", p.retry(func(ctx context.Context) error {
		if err := p.b.Eval(ctx, `document.querySelector('[aria-label="Download Guitar riff"]').focus()`, nil); err != nil {
			return err
		}
		return p.keys(keyDelete)(ctx)
	}, rowsAre("Standup notes")),
		p.until("the toast", `document.querySelector('[data-testid=toast]').textContent.includes('Deleted “Guitar riff”.')`),
		p.press("Undo"), p.until("the row back", rowsAre("Guitar riff", "Standup notes")))

	var audioRequests int
	// Only the take played was fetched.
	if err := p.b.Eval(p.ctx, `new Set(performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname.endsWith('/audio')).map((e) => e.name)).size`, &audioRequests); err != nil || audioRequests > 1 {
		t.Errorf("takes fetched: %d (%v), want only the one played", audioRequests, err)
	}
}

func TestRowKeyboard(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		p := e.open(t)
		keyboardWalk(t, p, startServer(t, nil))
	})
}

// gapWAV writes 2 s of tone, 3 s of silence and 2 s of tone.
func gapWAV(t *testing.T) string {
	t.Helper()
	const rate = 16000
	samples := mediatest.Tone(toneHz, rate, 1, 2, 0.5)
	samples = append(samples, make([]float32, 3*rate)...)
	samples = append(samples, mediatest.Tone(toneHz, rate, 1, 2, 0.5)...)
	path := filepath.Join(t.TempDir(), "gap.wav")
	if err := mediatest.WriteWAV(path, samples, rate, 1); err != nil {
		t.Fatal(err)
	}
	return path
}

// skipSilenceWalk plays a take with a 3 s silent gap (2–5 s) twice, at
// 2×: without Skip silence it plays through the gap; with it, ticked as
// a person does, the gap (less the quarter second kept at each end) is
// never played.
func skipSilenceWalk(t *testing.T, p *tab, srv *testServer) {
	wav, err := os.ReadFile(gapWAV(t))
	if err != nil {
		t.Fatal(err)
	}
	postJSON(t, srv.url+"/save_recording", map[string]any{
		"recording_type": "mediarecorder", "audio_data": base64.StdEncoding.EncodeToString(wav), "mime": "audio/wav",
	})
	p.do("opening the page", p.navigate(srv.url), p.waitFor(`body[data-ready]`), p.waitFor(`[data-testid=recording]`))
	// The gap less a quarter second each side, to a peak bucket (7/120 s).
	var start, end float64
	got := p.attr(`[data-testid=recording] [data-player]`, "data-silences")
	if _, err := fmt.Sscanf(got, "%g-%g", &start, &end); err != nil || math.Abs(start-2.25) > 0.1 || math.Abs(end-4.75) > 0.1 {
		t.Errorf("data-silences = %q (%v), want about 2.25-4.75", got, err)
	}
	// played plays the take from its start to its end and returns the
	// positions seen on the way.
	played := func(what string) []float64 {
		var at []float64
		p.do(what, func(ctx context.Context) error {
			return p.b.Eval(ctx, `(() => {
	const a = document.querySelector('[data-testid=recording] audio');
	a.muted = true;
	a.playbackRate = 2;
	window.seen = [];
	delete document.body.dataset.played;
	const look = () => { window.seen.push(a.currentTime); if (!a.paused && !a.ended) requestAnimationFrame(look); };
	a.addEventListener('playing', () => requestAnimationFrame(look), { once: true });
	a.addEventListener('ended', () => (document.body.dataset.played = window.seen.length), { once: true });
	document.querySelector('[data-testid=recording] [data-testid=play]').click();
})()`, nil)
		}, p.waitFor(`body[data-played]`),
			func(ctx context.Context) error { return p.b.Eval(ctx, `window.seen`, &at) })
		return at
	}
	inGap := func(at []float64) (n int) {
		for _, s := range at {
			if s > 2.5 && s < 4.5 {
				n++
			}
		}
		return n
	}
	if at := played("playing through"); inGap(at) == 0 {
		t.Fatalf("without Skip silence no position in the gap was seen (%d positions): the test cannot tell", len(at))
	}
	p.do("ticking Skip silence", p.press("Skip silence"), p.until("ticked", `document.getElementById('skip-silence').checked`))
	at := played("playing with Skip silence")
	last := 0.0
	for _, s := range at {
		last = max(last, s)
	}
	if n := inGap(at); n > 0 || last < 6 {
		t.Errorf("with Skip silence: %d positions of %d in the gap, played to %.2f s; want none, and to the end", n, len(at), last)
	}
	p.do("the choice kept", p.navigate(srv.url), p.waitFor(`body[data-ready]`),
		p.until("still ticked", `document.getElementById('skip-silence').checked`))
}

func TestSkipSilence(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		p := e.open(t)
		skipSilenceWalk(t, p, startServer(t, nil))
	})
}

// colorScheme makes the page's prefers-color-scheme "dark" or "light".
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		return chromedp.Void{}, emulatedScheme(ctx, scheme)
	}
}

func emulatedScheme(ctx context.Context, scheme string) error {
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	})
	return err
}

// TestBrowserThemes shows the library in the system's dark and light
// schemes: each its own colours (the page's background), no serious
// axe-core finding (contrast included) in either, one row sought 5 s in
// with the keyboard; the README's screenshots are taken here.
func TestBrowserThemes(t *testing.T) {
	srv := startServer(t, nil)
	for _, title := range []string{"Interview intro, take 2", "Standup notes"} {
		name := saveWAVViaAPI(t, srv, speechWAV)
		postForm(t, srv.url+"/recordings/"+name+"/title", title)
	}
	saveToneViaAPI(t, srv, 3)
	ctx := launch(t)
	backgrounds := map[string]string{"dark": "rgb(11, 16, 32)", "light": "rgb(243, 244, 248)"}
	for _, scheme := range []string{"dark", "light"} {
		err := chromedp.Do(ctx,
			chromedp.EmulateViewport(1280, 900),
			colorScheme(scheme),
			chromedp.Navigate(srv.url),
			chromedp.WaitReady(css(`body[data-ready]`)),
			chromedp.WaitVisible(css(`[data-testid=recording]`)),
			chromedp.Focus(css(`[data-testid=recording]:nth-of-type(3) [data-testid=seek]`)),
			chromedp.KeyEvent(kb.ArrowRight),
			chromedp.Sleep(500*time.Millisecond),
		)
		if err != nil {
			t.Fatal(err)
		}
		bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
		if err != nil || bg != backgrounds[scheme] {
			t.Errorf("%s: the page's background is %q (%v), want %s", scheme, bg, err, backgrounds[scheme])
		}
		// The shot first (axe-core keeps the page busy long enough for its
		// pings to the server to miss, and the page to say the server is gone).
		p := chromiumTab(t, ctx)
		p.do("the page ready", p.until("Ready", `document.querySelector('[data-testid=status]').textContent.startsWith('Ready.')`))
		shoot(t, ctx, os.Getenv(screenshotsEnv), "library-"+scheme+".png")
		axeCheck(t, ctx, scheme+": the library")
	}
}

// TestBrowserFirstLoad opens a library of 20 takes in a fresh browser,
// in each engine: everything it receives for the page (page, styles,
// scripts, icon, the list, the WebSocket's greeting), counted on the wire
// with headers, is at most 100 KB, no audio is fetched, and every player
// shows its take's length.
func TestBrowserFirstLoad(t *testing.T) {
	const budget = 100_000
	forEachEngine(t, func(t *testing.T, e engine) {
		srv := startServer(t, nil)
		for range 20 {
			saveToneViaAPI(t, srv, 0.5)
		}
		w := newWire(t, srv.url)
		p := e.open(t)
		p.do("opening the page", p.navigate(w.url), p.waitFor(`body[data-ready]`),
			p.until("20 rows", `document.querySelectorAll('[data-testid=recording]').length === 20`), sleep(time.Second))
		var lengths int
		p.eval(`[...document.querySelectorAll('[data-testid=recording] .rec-time')].filter((e) => e.getClientRects().length && /^0:00 \/ 0:01$/.test(e.textContent.replace(/\s+/g, ' ').trim())).length`, &lengths)
		received, paths := w.seen()
		t.Logf("%s: first load with 20 rows: %d bytes received in %d requests: %v", e.name, received, len(paths), paths)
		if received > budget || len(paths) == 0 {
			t.Errorf("%s: first load: %d bytes received, want at most %d", e.name, received, budget)
		}
		var audio []string
		for _, path := range paths {
			if strings.HasSuffix(strings.SplitN(path, "?", 2)[0], "/audio") {
				audio = append(audio, path)
			}
		}
		if len(audio) != 0 {
			t.Errorf("%s: %d audio requests on load, want 0: %v", e.name, len(audio), audio)
		}
		if lengths != 20 {
			t.Errorf("%s: %d of 20 players show their length (0:00 / 0:01)", e.name, lengths)
		}
	})
}

// themesLibrary saves the takes the themes tests show.
func themesLibrary(t *testing.T, srv *testServer) {
	name := saveWAVViaAPI(t, srv, speechWAV)
	postForm(t, srv.url+"/recordings/"+name+"/title", "Standup notes")
	saveToneViaAPI(t, srv, 2)
}

// axeInScheme opens the library in a WebDriver browser, checks the page
// is in scheme, and runs axe-core on it (serious and critical findings
// fail).
func axeInScheme(t *testing.T, p *tab, url, scheme string) {
	axe, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	p.do("opening the page", p.navigate(url), p.waitFor(`body[data-ready]`), p.waitFor(`[data-testid=recording]`),
		p.until("the scheme", fmt.Sprintf(`matchMedia('(prefers-color-scheme: %s)').matches`, scheme)))
	var found []string
	if err := p.b.Eval(p.ctx, `(() => { if (!window.axe) { `+string(axe)+`
 } return axe.run(document, {resultTypes: ['violations']}).then((r) =>
	r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
		.map((v) => v.impact + ' ' + v.id + ': ' + v.help + ' @ ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '))); })()`, &found); err != nil {
		t.Fatalf("running axe-core: %v", err)
	}
	for _, v := range found {
		t.Errorf("%s: %s", scheme, v)
	}
}

// TestFirefoxThemes runs axe-core on the library in Firefox in each
// scheme, set as the system's would be (layout.css.prefers-color-scheme
// .content-override: 0 dark, 1 light).
func TestFirefoxThemes(t *testing.T) {
	exe := firefoxPath(t)
	srv := startServer(t, nil)
	themesLibrary(t, srv)
	for i, scheme := range []string{"dark", "light"} {
		t.Run(scheme, func(t *testing.T) {
			prefs := firefoxPrefs("")
			prefs["layout.css.prefers-color-scheme.content-override"] = i
			ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
			defer cancel()
			b, err := firefox.Launch(ctx, firefox.Options{Exec: exe, Prefs: prefs, Log: t.Logf})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			axeInScheme(t, &tab{t: t, engine: "Firefox", b: b, ctx: ctx}, srv.url, scheme)
		})
	}
}

// TestWebKitThemes does the same in WebKitGTK, whose scheme is the GTK
// theme's (GTK_THEME=Adwaita:dark for dark).
func TestWebKitThemes(t *testing.T) {
	srv := startServer(t, nil)
	themesLibrary(t, srv)
	for _, scheme := range []string{"dark", "light"} {
		t.Run(scheme, func(t *testing.T) {
			theme := "Adwaita"
			if scheme == "dark" {
				theme = "Adwaita:dark"
			}
			t.Setenv("GTK_THEME", theme)
			axeInScheme(t, newWebKit(t, 1280, 900), srv.url, scheme)
		})
	}
}
