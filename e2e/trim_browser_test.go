//go:build linux

package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// trimCase is a recording of one container to trim in the browser.
type trimCase struct {
	title, path, mime string
	packet            float64 // seconds: the cut's granularity
}

var trimCases = []trimCase{
	{"Tone webm", "../media/webm/testdata/chromium-440hz.webm", `audio/webm; codecs="opus"`, 0.060},
	{"Tone ogg", "../media/ogg/testdata/tone-440hz-mono.opus", `audio/ogg; codecs="opus"`, 0.020},
	{"Tone m4a", "../media/mp4/testdata/tone-frag.m4a", `audio/mp4; codecs="mp4a.40.2"`, 1024.0 / 48000},
	{"Tone wav", "", `audio/wav`, 1.0 / 16000},
}

// saveFixture saves a test file as a take through the API.
func saveFixture(t *testing.T, srv *testServer, c trimCase) string {
	t.Helper()
	var name string
	if c.path == "" {
		name = saveToneViaAPI(t, srv, 2)
	} else {
		audio, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		out := postJSON(t, srv.url+"/save_recording", map[string]any{
			"recording_type": "mediarecorder", "audio_data": base64.StdEncoding.EncodeToString(audio), "duration": 2,
		})
		if name, _ = out["filename"].(string); name == "" {
			t.Fatalf("save answered %v", out)
		}
	}
	postForm(t, srv.url+"/recordings/"+name+"/title", c.title)
	return name
}

// trimWalk is a person trimming a take of each container by what the
// trim view shows: the start handle moved with the arrow keys, the end
// one dragged, the selection played, Trim; then the trimmed take plays
// in the list for the selection's length, and Undo brings the original
// back. A container the engine cannot play is trimmed but not played
// (logged: Firefox plays AAC only through the system's FFmpeg).
func trimWalk(t *testing.T, p *tab, srv *testServer) {
	for _, c := range trimCases {
		saveFixture(t, srv, c)
	}
	for _, c := range trimCases {
		p.do(c.title+": opening the trim view", p.navigate(srv.url), p.waitFor(`body[data-ready]`),
			p.follow("Trim "+c.title, `location.pathname.endsWith('/trim')`),
			p.until("the handles", `document.querySelector('[data-handle=start]').getAttribute('aria-valuetext') === '0:00.0'`))
		var length float64
		if err := p.b.Eval(p.ctx, `Number(document.querySelector('[data-testid=trim]').dataset.seconds)`, &length); err != nil || length < 1.4 {
			t.Fatalf("%s: length %v, %v", c.title, length, err)
		}
		p.do(c.title+": the start handle by keyboard", func(ctx context.Context) error {
			return p.b.Eval(ctx, `(() => {
	const h = document.querySelector('[data-handle=start]');
	h.focus();
	for (let i = 0; i < 5; i++) h.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true, cancelable: true }));
})()`, nil)
		}, p.until("the start at 0.5 s", `document.querySelector('[data-handle=start]').getAttribute('aria-valuetext') === '0:00.5' && document.querySelector('input[name=start]').value === '0.500'`))
		p.do(c.title+": dragging the end handle", func(ctx context.Context) error {
			return p.b.Eval(ctx, fmt.Sprintf(`(() => {
	const track = document.querySelector('[data-track]');
	const h = document.querySelector('[data-handle=end]');
	const r = track.getBoundingClientRect(), y = r.top + r.height / 2;
	const ev = (type, target, x) => target.dispatchEvent(new PointerEvent(type, { pointerId: 7, clientX: x, clientY: y, bubbles: true, cancelable: true }));
	ev('pointerdown', h, h.getBoundingClientRect().left + 7);
	ev('pointermove', track, r.left + r.width * 0.5);
	ev('pointermove', track, r.left + r.width * %g);
	ev('pointerup', track, r.left + r.width * %[1]g);
})()`, 1.2/length), nil)
		}, p.until("the end at 1.2 s", `document.querySelector('[data-handle=end]').getAttribute('aria-valuetext') === '0:01.2'`))
		var sel [2]float64
		if err := p.b.Eval(p.ctx, `[Number(document.querySelector('input[name=start]').value), Number(document.querySelector('input[name=end]').value)]`, &sel); err != nil {
			t.Fatal(err)
		}
		want := sel[1] - sel[0]
		var canPlay string
		if err := p.b.Eval(p.ctx, `document.querySelector('audio').canPlayType(`+strconv.Quote(c.mime)+`)`, &canPlay); err != nil {
			t.Fatal(err)
		}
		if canPlay != "" {
			p.do(c.title+": Play selection", func(ctx context.Context) error {
				return p.b.Eval(ctx, `document.querySelector('[data-testid=trim] audio').muted = true`, nil)
			}, p.press("Play selection"),
				p.until("playing in the selection", fmt.Sprintf(`document.querySelector('[data-testid=trim] audio').currentTime > %g`, sel[0]+0.1)),
				p.until("stopped at its end", fmt.Sprintf(`(() => { const a = document.querySelector('[data-testid=trim] audio'); return a.paused && a.currentTime >= %g && a.currentTime < %g; })()`, sel[1]-0.05, sel[1]+0.4)))
		} else {
			t.Logf("%s: this engine cannot play %s; trimmed without playing", c.title, c.mime)
		}
		p.do(c.title+": Trim", p.press("Trim"),
			p.until("back in the list, told", `location.pathname === '/' && document.querySelector('[data-testid=notice]').textContent.includes('Trimmed “`+c.title+`”.')`))
		row := `[...document.querySelectorAll('[data-testid=recording]')].find((li) => li.querySelector('input[name=title]').value === ` + strconv.Quote(c.title) + `)`
		// The list may be swapped for a fresh copy just after the notice.
		p.do(c.title+": its row listed", p.until("the trimmed row listed", row+` !== undefined`))
		var secs float64
		if err := p.b.Eval(p.ctx, `Number(`+row+`.querySelector('[data-player]').dataset.seconds)`, &secs); err != nil || math.Abs(secs-want) > c.packet+1e-3 {
			t.Errorf("%s: the trimmed take is %.4f s (%v), want %.3f ± %.3f", c.title, secs, err, want, c.packet)
		}
		if canPlay != "" {
			// A list refresh may swap the row's player as it starts: played again.
			audio := row + `.querySelector('audio')`
			p.do(c.title+": playing the trimmed take", p.explained(p.retry(func(ctx context.Context) error {
				return p.b.Eval(ctx, `(() => { const a = `+audio+`; a.muted = true; a.preload = 'auto'; a.play().catch(() => {}); })()`, nil)
			}, fmt.Sprintf(`Math.abs(%s.duration - %g) <= %g && %[1]s.currentTime > 0.2`, audio, want, c.packet+0.03)),
				`(() => { const a = `+audio+`; return 'duration ' + a.duration + ', at ' + a.currentTime + ', error ' + (a.error && a.error.code); })()`))
		}
		p.do(c.title+": Undo", p.press("Undo"),
			p.until("the original back", fmt.Sprintf(`(() => { const r = %s; return r && Math.abs(Number(r.querySelector('[data-player]').dataset.seconds) - %g) < 0.01; })()`, row, length)))
	}
}

// TestTrim: a person trims a take of each container in each engine
// (trimWalk). In Chromium the view of a speech take also passes axe-core,
// and is photographed for the docs with RECORDER_SCREENSHOTS set.
func TestTrim(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		p := e.open(t)
		srv := startServer(t, nil)
		if e.name == "Chromium" {
			speech := saveWAVViaAPI(t, srv, speechWAV)
			postForm(t, srv.url+"/recordings/"+speech+"/title", "Standup notes")
			p.do("the trim view", func(ctx context.Context) error {
				return chromedp.Do(ctx, chromedp.EmulateViewport(1000, 700))
			}, p.navigate(srv.url+"/recordings/"+speech+"/trim"), p.waitFor(`[data-handle=start][aria-valuetext]`))
			axeCheck(t, p.ctx, "the trim view")
			p.shoot("desktop-trim.png")
		}
		trimWalk(t, p, srv)
	})
}

// explained is step, whose failure says what the JavaScript expression
// what shows then.
func (p *tab) explained(step func(context.Context) error, what string) func(context.Context) error {
	return func(ctx context.Context) error {
		err := step(ctx)
		if err != nil {
			var got string
			_ = p.b.Eval(ctx, what, &got)
			err = fmt.Errorf("%w: %s", err, got)
		}
		return err
	}
}

// TestReviewTrim: a person records in the browser, moves the start of
// the review's selection a second in with the arrow keys, and saves: the
// recording is the take less that second (within a packet), in each
// engine, and the whole take waits in Recently deleted.
func TestReviewTrim(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		p := e.open(t)
		srv := startServer(t, nil)
		p.startTake(srv.url, "Record in the browser", "recording")
		p.do("recording, stopping", sleep(3*time.Second), p.press("Stop"), p.waitFor(`body[data-state=draft]`),
			p.until("the selection under the review", `!document.querySelector('[data-review-trim]').hidden && document.querySelector('[data-review-trim] [data-handle=end]').getAttribute('aria-valuetext') !== '0:00.0'`))
		var length float64
		p.eval(`Number(document.querySelector('[data-review-trim] [data-handle=end]').getAttribute('aria-valuenow'))`, &length)
		p.do("the start a second in", p.run(`(() => {
	const h = document.querySelector('[data-review-trim] [data-handle=start]');
	h.focus();
	for (let i = 0; i < 10; i++) h.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true, cancelable: true }));
})()`), p.until("it says so", `document.querySelector('[data-review-trim] [data-handle=start]').getAttribute('aria-valuetext') === '0:01.0'`))
		p.do("saving", p.press("Save"), p.waitFor(`body[data-saved-filename]`), p.waitText("trimmed"))
		name := p.attr("body", "data-saved-filename")
		var rec struct {
			Duration    float64 `json:"duration"`
			TrimmedFrom string  `json:"trimmed_from"`
		}
		getJSON(t, srv.url+"/recordings/"+name, &rec)
		t.Logf("%s: the review measured %.3f s; saved %.3f s from 1.0 s on", e.name, length, rec.Duration)
		if want := length - 1; math.Abs(rec.Duration-want) > 0.07 || rec.TrimmedFrom == "" {
			t.Errorf("%s: saved %+v, want %.3f s ± 70 ms, trimmed from the whole take", e.name, rec, want)
		}
		p.do("the whole take in Recently deleted", p.navigate(srv.url+"/trash"), p.waitFor(`[data-testid=deleted-recording]`))
	})
}
