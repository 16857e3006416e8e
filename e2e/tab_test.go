//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/avatarweb/recorder/internal/pagequery"
)

// driver is a browser engine as a tab drives it: Chromium over the
// DevTools protocol (chromeDriver, through chromedp), Firefox over
// WebDriver BiDi (internal/firefox), WebKitGTK over classic WebDriver
// (internal/webkit). Selectors are CSS; Eval awaits a promise, runs as
// if the user had just acted, and decodes the JSON value into out (which
// may be nil); WaitFor waits until sel selects an element.
type driver interface {
	Navigate(ctx context.Context, url string) error
	Eval(ctx context.Context, expr string, out any) error
	Click(ctx context.Context, sel string) error
	WaitFor(ctx context.Context, sel string) error
	Text(ctx context.Context, sel string) (string, error)
	Attr(ctx context.Context, sel, name string) (string, bool, error)
	Screenshot(ctx context.Context) ([]byte, error)
}

// tab is a browser tab on the recorder page, whichever its engine: the
// one helper the browser tests drive the page with, by what a person
// sees (labels, text), the same in Chromium, Firefox and WebKit.
//
// Its actions are steps, run in order by do, which fails the test at
// the first error with the page's status line:
//
//	p.do("saving", p.press("Save"), p.waitFor(`body[data-saved-filename]`))
//
// Engine-specific extras stay beside it: for Chromium, ctx is the
// chromedp context, so chromedp actions (network interception, a second
// tab) run on it; for WebKit, b is a *webkit.Browser (Type).
type tab struct {
	t      *testing.T
	engine string // Chromium, Firefox or WebKit
	b      driver
	ctx    context.Context
}

// step is one action on the page.
type step = func(context.Context) error

// engine is a browser engine the tests run a flow in.
type engine struct {
	name  string
	tone  float64 // what its fake microphone plays, Hz
	level float64 // and its RMS (0: not measured; WebKit's is not live)
	live  bool    // it has WebRTC (WebKitGTK has none)
	open  func(t *testing.T) *tab
}

// engines are the three engines, each opened with its fake microphone
// granted (Chromium's playing a 440 Hz tone); a missing one skips the
// test (fails it where RECORDER_REQUIRE_BROWSER=1).
var engines = []engine{
	{"Chromium", toneHz, 0.35, true, func(t *testing.T) *tab { return chromiumTab(t, newBrowser(t, toneWAV(t))) }},
	{"Firefox", firefoxToneHz, 0.07, true, func(t *testing.T) *tab { return newFirefox(t, nil, nil, "") }},
	{"WebKit", webkitHumHz, 0, false, func(t *testing.T) *tab { return newWebKit(t, 1280, 900) }},
}

// forEachEngine runs test once per engine, each in its own subtest named
// after it (go test -run 'TestX/Firefox' runs one).
func forEachEngine(t *testing.T, test func(t *testing.T, e engine)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { test(t, e) })
	}
}

// forEachLiveEngine is forEachEngine over the engines with WebRTC.
func forEachLiveEngine(t *testing.T, test func(t *testing.T, e engine)) {
	for _, e := range engines {
		if e.live {
			t.Run(e.name, func(t *testing.T) { test(t, e) })
		}
	}
}

// chromiumTab drives the Chromium of ctx (from newBrowser, launch or
// launchChromium; a chromedp.NewContext of it is another tab).
func chromiumTab(t *testing.T, ctx context.Context) *tab {
	return &tab{t: t, engine: "Chromium", b: chromeDriver{}, ctx: ctx}
}

// do runs steps in order and fails the test at the first error, with the
// page's status line.
func (p *tab) do(what string, steps ...step) {
	p.t.Helper()
	for _, s := range steps {
		if err := s(p.ctx); err != nil {
			p.t.Fatalf("%s: %s: %v (status line: %q)", p.engine, what, err, p.status())
		}
	}
}

func (p *tab) navigate(url string) step {
	return func(ctx context.Context) error { return p.b.Navigate(ctx, url) }
}

// click clicks the element sel selects. Prefer press: it finds what a
// person finds.
func (p *tab) click(sel string) step {
	return func(ctx context.Context) error { return p.b.Click(ctx, sel) }
}

// press clicks the button, link, summary or label whose visible text (or
// aria-label) is label, or else starts with it, as a user finds it. A
// control swapped for a fresh copy between finding and clicking (the
// list refreshes itself) is found again.
func (p *tab) press(label string) step {
	return func(ctx context.Context) error {
		var err error
		for range 3 {
			var sel string
			if err = p.b.Eval(ctx, labelled(label), &sel); err != nil {
				return err
			}
			if sel == "" {
				return fmt.Errorf("no visible control labelled %q", label)
			}
			if err = p.b.Click(ctx, sel); err == nil || ctx.Err() != nil {
				return err
			}
		}
		return err
	}
}

// fill types text into the field labelled label, a key at a time as a
// person does (each an input event), after clearing it.
func (p *tab) fill(label, text string) step {
	return func(ctx context.Context) error {
		var ok bool
		err := p.b.Eval(ctx, fmt.Sprintf(`(() => {
	const label = [...document.querySelectorAll('label')].find((l) => l.textContent.trim() === %s);
	const input = label && document.getElementById(label.htmlFor);
	if (!input) return false;
	input.focus();
	input.value = '';
	input.dispatchEvent(new Event('input', { bubbles: true }));
	for (const ch of %s) {
		input.value += ch;
		input.dispatchEvent(new Event('input', { bubbles: true }));
	}
	return true;
})()`, strconv.Quote(label), strconv.Quote(text)), &ok)
		if err == nil && !ok {
			err = fmt.Errorf("no field labelled %q", label)
		}
		return err
	}
}

// choose picks value in the select labelled label, as a person does.
func (p *tab) choose(label, value string) step {
	return func(ctx context.Context) error {
		var ok bool
		err := p.b.Eval(ctx, fmt.Sprintf(`(() => {
	const label = [...document.querySelectorAll('label')].find((l) => l.textContent.trim() === %s);
	const select = label && document.getElementById(label.htmlFor);
	if (!select) return false;
	select.value = %s;
	select.dispatchEvent(new Event('change', { bubbles: true }));
	return select.value === %[2]s;
})()`, strconv.Quote(label), strconv.Quote(value)), &ok)
		if err == nil && !ok {
			err = fmt.Errorf("no choice %q in %q", value, label)
		}
		return err
	}
}

// waitFor waits up to 30 s for sel.
func (p *tab) waitFor(sel string) step { return p.waitUpTo(sel, 30*time.Second) }

// waitUpTo waits up to d for sel.
func (p *tab) waitUpTo(sel string, d time.Duration) step {
	return func(ctx context.Context) error {
		wctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return p.b.WaitFor(wctx, sel)
	}
}

// until waits up to 10 s for the JavaScript expression cond to be true.
func (p *tab) until(what, cond string) step {
	return func(ctx context.Context) error {
		deadline := time.Now().Add(10 * time.Second)
		for {
			var ok bool
			err := p.b.Eval(ctx, "!!("+cond+")", &ok)
			if err == nil && ok {
				return nil
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("waiting for %s (%s): %v", what, cond, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// waitText waits up to 10 s for the page to show text.
func (p *tab) waitText(text string) step {
	return p.until("“"+text+"” on the page", `document.body.innerText.includes(`+strconv.Quote(text)+`)`)
}

// retry does act until cond holds (5 s each try, three tries).
func (p *tab) retry(act step, cond string) step {
	return func(ctx context.Context) error {
		var err error
		for range 3 {
			if err = act(ctx); err == nil {
				wait, cancel := context.WithTimeout(ctx, 5*time.Second)
				err = p.until(cond, cond)(wait)
				cancel()
			}
			// An act that failed may still have taken effect (a try
			// whose effect came late, under load, leaves nothing for
			// the next try to act on): the condition decides.
			if err == nil || p.holds(ctx, cond) {
				return nil
			}
			time.Sleep(300 * time.Millisecond)
		}
		return err
	}
}

// holds tells whether the JavaScript expression cond is true now.
func (p *tab) holds(ctx context.Context, cond string) bool {
	var ok bool
	return p.b.Eval(ctx, "!!("+cond+")", &ok) == nil && ok
}

// follow presses the link labelled label until cond holds (5 s each
// try, three tries): a link swapped by a list refresh just as it is
// clicked may take the click with it.
func (p *tab) follow(label, cond string) step {
	return p.retry(p.press(label), cond)
}

// run evaluates JavaScript for its effect.
func (p *tab) run(expr string) step {
	return func(ctx context.Context) error { return p.b.Eval(ctx, expr, nil) }
}

func sleep(d time.Duration) step {
	return func(context.Context) error { time.Sleep(d); return nil }
}

// eval evaluates expr into out, failing the test on an error.
func (p *tab) eval(expr string, out any) {
	p.t.Helper()
	if err := p.b.Eval(p.ctx, expr, out); err != nil {
		p.t.Fatalf("%s: %.80q: %v", p.engine, expr, err)
	}
}

// attr is an attribute the page must have set.
func (p *tab) attr(sel, name string) string {
	p.t.Helper()
	v, ok, err := p.b.Attr(p.ctx, sel, name)
	if err != nil || !ok {
		p.t.Fatalf("%s: %s[%s]: %v (set %v)", p.engine, sel, name, err, ok)
	}
	return v
}

// text is the text of the element sel selects, which must be there and
// say something.
func (p *tab) text(sel string) string {
	p.t.Helper()
	s, err := p.b.Text(p.ctx, sel)
	if err != nil || strings.TrimSpace(s) == "" {
		p.t.Fatalf("%s: %s: %q, %v", p.engine, sel, s, err)
	}
	return s
}

// seconds is a number of seconds the page wrote in an attribute.
func (p *tab) seconds(sel, name string) float64 {
	p.t.Helper()
	v, err := strconv.ParseFloat(p.attr(sel, name), 64)
	if err != nil {
		p.t.Fatalf("%s: %s[%s]: %v", p.engine, sel, name, err)
	}
	return v
}

// status is what the status line says now ("" if it cannot be read).
func (p *tab) status() string {
	s, _ := p.b.Text(p.ctx, `[data-testid=status]`)
	return s
}

// state is the page's take state (body[data-state]).
func (p *tab) state() string {
	s, _, _ := p.b.Attr(p.ctx, "body", "data-state")
	return s
}

// waitStatus waits until the status line says text, and returns when.
func (p *tab) waitStatus(text string, within time.Duration) time.Time {
	p.t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(50 * time.Millisecond) {
		if strings.Contains(p.status(), text) {
			return time.Now()
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: the status line did not say %q within %v: %q (state %s)", p.engine, text, within, p.status(), p.state())
		}
	}
}

// shoot takes a screenshot, kept as name in RECORDER_SCREENSHOTS if set.
func (p *tab) shoot(name string) {
	p.t.Helper()
	png, err := p.b.Screenshot(p.ctx)
	if err != nil {
		p.t.Fatalf("%s: screenshot: %v", p.engine, err)
	}
	if dir := os.Getenv(screenshotsEnv); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
}

// startTake opens the page at url and starts a take in the mode labelled
// mode ("Live to the server", "Record in the browser") as a user does,
// and waits until it runs (state: live or recording).
func (p *tab) startTake(url, mode, state string) {
	p.t.Helper()
	p.do("starting a take: "+mode, p.navigate(url), p.waitFor(`body[data-ready]`),
		p.press(mode), p.press("Record"), p.waitFor(`body[data-state=`+state+`]`))
}

// processingOff opens Advanced and turns off echo cancellation, noise
// suppression and auto gain: a steady tone is what they are built to
// remove.
func (p *tab) processingOff() step {
	return func(ctx context.Context) error {
		for _, s := range []step{p.run(`document.getElementById('advanced').open = true`),
			p.press("Echo cancellation"), p.press("Noise suppression"), p.press("Auto gain"),
			p.until("processing off", `!['opt-echo', 'opt-noise', 'opt-agc'].some((id) => document.getElementById(id).checked)`)} {
			if err := s(ctx); err != nil {
				return err
			}
		}
		return nil
	}
}

// recordLive drives a live take: processing off, WebRTC, during (with the
// page live), Stop, Save. It returns the saved file name and the seconds
// the page recorded.
func (p *tab) recordLive(url string, during func()) (string, float64) {
	p.t.Helper()
	p.do("starting a live take", p.navigate(url), p.waitFor(`[data-testid=btn-start]`), p.processingOff(),
		p.click(`[data-testid=mode-webrtc]`), p.click(`[data-testid=btn-start]`), p.waitFor(`body[data-state=live]`))
	during()
	p.do("stopping and saving", p.click(`[data-testid=btn-stop]`), p.waitFor(`body[data-state=draft]`),
		p.click(`[data-testid=btn-save]`), p.waitFor(`body[data-saved-filename]`))
	filename := p.attr("body", "data-saved-filename")
	p.do("the list showing the take", p.waitFor(fmt.Sprintf(`[data-testid=recording][data-filename=%q]`, filename)))
	secs := p.seconds("body", "data-recorded-seconds")
	p.t.Logf("%s: saved %s after %.2f s; status: %s", p.engine, filename, secs, p.status())
	return filename, secs
}

// labelled is JavaScript that finds the visible button, link, summary or
// label whose text (or aria-label) is label, else the first that starts
// with it, marks it and returns a selector for it ("" if none).
func labelled(label string) string {
	return fmt.Sprintf(`(() => {
	const want = %s;
	const name = (el) => (el.getAttribute('aria-label') || el.innerText || '').replace(/\s+/g, ' ').trim();
	const all = [...document.querySelectorAll('button, a, summary, label')]
		.filter((el) => el.getClientRects().length > 0 && !el.closest('[hidden]') && !el.disabled);
	const el = all.find((e) => name(e) === want) || all.find((e) => name(e).startsWith(want));
	if (!el) return '';
	el.dataset.pressed = String(Math.random()).slice(2);
	return '[data-pressed="' + el.dataset.pressed + '"]';
})()`, strconv.Quote(label))
}

// chromeDriver drives Chromium through chromedp; ctx must be a chromedp
// context. Text and attributes are asked of the page as in the WebDriver
// engines (internal/pagequery): a missing element is "", not a wait.
type chromeDriver struct{}

func (chromeDriver) Navigate(ctx context.Context, url string) error {
	return chromedp.Do(ctx, chromedp.Navigate(url))
}

// userGesture evaluates as if the user had just acted, as Firefox's Eval
// does.
func userGesture(p *runtime.EvaluateParams) { yes := true; p.UserGesture = &yes }

func (chromeDriver) Eval(ctx context.Context, expr string, out any) error {
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](expr, chromedp.EvalAwaitPromise, userGesture))
	if err != nil || out == nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

// Click clicks sel, failing after 5 s if it is not (or no longer) there,
// as WebDriver does at once: a list swapped meanwhile is tried again.
func (chromeDriver) Click(ctx context.Context, sel string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return chromedp.Do(ctx, chromedp.Click(css(sel)))
}

func (chromeDriver) WaitFor(ctx context.Context, sel string) error {
	return chromedp.Do(ctx, chromedp.WaitReady(css(sel)))
}

func (d chromeDriver) Text(ctx context.Context, sel string) (string, error) {
	return pagequery.Text(ctx, d, sel)
}

func (d chromeDriver) Attr(ctx context.Context, sel, name string) (string, bool, error) {
	return pagequery.Attr(ctx, d, sel, name)
}

// Screenshot is a PNG of the whole page.
func (chromeDriver) Screenshot(ctx context.Context) ([]byte, error) {
	return chromedp.Run(ctx, chromedp.FullScreenshot(100))
}
