//go:build linux

package e2e

import (
	"encoding/base64"
	"os"
	"strings"
	"testing"
)

// TestExportMenu: a person opens a recording's Download menu by its
// label and finds each format named as the file it saves; the WAV and
// the 16 kHz WAV the menu links to decode in the browser to the take's
// length, and the WAV plays, in each engine. The take is an Ogg Opus
// one (Firefox's MediaRecorder format, and what a live take kept as Opus
// is), so both are conversions.
func TestExportMenu(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		p := e.open(t)
		srv := startServer(t, nil)
		raw, err := os.ReadFile("../media/ogg/testdata/tone-440hz-mono.opus") // 1.5 s of 440 Hz
		if err != nil {
			t.Fatal(err)
		}
		out := postJSON(t, srv.url+"/save_recording", map[string]any{
			"recording_type": "mediarecorder", "audio_data": base64.StdEncoding.EncodeToString(raw), "mime": "audio/ogg", "duration": 1.5,
		})
		name, _ := out["filename"].(string)
		if name == "" {
			t.Fatalf("save answered %v", out)
		}
		postForm(t, srv.url+"/recordings/"+name+"/title", "Standup notes")

		const (
			wav    = `a[aria-label="Download WAV of Standup notes"]`
			speech = `a[aria-label="Download WAV 16 kHz mono (speech tools) of Standup notes"]`
		)
		p.do("opening the page", p.navigate(srv.url), p.waitFor(`body[data-ready]`), p.until("the row", rowsAre("Standup notes")))
		p.do("opening the menu", p.press("Download Standup notes"),
			p.until("its entries shown", `document.querySelector('`+speech+`').getClientRects().length > 0`))
		if e.name == "Chromium" {
			axeCheck(t, p.ctx, "the Download menu open")
		}
		var labels []string
		p.eval(`[...document.querySelectorAll('.download-item')].filter((a) => a.getClientRects().length > 0).map((a) => a.innerText.replace(/\s+/g, ' ').trim())`, &labels)
		if len(labels) != 3 || !strings.HasPrefix(labels[0], "Original (Ogg Opus)") || labels[1] != "WAV" || !strings.HasPrefix(labels[2], "WAV 16 kHz mono (speech tools)") {
			t.Errorf("menu shows %q", labels)
		}
		if f := p.attr(speech, "download"); !strings.HasPrefix(f, "Standup notes ") || !strings.HasSuffix(f, " 16k.wav") {
			t.Errorf("the 16 kHz WAV saves as %q", f)
		}

		for _, tc := range []struct {
			sel  string
			rate float64
		}{{wav, 48000}, {speech, 16000}} {
			var got struct {
				Type, Disposition string
				Seconds, Rate     float64
				Channels          int
			}
			p.eval(`(async () => {
	const res = await fetch(document.querySelector('`+tc.sel+`').href);
	const buf = await res.arrayBuffer();
	const header = new DataView(buf.slice(0, 44)); // decoding detaches buf
	const ctx = new OfflineAudioContext(1, 48000, 48000);
	const audio = await ctx.decodeAudioData(buf);
	return { Type: res.headers.get('Content-Type'), Disposition: res.headers.get('Content-Disposition'),
		Seconds: audio.duration, Rate: header.getUint32(24, true), Channels: header.getUint16(22, true) };
})()`, &got)
			if got.Type != "audio/wav" || !strings.HasPrefix(got.Disposition, "attachment") || got.Rate != tc.rate || got.Channels != 1 ||
				got.Seconds < 1.47 || got.Seconds > 1.53 {
				t.Errorf("%s: %+v, want audio/wav at %v Hz mono, 1.5 s", tc.sel, got, tc.rate)
			}
		}

		p.do("closing the menu with Escape", p.run(`document.querySelector('`+speech+`').focus()`),
			p.run(`document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))`),
			p.until("the menu closed, the focus on its summary", `!document.querySelector('details.rec-download').open && document.activeElement.matches('summary')`))
		p.do("opening it again and clicking elsewhere", p.press("Download Standup notes"),
			p.until("open", `document.querySelector('details.rec-download').open`),
			p.run(`document.querySelector('h2, h1').click()`),
			p.until("closed", `!document.querySelector('details.rec-download').open`))

		p.do("playing the WAV", p.run(`(() => {
	const a = new Audio(document.querySelector('`+wav+`').href);
	a.muted = true;
	a.addEventListener('ended', () => { document.body.dataset.exportPlayed = String(a.duration); });
	a.play().catch((e) => { document.body.dataset.exportPlayed = 'refused: ' + e; });
})()`), p.until("played to its end", `document.body.dataset.exportPlayed !== undefined`))
		var played string
		p.eval(`document.body.dataset.exportPlayed`, &played)
		if !strings.HasPrefix(played, "1.5") {
			t.Errorf("the WAV played: %q, want to its end at 1.5 s", played)
		}
	})
}

// TestExportSafariTake: a take WebKit's MediaRecorder made (AAC in a
// fragmented MP4) is offered as WAV and 16 kHz WAV too, decoded by the
// server's AAC decoder; WebKit decodes each download to the take's length
// less the encoder's priming (7.639 s of the 7.663 s take).
func TestExportSafariTake(t *testing.T) {
	for _, e := range engines {
		if e.name != "WebKit" {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			p := e.open(t)
			srv := startServer(t, nil)
			raw, err := os.ReadFile("../media/mp4/testdata/webkitgtk-2.50-mediarecorder.mp4")
			if err != nil {
				t.Fatal(err)
			}
			out := postJSON(t, srv.url+"/save_recording", map[string]any{
				"recording_type": "mediarecorder", "audio_data": base64.StdEncoding.EncodeToString(raw), "mime": "audio/mp4", "duration": 7.66,
			})
			name, _ := out["filename"].(string)
			if name == "" {
				t.Fatalf("save answered %v", out)
			}
			postForm(t, srv.url+"/recordings/"+name+"/title", "Interview")
			const speech = `a[aria-label="Download WAV 16 kHz mono (speech tools) of Interview"]`
			p.do("opening the page", p.navigate(srv.url), p.waitFor(`body[data-ready]`), p.until("the row", rowsAre("Interview")))
			p.do("opening the menu", p.press("Download Interview"),
				p.until("its entries shown", `document.querySelector('`+speech+`').getClientRects().length > 0`))
			var labels []string
			p.eval(`[...document.querySelectorAll('.download-item')].filter((a) => a.getClientRects().length > 0).map((a) => a.innerText.replace(/\s+/g, ' ').trim())`, &labels)
			if len(labels) != 3 || !strings.HasPrefix(labels[0], "Original (MP4)") || labels[1] != "WAV" || !strings.HasPrefix(labels[2], "WAV 16 kHz mono (speech tools)") {
				t.Errorf("menu shows %q", labels)
			}
			for _, tc := range []struct {
				sel  string
				rate float64
			}{{`a[aria-label="Download WAV of Interview"]`, 48000}, {speech, 16000}} {
				var got struct {
					Type               string
					Seconds, Rate, RMS float64
				}
				p.eval(`(async () => {
	const res = await fetch(document.querySelector('`+tc.sel+`').href);
	const buf = await res.arrayBuffer();
	const header = new DataView(buf.slice(0, 44));
	const ctx = new OfflineAudioContext(1, 48000, 48000);
	const audio = await ctx.decodeAudioData(buf);
	const x = audio.getChannelData(0);
	let sum = 0;
	for (const v of x) sum += v * v;
	return { Type: res.headers.get('Content-Type'), Seconds: audio.duration, Rate: header.getUint32(24, true), RMS: Math.sqrt(sum / x.length) };
})()`, &got)
				if got.Type != "audio/wav" || got.Rate != tc.rate || got.Seconds < 7.62 || got.Seconds > 7.66 || got.RMS < 0.02 {
					t.Errorf("%s: %+v, want audio/wav at %v Hz, 7.64 s of WebKit's hum", tc.sel, got, tc.rate)
				}
			}
		})
	}
}
