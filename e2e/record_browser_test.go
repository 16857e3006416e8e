//go:build linux

package e2e

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
	"github.com/avatarweb/recorder/media/mp4"
	"github.com/avatarweb/recorder/media/webm"
)

// TestRecordInBrowser records each engine's fake microphone in Record
// mode with a pause in the middle, listens back, saves, and checks the
// stored take: Opus in WebM (fixed to have a duration and cues) or Ogg, or
// WebKit's AAC in MP4, as long as the time recorded without the pause,
// its microphone's tone, the SQLite row matching the file, and the upload
// cleaned up. Go has no AAC decoder, so WebKit's take is decoded by the
// browser itself.
//
// The meters' AudioContext is made (or resumed) in the click. Where it
// still cannot run (headless Firefox without a sound device: no audio
// output, no clock for Web Audio) the page says so, instead of flat
// meters that look like a dead microphone.
func TestRecordInBrowser(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		srv := startServer(t, nil)
		p := e.open(t)
		p.do("recording", p.navigate(srv.url), p.waitFor(`body[data-ready]`), p.processingOff(),
			p.press("Record in the browser"), p.press("Record"), p.waitFor(`body[data-state=recording]`),
			sleep(1500*time.Millisecond))
		var meters struct {
			State, Level string
			Note         bool
		}
		p.eval(`({state: document.body.dataset.meters || '', level: document.getElementById('level-bar').style.transform,
		note: !!document.querySelector('[data-testid=meter-note]')?.getClientRects().length})`, &meters)
		t.Logf("%s: meters %+v", e.name, meters)
		switch {
		case meters.State == "on" && (meters.Level == "scaleX(0)" || meters.Note):
			t.Errorf("meters %+v: on, yet flat or said off", meters)
		case meters.State == "off" && !meters.Note:
			t.Errorf("meters %+v: off, and the page does not say so", meters)
		case meters.State != "on" && meters.State != "off":
			t.Errorf("meters %+v: the page does not know whether they run", meters)
		}
		p.do("pausing and resuming",
			p.press("Pause"), p.waitFor(`body[data-state=paused]`), sleep(time.Second),
			p.press("Resume"), p.waitFor(`body[data-state=recording]`), sleep(1500*time.Millisecond),
			p.press("Stop"), p.waitFor(`body[data-state=draft]`))
		// Listen back before saving: the preview plays what was uploaded.
		var loaded string
		p.eval(`new Promise((resolve) => {
		const a = document.querySelector('[data-testid=preview]');
		if (a.readyState >= 2) return resolve('');
		a.addEventListener('loadeddata', () => resolve(''), { once: true });
		a.addEventListener('error', () => resolve('error ' + (a.error && a.error.code) + ': ' + (a.error && a.error.message)), { once: true });
		a.load();
	})`, &loaded)
		if loaded != "" {
			t.Errorf("the listen-back player could not load the uploaded take: %s", loaded)
		}
		checkListenBackSkipsPause(t, p, e)
		recorded := p.seconds("body", "data-recorded-seconds")
		p.do("saving", p.press("Save"), p.waitFor(`body[data-saved-filename]`))
		filename := p.attr("body", "data-saved-filename")
		p.do("the list showing the take", p.waitFor(`[data-testid=recording][data-filename="`+filename+`"]`))

		file := readSaved(t, srv.Config.RecordingsDir(), filename)
		audio := file.Audio
		var dur float64
		var left []float32
		switch file.MIME {
		case "audio/webm;codecs=opus":
			info, err := webm.Probe(bytes.NewReader(audio), int64(len(audio)))
			if err != nil || !info.HasDuration || !info.HasCues || info.Codec != webm.CodecOpus {
				t.Fatalf("stored WebM: %+v, %v; want Opus with a duration and cues", info, err)
			}
			dur = info.Duration.Seconds()
			pcm, channels, err := webm.DecodeOpus(bytes.NewReader(audio), int64(len(audio)))
			if err != nil {
				t.Fatal(err)
			}
			left = mediatest.Channel(pcm, channels, 0)
			// Exported as WAV with the blocks placed by their timestamps,
			// it lasts what the WebM says: the browser's stamps have no
			// jump a packet long that would add silence (nor the pause).
			wav := exportedSeconds(t, srv.url+"/recordings/"+filename+"/audio?format=wav")
			if math.Abs(wav-dur) > 0.021 {
				t.Errorf("exported as WAV: %.3f s, the WebM %.3f s", wav, dur)
			}
			t.Logf("exported as WAV: %.3f s; its packets back to back %.3f s", wav, float64(len(left))/media.OpusRate)
		case "audio/ogg;codecs=opus", "audio/ogg":
			left, dur = decodeOgg(t, audio)
		case "audio/mp4;codecs=mp4a.40.2":
			info, err := mp4.Probe(bytes.NewReader(audio), int64(len(audio)))
			if err != nil || info.Codec != mp4.CodecAAC || info.Fragmented {
				t.Fatalf("stored MP4: %+v, %v; want an ordinary AAC MP4", info, err)
			}
			dur = info.Duration.Seconds()
			var inPage decodedAudio
			p.eval(decodeJS("/recordings/"+filename+"/audio"), &inPage)
			checkDecoded(t, e.name, inPage, dur, e.tone)
		default:
			t.Fatalf("stored as %q: want WebM or Ogg with Opus, or MP4 with AAC", file.MIME)
		}
		t.Logf("%s recorded %s, %d bytes, %.3f s", e.name, file.MIME, len(audio), dur)
		if file.Mode != "mediarecorder" || file.Bytes != int64(len(audio)) || math.Abs(file.Duration-dur) > 0.001 {
			t.Errorf("mode %q, %d bytes and %.3f s in the file; the audio is %d bytes, %.3f s", file.Mode, file.Bytes, file.Duration, len(audio), dur)
		}
		if math.Abs(dur-recorded) > 0.1*recorded {
			t.Errorf("duration %.3f s, the page recorded %.3f s without the pause (want ±10%%)", dur, recorded)
		}
		if left != nil {
			checkTone(t, left, media.OpusRate, float64(len(left))/media.OpusRate, e.tone)
		}
		row, err := srv.DB.GetRecording(context.Background(), filename)
		if err != nil {
			t.Fatal(err)
		}
		if row.MIME != file.MIME || row.Mode != "mediarecorder" || math.Abs(row.Duration-dur) > 0.001 ||
			row.Bytes != int64(len(audio)) || math.Abs(row.ClientDuration-recorded) > 0.01 {
			t.Errorf("SQLite row %+v does not match the file (%.3f s, %d bytes, client %.3f s)", row, dur, len(audio), recorded)
		}
		if entries, _ := os.ReadDir(filepath.Join(srv.Config.DataDir, "uploads")); len(entries) != 0 {
			t.Errorf("the upload was not cleaned up after saving: %v", entries)
		}
	})
}

// checkListenBackSkipsPause: where the engine recorded on through the
// take's pause (WebKitGTK), the listen-back player before Save jumps over
// it, as the save cuts it out; where the engine paused, it plays on.
// Played muted from just before the pause for a second, the player is
// never seen inside it.
func checkListenBackSkipsPause(t *testing.T, p *tab, e engine) {
	t.Helper()
	var got struct {
		Skips   string
		Inside  []float64
		Reached float64
	}
	p.eval(`new Promise((resolve) => {
		const a = document.querySelector('[data-testid=preview]');
		const skips = a.dataset.skips || '';
		const [start, end] = skips ? JSON.parse(skips)[0] : [1, 2];
		const inside = [];
		a.muted = true;
		a.currentTime = Math.max(0, start - 0.2);
		a.play().catch(() => {});
		const poll = setInterval(() => {
			if (a.currentTime > start + 0.1 && a.currentTime < end - 0.1) inside.push(a.currentTime);
		}, 10);
		setTimeout(() => { clearInterval(poll); a.pause(); resolve({skips, inside, reached: a.currentTime}); }, 1000);
	})`, &got)
	t.Logf("%s: listen-back skips %q, reached %.2f s, seen inside the pause %v", e.name, got.Skips, got.Reached, got.Inside)
	switch recordsThrough := e.name == "WebKit"; {
	case recordsThrough && got.Skips == "":
		t.Errorf("%s records on through Pause, yet the listen-back does not skip the pause", e.name)
	case !recordsThrough && got.Skips != "":
		t.Errorf("%s pauses its recording, yet the listen-back skips %s", e.name, got.Skips)
	case recordsThrough && len(got.Inside) > 0:
		t.Errorf("%s: the listen-back played the paused part (at %v s)", e.name, got.Inside)
	}
}

// exportedSeconds downloads a WAV export and returns its length.
func exportedSeconds(t *testing.T, url string) float64 {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	info, err := media.ReadWAVHeader(res.Body)
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return float64(info.DataBytes) / float64(2*info.Channels*info.SampleRate)
}
