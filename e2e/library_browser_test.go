//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromeDriver drives Chromium through chromedp with the WebDriver
// methods the Firefox and WebKit tests use, so one walk through the page
// runs in all three engines.
type chromeDriver struct{}

func (chromeDriver) Navigate(ctx context.Context, url string) error {
	return chromedp.Do(ctx, chromedp.Navigate(url))
}

func (chromeDriver) Eval(ctx context.Context, expr string, out any) error {
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](expr))
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
	return chromedp.Do(ctx, chromedp.WaitVisible(css(sel)))
}

func (chromeDriver) Text(ctx context.Context, sel string) (string, error) {
	return chromedp.Run(ctx, chromedp.TextContent(css(sel)))
}

func (chromeDriver) Attr(ctx context.Context, sel, name string) (string, bool, error) {
	v, err := chromedp.Run(ctx, chromedp.AttributeValue(css(sel), name))
	return v.Value, v.Exists, err
}

// typeInto types text into the field labelled label, a key at a time as
// a person does (each an input event), after clearing it.
func (p *wdPage) typeInto(label, text string) func(context.Context) error {
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

// until waits up to 10 s for the JavaScript expression cond to be true.
func (p *wdPage) until(what, cond string) func(context.Context) error {
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

// rowsAre is a condition: the list's visible titles (or names) are names.
func rowsAre(names ...string) string {
	want, _ := json.Marshal(names)
	return `JSON.stringify([...document.querySelectorAll('[data-testid=recording] input[name=title]')].map((i) => i.value || i.placeholder)) === ` + strconv.Quote(string(want))
}

// libraryWalk is a person finding, deleting, undoing and restoring takes
// in a library of three, by what the page shows.
func libraryWalk(t *testing.T, p *wdPage, srv *testServer) {
	for _, title := range []string{"Standup notes", "Guitar riff"} {
		name := saveToneViaAPI(t, srv, 0.5)
		postForm(t, srv.url+"/recordings/"+name+"/title", title)
		time.Sleep(20 * time.Millisecond) // distinct save times: a stable order
	}
	p.do("opening the page", p.navigate(srv.url), p.waitFor(`body[data-ready]`),
		p.until("two rows", rowsAre("Guitar riff", "Standup notes")))
	// Nothing is fetched of the audio until it is played.
	var audioRequests int
	if err := p.b.Eval(p.ctx, `performance.getEntriesByType('resource').filter((e) => /\/audio(\?|$)/.test(new URL(e.name).pathname + new URL(e.name).search)).length`, &audioRequests); err != nil || audioRequests != 0 {
		t.Errorf("audio requests on load: %d (%v), want 0", audioRequests, err)
	}

	p.do("searching as one types", p.typeInto("Search recordings", "stand"),
		p.until("the standup alone", rowsAre("Standup notes")),
		p.until("the count", `document.querySelector('[data-testid=found]').textContent.includes('1 of 2 recordings matches “stand”')`),
		p.until("the address bar", `location.search === '?q=stand'`))
	p.do("clearing the search", p.typeInto("Search recordings", ""),
		p.until("both rows back", rowsAre("Guitar riff", "Standup notes")))

	p.do("deleting", p.press("Delete Guitar riff"),
		p.until("the row gone", rowsAre("Standup notes")),
		p.until("the toast", `document.querySelector('[data-testid=toast]').textContent.includes('Deleted “Guitar riff”.')`))
	p.do("undoing", p.press("Undo"), p.until("the row back", rowsAre("Guitar riff", "Standup notes")))

	// The Delete key on a focused row deletes it too, with Undo.
	// (A list refresh may swap the row just as the key goes: tried again.)
	p.do("the Delete key", p.retry(func(ctx context.Context) error {
		return p.b.Eval(ctx, `(() => {
	const link = document.querySelector('summary[aria-label="Download Guitar riff"]');
	link.focus();
	link.dispatchEvent(new KeyboardEvent('keydown', { key: 'Delete', bubbles: true, cancelable: true }));
})()`, nil)
	}, rowsAre("Standup notes")), p.until("the row gone", rowsAre("Standup notes")),
		p.until("the toast", `document.querySelector('[data-testid=toast]').textContent.includes('Deleted “Guitar riff”.')`),
		p.press("Undo"), p.until("the row back", rowsAre("Guitar riff", "Standup notes")))

	p.do("deleting again", p.press("Delete Guitar riff"), p.until("the row gone", rowsAre("Standup notes")),
		p.until("the list's link to it", `[...document.querySelectorAll('a')].some((a) => a.textContent.trim() === 'Recently deleted (1)')`))
	p.do("opening Recently deleted", p.follow("Recently deleted (1)", `location.pathname === '/trash' && document.querySelector('[data-testid=deleted-recording]')`),
		p.until("the deleted take there", `document.querySelector('[data-testid=trash]').textContent.includes('Guitar riff')`))
	p.do("restoring", p.press("Restore Guitar riff"), p.until("Recently deleted empty", `!document.querySelector('[data-testid=deleted-recording]')`))
	p.do("back to the list", p.press("← Recordings"), p.until("the page ready", `location.pathname === '/' && document.body.dataset.ready !== undefined`),
		p.until("both rows", rowsAre("Guitar riff", "Standup notes")))

	// Playback speed: chosen once, kept across visits, applied to a
	// player as it starts.
	p.do("choosing a speed", p.choose("Playback speed", "1.5"), p.navigate(srv.url), p.waitFor(`body[data-ready]`),
		p.until("the speed kept", `document.getElementById('speed').value === '1.5'`))
	p.do("playing", func(ctx context.Context) error {
		return p.b.Eval(ctx, `(() => { const a = document.querySelector('#recordings audio'); a.muted = true; a.play().catch(() => {}); })()`, nil)
	}, p.until("the player at 1.5×", `document.querySelector('#recordings audio').playbackRate === 1.5`))
}

// follow presses the link labelled label until cond holds (5 s each
// try, three tries): a link swapped by a list refresh just as it is
// clicked may take the click with it.
func (p *wdPage) follow(label, cond string) func(context.Context) error {
	return p.retry(p.press(label), cond)
}

// retry does act until cond holds (5 s each try, three tries).
func (p *wdPage) retry(act func(context.Context) error, cond string) func(context.Context) error {
	return func(ctx context.Context) error {
		var err error
		for range 3 {
			if err = act(ctx); err != nil {
				continue
			}
			wait, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = p.until(cond, cond)(wait)
			cancel()
			if err == nil {
				return nil
			}
		}
		return err
	}
}

// choose picks value in the select labelled label, as a person does.
func (p *wdPage) choose(label, value string) func(context.Context) error {
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

func TestBrowserLibrary(t *testing.T) {
	srv := startServer(t, nil)
	ctx := launch(t)
	libraryWalk(t, &wdPage{t: t, b: chromeDriver{}, ctx: ctx}, srv)
}

func TestFirefoxLibrary(t *testing.T) {
	firefoxPath(t)
	srv := startServer(t, nil)
	libraryWalk(t, newFirefox(t, nil, nil, ""), srv)
}

func TestWebKitLibrary(t *testing.T) {
	srv := startServer(t, nil)
	p, _ := newWebKit(t, 1280, 900)
	libraryWalk(t, p, srv)
}
