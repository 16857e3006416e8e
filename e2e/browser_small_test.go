package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/avatarweb/recorder/media"
)

// activeID is the id of the element with the keyboard focus, or, in a
// recordings row, "row:FILENAME:NAME" (the field's name).
const activeID = `(() => {
	const el = document.activeElement;
	const li = el?.closest('li[data-filename]');
	if (li) return 'row:' + li.dataset.filename + ':' + (el.name || el.dataset.testid || el.tagName);
	return el?.id || el?.tagName || '';
})()`

func focused(t *testing.T, ctx context.Context) string {
	t.Helper()
	time.Sleep(100 * time.Millisecond) // focus moves on the next frame
	id, err := chromedp.Run(ctx, chromedp.Evaluate[string](activeID))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var stoppedWording = regexp.MustCompile(`^Stopped: \d+\.\d s recorded\. Listen back, then save it or discard it\.$`)

// TestBrowserKeyboard makes two takes, one live and one in the browser,
// from the keyboard, as a user without a mouse would: R starts and stops,
// the focus goes to Stop, then the title, whose Enter saves, then back
// to Record; both modes word their end the same; the clock and the
// connection line of a take do not outlive it; and renaming or deleting
// a recording leaves the focus in the list, not at the top of the page.
func TestBrowserKeyboard(t *testing.T) {
	srv := startServer(t, nil)
	ctx := speechBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.url), chromedp.WaitReady(css(`body[data-ready]`))); err != nil {
		t.Fatal(err)
	}
	key := func(k string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.KeyEvent(k)); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(sel string) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(wctx, chromedp.WaitReady(css(sel))); err != nil {
			t.Fatalf("waiting for %s: %v (status %q, state %s, focus %s)", sel, err, text(t, ctx, `[data-testid=status]`), attr(t, ctx, "body", "data-state"), focused(t, ctx))
		}
	}

	// A live take (Chromium's default mode), started and stopped with R.
	key("r")
	wait(`body[data-state=live]`)
	if f := focused(t, ctx); f != "btn-stop" {
		t.Errorf("after Record the focus is on %q, want Stop", f)
	}
	time.Sleep(1500 * time.Millisecond)
	key("r")
	wait(`body[data-state=draft]`)
	if f := focused(t, ctx); f != "take-title" {
		t.Errorf("after Stop the focus is on %q, want the title", f)
	}
	if s := text(t, ctx, `[data-testid=status]`); !stoppedWording.MatchString(s) {
		t.Errorf("live take stopped: %q", s)
	}
	// Typing r in the title is a letter, not Stop; Enter saves.
	key("rehearsal\r")
	wait(`body[data-saved-filename]`)
	first := attr(t, ctx, "body", "data-saved-filename")
	if title := fileTitle(t, srv, first); title != "rehearsal" {
		t.Errorf("saved with the title %q, want what was typed", title)
	}
	if f := focused(t, ctx); f != "btn-start" {
		t.Errorf("after Save the focus is on %q, want Record", f)
	}
	if clock := text(t, ctx, `[data-testid=elapsed]`); clock != "00:00" {
		t.Errorf("after Save the clock says %s", clock)
	}
	if shown, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const el = document.getElementById('net-facts'); return !!el && el.getClientRects().length > 0; })()`)); shown {
		t.Error("the connection line is still shown after the save")
	}

	// A take in the browser: no connection line from the live take, the
	// same words when it stops, and Discard sends the focus to Record.
	if err := chromedp.Do(ctx, chromedp.Click(css(`[data-testid=mode-record]`))); err != nil {
		t.Fatal(err)
	}
	key("r")
	wait(`body[data-state=recording]`)
	if shown, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const el = document.getElementById('net-facts'); return !!el && el.getClientRects().length > 0; })()`)); shown {
		t.Error("the live take's connection line shows during a take in the browser")
	}
	time.Sleep(1500 * time.Millisecond)
	key("R")
	wait(`body[data-state=draft]`)
	if s := text(t, ctx, `[data-testid=status]`); !stoppedWording.MatchString(s) {
		t.Errorf("take in the browser stopped: %q (the live take's was worded the same)", s)
	}
	if err := chromedp.Do(ctx, chromedp.Click(css(`[data-testid=btn-discard]`)), chromedp.WaitReady(css(`body[data-state=idle]`))); err != nil {
		t.Fatal(err)
	}
	if f := focused(t, ctx); f != "btn-start" {
		t.Errorf("after Discard the focus is on %q, want Record", f)
	}
	if clock := text(t, ctx, `[data-testid=elapsed]`); clock != "00:00" {
		t.Errorf("after Discard the clock says %s", clock)
	}

	// Rename keeps the focus on the renamed title; Delete moves it to the
	// next recording.
	second := saveToneViaAPI(t, srv, 1)
	row := func(name string) string { return fmt.Sprintf(`[data-testid=recording][data-filename=%q]`, name) }
	wait(row(second))
	err := chromedp.Do(ctx,
		chromedp.SetValue(css(row(second)+` input[name=title]`), "Tone"),
		chromedp.Click(css(row(second)+` [data-testid=rename]`)),
		chromedp.WaitReady(css(row(second)+` input[name=title][value="Tone"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if f := focused(t, ctx); f != "row:"+second+":title" {
		t.Errorf("after Rename the focus is on %q, want that row's title", f)
	}
	go func() { // accept "Delete …?"
		for _, err := range chromedp.Events(ctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Click(css(row(second)+` [data-testid=delete]`)), chromedp.WaitNotPresent(css(row(second)))); err != nil {
		t.Fatal(err)
	}
	if f := focused(t, ctx); f != "row:"+first+":title" {
		t.Errorf("after Delete the focus is on %q, want the next recording's title", f)
	}
}

// TestBrowserSmallThings: what the issue saw in passing. The panel says
// "1 batch"; a paused take's meters lie still; a recording the server
// recovered is titled with its time written as the rows write theirs;
// a take stopped before it recorded anything offers no Save.
func TestBrowserSmallThings(t *testing.T) {
	srv := startServer(t, nil)
	name := saveToneViaAPI(t, srv, 1)
	at := time.Date(2026, 3, 1, 15, 4, 0, 0, time.UTC)
	postForm(t, srv.url+"/recordings/"+name+"/title", media.RecoveredTitle(at))
	ctx := speechBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.url), chromedp.WaitReady(css(`body[data-ready]`))); err != nil {
		t.Fatal(err)
	}

	frames, err := chromedp.Run(ctx, chromedp.Evaluate[string](`import(new URL('stats.js', document.querySelector('script[type=module]').src).href).then((m) => {
		m.showSession({ framing: { frames: 1, batches: 1 }, stats: { gaps: 1 }, chain: {} });
		return document.getElementById('st-frames').textContent + ' | ' + document.getElementById('st-gaps').textContent;
	})`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(frames, "1 frame · 1 batch | 1 gap ") {
		t.Errorf("the panel for one of each: %q (%v)", frames, err)
	}

	// The title's time, and the row's, in the viewer's clock.
	var shown struct{ Title, Row, Want string }
	shown, err = chromedp.Run(ctx, chromedp.Evaluate[struct{ Title, Row, Want string }](fmt.Sprintf(`(() => {
		const li = document.querySelector('[data-testid=recording][data-filename=%q]');
		const fmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
		return { title: li.querySelector('input[name=title]').value, row: li.querySelector('time').textContent,
			want: 'Recovered ' + fmt.format(new Date(%q)) };
	})()`, name, at.Format(time.RFC3339))))
	if err != nil {
		t.Fatal(err)
	}
	twelve := regexp.MustCompile(`\b(AM|PM)\b`)
	if shown.Title != shown.Want || twelve.MatchString(shown.Title) != twelve.MatchString(shown.Row) {
		t.Errorf("recovered title %q beside a row time %q; want %q, in the same clock", shown.Title, shown.Row, shown.Want)
	}

	// Paused meters lie still; recording, they move.
	if err := chromedp.Do(ctx, startTake("record"), chromedp.Sleep(800*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	levels := func() []string {
		var out []string
		for range 4 {
			v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('level-bar').style.transform`))
			out = append(out, v)
			time.Sleep(150 * time.Millisecond)
		}
		return out
	}
	recording := levels()
	if err := chromedp.Do(ctx, chromedp.Click(css(`[data-testid=btn-pause]`)), chromedp.WaitReady(css(`body[data-state=paused]`)), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	paused := levels()
	t.Logf("meter recording %v, paused %v", recording, paused)
	if recording[0] == "scaleX(0)" && recording[3] == "scaleX(0)" {
		t.Errorf("the meter does not move while recording speech: %v", recording)
	}
	for _, v := range paused {
		if v != "scaleX(0)" {
			t.Errorf("the meter moves while paused: %v", paused)
			break
		}
	}
	if err := chromedp.Do(ctx, chromedp.Click(css(`[data-testid=btn-stop]`)), chromedp.WaitReady(css(`body[data-state=draft]`)),
		chromedp.Click(css(`[data-testid=btn-discard]`)), chromedp.WaitReady(css(`body[data-state=idle]`))); err != nil {
		t.Fatal(err)
	}

	// Stopped at once: nothing recorded, nothing to save.
	// Stop the moment the take connects: no audio can have reached the
	// server yet.
	err = chromedp.Do(ctx,
		chromedp.Click(css(`[data-testid=mode-webrtc]`)),
		js(`new Promise((resolve) => {
			const watch = new MutationObserver(() => {
				if (document.body.dataset.state !== 'connecting') return;
				watch.disconnect();
				document.getElementById('btn-stop').click();
				resolve();
			});
			watch.observe(document.body, { attributes: true, attributeFilter: ['data-state'] });
			document.getElementById('btn-start').click();
		})`),
	)
	if err == nil {
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err = chromedp.Do(wctx, chromedp.WaitReady(css(`body[data-state=idle]`)))
		cancel()
	}
	if err != nil {
		t.Fatalf("a take stopped at once: %v (state %s, status %q)", err, attr(t, ctx, "body", "data-state"), text(t, ctx, `[data-testid=status]`))
	}
	status := text(t, ctx, `[data-testid=status]`)
	reviewShown, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById('review').hidden`))
	if !strings.Contains(status, "Nothing was recorded") || reviewShown {
		t.Errorf("a take stopped at once: %q, review shown %v; want nothing to save", status, reviewShown)
	}
}
