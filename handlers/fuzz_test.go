package handlers_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
	"github.com/avatarweb/recorder/media/store"
)

// The fuzz targets build their app once, outside f.Fuzz, so each input
// costs one request, not a database. newTestApp and friends take a
// *testing.T, which a *testing.F is not, so fuzzApp wires the app the
// same way for any testing.TB. Each target checks its invariants after
// every request, so state one input leaves behind is part of the next
// input's starting point only where the target restores it.

// fuzzApp is a testApp plus the log the fuzz target reads.
type fuzzApp struct {
	*testApp
	log *mediatest.LogBuffer
}

// newFuzzApp builds the app as newTestApp does, around s, logging to a
// buffer the target reads.
func newFuzzApp(tb testing.TB, s sessions) *fuzzApp {
	tb.Helper()
	logs := &mediatest.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return &fuzzApp{testApp: buildTestApp(tb, s, log), log: logs}
}

// newFuzzFakeApp is newFakeApp for a fuzz target: no session has a take.
func newFuzzFakeApp(tb testing.TB) *fuzzApp {
	tb.Helper()
	f := &fakeSessions{takes: map[string]media.Take{}}
	f.StopFn = func(id string) (media.Take, error) {
		return media.Take{}, fmt.Errorf("fake: %w", media.NotFoundf("no session %q", id))
	}
	f.ReleaseFn = func(string) error { return nil }
	return newFuzzApp(tb, f)
}

// newFuzzRTCApp is newRTCApp for a fuzz target.
func newFuzzRTCApp(tb testing.TB) (*fuzzApp, *rtc.Manager) {
	tb.Helper()
	m, err := rtc.NewManager(rtc.Config{
		SpoolDir:       filepath.Join(tb.TempDir(), "spool"),
		ConnectTimeout: time.Minute,
		Log:            slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(m.Close)
	return newFuzzApp(tb, m), m
}

// params reads GET /get_params.
func (fa *fuzzApp) params(tb testing.TB) media.Params {
	tb.Helper()
	res := fa.do(tb, http.MethodGet, "/get_params", "")
	if res.status != http.StatusOK {
		tb.Fatalf("GET /get_params: status %d, body %.300s", res.status, res.body)
	}
	var p media.Params
	if err := json.Unmarshal(res.body, &p); err != nil {
		tb.Fatalf("GET /get_params: %v in %.300s", err, res.body)
	}
	return p
}

// wantEnvelope fails unless res is JSON with a string "status" that is
// "success" exactly when the request succeeded.
func wantEnvelope(t *testing.T, res response, logs string) {
	t.Helper()
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("status %d with Content-Type %q, want JSON; body %.300q", res.status, ct, res.body)
	}
	var env struct {
		Status *string `json:"status"`
	}
	if err := json.Unmarshal(res.body, &env); err != nil || env.Status == nil {
		t.Fatalf("status %d: body is not a JSON envelope with status (%v): %.300q", res.status, err, res.body)
	}
	if ok := res.status == http.StatusOK; ok != (*env.Status == "success") {
		t.Fatalf("status %d with envelope status %q; logs:\n%s", res.status, *env.Status, logs)
	}
}

// wantStatusIn fails unless res.status is one of want.
func wantStatusIn(t *testing.T, res response, logs string, want ...int) {
	t.Helper()
	if !slices.Contains(want, res.status) {
		t.Fatalf("status %d, want one of %v; body %.300q; logs:\n%s", res.status, want, res.body, logs)
	}
}

// fuzzOfferSDP is the browser-like offer in testdata.
func fuzzOfferSDP(tb testing.TB) string {
	tb.Helper()
	sdp, err := os.ReadFile(filepath.Join("testdata", "offer.sdp"))
	if err != nil {
		tb.Fatal(err)
	}
	return string(sdp)
}

// fuzzJSON marshals v for a seed.
func fuzzJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// FuzzOffer posts arbitrary bodies to /webrtc/offer on a real rtc.Manager:
// the answer is 200 (then the session is discarded), 400, 404, 409 or 422,
// never 5xx, always the JSON envelope; no session outlives its input.
func FuzzOffer(f *testing.F) {
	sdp := fuzzOfferSDP(f)
	offer := map[string]string{"type": "offer", "sdp": sdp}
	f.Add(fuzzJSON(f, map[string]any{"session_id": "fuzz-1", "offer": offer}))
	f.Add(fuzzJSON(f, map[string]any{"offer": offer}))
	f.Add(fuzzJSON(f, map[string]any{"session_id": "fuzz-2", "offer": map[string]string{"type": "offer", "sdp": "garbage"}}))
	f.Add(fuzzJSON(f, map[string]any{"session_id": "fuzz-3", "offer": map[string]string{"type": "offer", "sdp": sdp[:len(sdp)/2]}}))
	f.Add(fuzzJSON(f, map[string]any{"session_id": "fuzz-4", "offer": map[string]string{"type": "answer", "sdp": sdp}}))
	f.Add(fuzzJSON(f, map[string]any{"session_id": "../x", "offer": offer}))
	// Offers pion answers although nothing in them can be recorded: a
	// second audio section, and PCMU instead of Opus.
	audio := sdp[strings.Index(sdp, "m=audio"):]
	f.Add(fuzzJSON(f, map[string]any{"offer": map[string]string{"type": "offer", "sdp": sdp + strings.Replace(audio, "a=mid:0", "a=mid:1", 1)}}))
	f.Add(fuzzJSON(f, map[string]any{"offer": map[string]string{"type": "offer", "sdp": strings.ReplaceAll(strings.Replace(sdp, "opus/48000/2", "PCMU/8000", 1), "111", "0")}}))
	f.Add(`{"session_id":"fuzz-5","offer":{"type":"offer","sdp":"v=0`)
	f.Add(``)

	fa, m := newFuzzRTCApp(f)
	f.Fuzz(func(t *testing.T, body string) {
		fa.log.Take()
		res := fa.do(t, http.MethodPost, "/webrtc/offer", body)
		logs := fa.log.Take()
		wantStatusIn(t, res, logs, http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity)
		wantEnvelope(t, res, logs)
		if res.status == http.StatusOK {
			var got struct {
				SessionID string                    `json:"session_id"`
				Answer    webrtc.SessionDescription `json:"answer"`
			}
			if err := json.Unmarshal(res.body, &got); err != nil || got.SessionID == "" || got.Answer.Type != webrtc.SDPTypeAnswer {
				t.Fatalf("200 without a session and an answer (%v): %.300q", err, res.body)
			}
			d := fa.do(t, http.MethodPost, "/webrtc/discard", fuzzJSON(t, map[string]string{"session_id": got.SessionID}))
			if d.status != http.StatusOK {
				t.Fatalf("discard %q: status %d, body %.300q", got.SessionID, d.status, d.body)
			}
		}
		// Refused offers leave nothing behind, and discarded ones go.
		if n := m.Live(); n != 0 {
			t.Fatalf("after status %d: %d live sessions, want 0", res.status, n)
		}
	})
}

// FuzzICECandidate posts arbitrary bodies to /webrtc/ice-candidate while
// session fuzz-ice is connecting: never 5xx, always the JSON envelope.
func FuzzICECandidate(f *testing.F) {
	const id = "fuzz-ice"
	const host = "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host"
	f.Add(fuzzJSON(f, map[string]any{"session_id": id, "candidate": host}))
	f.Add(fuzzJSON(f, map[string]any{"session_id": id, "candidate": map[string]any{"candidate": host, "sdpMid": "0", "sdpMLineIndex": 0}}))
	f.Add(fuzzJSON(f, map[string]any{"session_id": id, "candidate": map[string]any{"candidate": "candidate:2 1 tcp 1 ::1 9 typ host tcptype passive", "sdpMid": "9", "sdpMLineIndex": 7}}))
	f.Add(fuzzJSON(f, map[string]any{"session_id": id, "candidate": "candidate:3 1 udp 1 fuzz.local 9 typ srflx raddr 0.0.0.0 rport 0"}))
	f.Add(fuzzJSON(f, map[string]any{"session_id": id, "candidate": "candidate:garbage"}))
	f.Add(fuzzJSON(f, map[string]any{"session_id": "nope", "candidate": host}))
	f.Add(`{"session_id":"fuzz-ice","candidate":null}`)
	f.Add(`{"session_id":"fuzz-ice","candidate":`)

	fa, m := newFuzzRTCApp(f)
	offer := fuzzJSON(f, map[string]any{"session_id": id, "offer": map[string]string{"type": "offer", "sdp": fuzzOfferSDP(f)}})
	// live keeps session id connecting: a candidate that ends it (or the
	// connect timeout) makes the next input start a new one.
	live := func(tb testing.TB) {
		tb.Helper()
		if s, err := m.Get(id); err == nil && s.State() == media.SessionConnecting {
			return
		} else if err == nil {
			if err := m.Discard(id); err != nil {
				tb.Fatalf("discard %s: %v", id, err)
			}
		}
		if res := fa.do(tb, http.MethodPost, "/webrtc/offer", offer); res.status != http.StatusOK {
			tb.Fatalf("offer %s: status %d, body %.300q", id, res.status, res.body)
		}
	}
	live(f)
	f.Fuzz(func(t *testing.T, body string) {
		live(t)
		fa.log.Take()
		res := fa.do(t, http.MethodPost, "/webrtc/ice-candidate", body)
		logs := fa.log.Take()
		wantStatusIn(t, res, logs, http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusConflict)
		wantEnvelope(t, res, logs)
	})
}

// FuzzUpdateParams posts arbitrary bodies to /update_params: 200, 400 or
// 422; after 200, GET /get_params gives the answered, valid parameters;
// after anything else, the parameters are unchanged.
func FuzzUpdateParams(f *testing.F) {
	f.Add(`{"fps":25,"batch_size":32,"sample_rate":16000,"channels":2}`)
	f.Add(`{"sample_rate":22050}`)
	f.Add(`{"fps":0,"batch_size":17,"sample_rate":1,"channels":3}`)
	f.Add(`{"fps":-9223372036854775808}`)
	f.Add(`{"fps":1e400}`)
	f.Add(`{"fps":"30"}`)
	f.Add(`null`)
	f.Add(`{"fps":30,`)
	f.Add(``)

	fa := newFuzzFakeApp(f)
	f.Fuzz(func(t *testing.T, body string) {
		before := fa.params(t)
		fa.log.Take()
		res := fa.do(t, http.MethodPost, "/update_params", body)
		logs := fa.log.Take()
		wantStatusIn(t, res, logs, http.StatusOK, http.StatusBadRequest, http.StatusUnprocessableEntity)
		wantEnvelope(t, res, logs)
		after := fa.params(t)
		if err := after.Validate(); err != nil {
			t.Fatalf("after status %d, params %+v are invalid: %v", res.status, after, err)
		}
		if res.status != http.StatusOK {
			if after != before {
				t.Fatalf("refused (%d) but params changed from %+v to %+v", res.status, before, after)
			}
			return
		}
		var got struct {
			Params media.Params `json:"params"`
		}
		if err := json.Unmarshal(res.body, &got); err != nil || got.Params != after {
			t.Fatalf("answered params %.300s (%v), but GET /get_params gives %+v", res.body, err, after)
		}
	})
}

// FuzzParamsForm posts arbitrary form bodies to /params as htmx does: 200
// or 422 with the form fragment, never 5xx; the parameters stay valid,
// and a refused form changes nothing.
func FuzzParamsForm(f *testing.F) {
	f.Add("fps=25&batch_size=32&sample_rate=16000&channels=2")
	f.Add("fps=60")
	f.Add("fps=abc&batch_size=17&sample_rate=1&channels=3")
	f.Add("fps=%2B30&channels=%zz")
	f.Add("fps=30&fps=0;channels=2")
	f.Add("fps=99999999999999999999")
	f.Add("")

	fa := newFuzzFakeApp(f)
	f.Fuzz(func(t *testing.T, form string) {
		before := fa.params(t)
		fa.log.Take()
		res := fa.do(t, http.MethodPost, "/params", form,
			"Content-Type", "application/x-www-form-urlencoded", "HX-Request", "true")
		logs := fa.log.Take()
		wantStatusIn(t, res, logs, http.StatusOK, http.StatusUnprocessableEntity)
		if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("status %d with Content-Type %q, want the form fragment", res.status, ct)
		}
		after := fa.params(t)
		if err := after.Validate(); err != nil {
			t.Fatalf("after status %d, params %+v are invalid: %v", res.status, after, err)
		}
		if res.status != http.StatusOK && after != before {
			t.Fatalf("refused (%d) but params changed from %+v to %+v", res.status, before, after)
		}
	})
}

// wantNoOrphans fails unless the recordings directory holds exactly one
// file per row, under the row's name: no orphan file, no temporary file
// left behind, no row without its file.
func (fa *fuzzApp) wantNoOrphans(t *testing.T, after string) {
	t.Helper()
	rows, err := fa.db.Filenames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w := fa.written(t)
	if w.rows != len(rows) {
		t.Fatalf("%s: CountRecordings %d, Filenames %d", after, w.rows, len(rows))
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for name := range rows {
			if !yield(name) {
				return
			}
		}
	})
	if !slices.Equal(w.files, names) {
		t.Fatalf("%s: files %q, rows %q", after, w.files, names)
	}
}

// fuzzWAV is a 10 ms tone at 8 kHz mono as a WAV file.
func fuzzWAV() []byte {
	pcm := tone(8000, 1, 0.01)
	return append(media.WAVHeader(8000, 1, int64(len(pcm))), pcm...)
}

// FuzzSaveRecording posts arbitrary bodies to /save_recording with no
// live session: never 5xx; 200 only with a recording that opens and reads
// to its size; after every request, one file per row and nothing else in
// the recordings directory. A saved recording is deleted before the next
// input.
func FuzzSaveRecording(f *testing.F) {
	wav := base64.StdEncoding.EncodeToString(fuzzWAV())
	f.Add(`{"session_id":"nope","recording_type":"webrtc","duration":1}`)
	f.Add(`{"recording_type":"mediarecorder","audio_data":"` + wav + `","mime":"audio/wav","duration":0.01}`)
	f.Add(`{"recording_type":"mediarecorder","audio_data":"data:audio/wav;base64,` + wav + `"}`)
	f.Add(`{"recording_type":"mediarecorder","audio_data":"!!not base64!!","mime":"audio/webm"}`)
	f.Add(`{"recording_type":"mediarecorder","audio_data":"AAAAIGZ0eXBpc29t","mime":"audio/mp4","duration":2.5}`)
	f.Add(`{"recording_type":"mediarecorder","audio_data":"GkXfo59ChoEBQveBAULygQRC84EIQoKEd2VibUKHgQRChYEC","mime":"audio/webm"}`)
	f.Add(`{"recording_type":"mediarecorder","upload_id":"nope"}`)
	f.Add(`{"recording_type":"mediarecorder","upload_id":"../x"}`)
	f.Add(`{"recording_type":"webrtc"}`)
	f.Add(`{"recording_type":`)

	fa := newFuzzFakeApp(f)
	f.Fuzz(func(t *testing.T, body string) {
		fa.log.Take()
		res := fa.do(t, http.MethodPost, "/save_recording", body)
		logs := fa.log.Take()
		wantStatusIn(t, res, logs, http.StatusOK, http.StatusBadRequest, http.StatusNotFound,
			http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity)
		wantEnvelope(t, res, logs)
		fa.wantNoOrphans(t, fmt.Sprintf("after status %d", res.status))
		if res.status != http.StatusOK {
			if w := fa.written(t); w.rows != 0 {
				t.Fatalf("refused (%d) but %d recordings are stored", res.status, w.rows)
			}
			return
		}
		var got struct {
			Filename string `json:"filename"`
		}
		if err := json.Unmarshal(res.body, &got); err != nil || !store.ValidName(got.Filename) {
			t.Fatalf("saved, but the answer names no recording (%v): %.300q", err, res.body)
		}
		if w := fa.written(t); w.rows != 1 {
			t.Fatalf("saved, but %d recordings are stored", w.rows)
		}
		// What was saved opens, and reads to its recorded size.
		rec, err := fa.lib.Open(context.Background(), got.Filename)
		if err != nil {
			t.Fatalf("saved %s does not open: %v", got.Filename, err)
		}
		n, err := io.Copy(io.Discard, rec.Audio)
		rec.Close()
		if err != nil || n != rec.Size {
			t.Fatalf("saved %s: read %d of %d bytes: %v", got.Filename, n, rec.Size, err)
		}
		// Start the next input from an empty library.
		if err := fa.lib.Delete(context.Background(), got.Filename); err != nil {
			t.Fatal(err)
		}
		fa.wantNoOrphans(t, "after deleting the saved recording")
	})
}

// FuzzRecordingName requests /recordings/{name}, its audio and its delete
// for arbitrary names beside one saved recording, an orphan file, a row
// whose file is a symbolic link out of the directory, and a row without a
// file: never 5xx; 200 only for the saved recording, with its bytes; a
// delete succeeds only for a name with a row; nothing outside the
// directory, and no orphan, is ever served or removed.
func FuzzRecordingName(f *testing.F) {
	fa := newFuzzFakeApp(f)
	ctx := context.Background()
	wav := fuzzWAV()
	p := media.DefaultParams()

	// The one saved recording; the clock stands still, so saving it again
	// after a delete gives it the same name.
	save := func(tb testing.TB) string {
		tb.Helper()
		rec, err := fa.lib.SaveAudio(ctx, wav, "audio/wav", 0, p, "")
		if err != nil {
			tb.Fatal(err)
		}
		return rec.Filename
	}
	saved := save(f)
	savedFile, err := os.ReadFile(filepath.Join(fa.recDir, saved))
	if err != nil {
		f.Fatal(err)
	}
	// What must never be served: a file beside the recordings directory, a
	// valid name on disk without a row, a symbolic link with a row that
	// points out of the directory, and a row without a file.
	const secret, orphanData = "FUZZ-SECRET-7f3a", "T1JQSEFOLU1BUktFUg==" // ORPHAN-MARKER
	if err := os.WriteFile(filepath.Join(fa.dataDir, "secret.json"), []byte(`{"audio_data":"`+base64.StdEncoding.EncodeToString([]byte(secret))+`","note":"`+secret+`"}`), 0o644); err != nil {
		f.Fatal(err)
	}
	const orphan, link, missing = "recording_20990101_000000.json", "recording_20990101_000001.json", "recording_20990101_000002.json"
	if err := os.WriteFile(filepath.Join(fa.recDir, orphan), []byte(`{"audio_data":"`+orphanData+`"}`), 0o644); err != nil {
		f.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..", "secret.json"), filepath.Join(fa.recDir, link)); err != nil {
		f.Fatal(err)
	}
	rowed := map[string]bool{saved: true, link: true, missing: true}
	restoreRows := func(tb testing.TB) {
		tb.Helper()
		for _, name := range []string{link, missing} {
			if _, err := fa.db.GetRecording(ctx, name); errors.Is(err, media.ErrNotFound) {
				if err := fa.db.InsertRecording(ctx, &media.Recording{Filename: name, Duration: 1, SampleRate: 8000, Channels: 1,
					FPS: 30, BatchSize: 64, Mode: "mediarecorder", MIME: "audio/wav", Bytes: 10}); err != nil {
					tb.Fatal(err)
				}
			} else if err != nil {
				tb.Fatal(err)
			}
		}
		if _, err := fa.db.GetRecording(ctx, saved); errors.Is(err, media.ErrNotFound) {
			if again := save(tb); again != saved {
				tb.Fatalf("saved again as %s, not %s", again, saved)
			}
		} else if err != nil {
			tb.Fatal(err)
		}
	}
	restoreRows(f)

	for _, name := range []string{
		saved, orphan, link, missing,
		"../secret.json", "..", ".", "../recorder.db", "..\\recorder.db", "%2e%2e",
		saved + "\x00", saved + "/../../secret.json", "/etc/passwd", ".trash-" + saved,
		".recording-0000000000000000.tmp", "RECORDING_20250102_030405.JSON", "recording_20250102_030405_2.json",
	} {
		f.Add(name)
	}

	leaked := func(body []byte) bool {
		return bytes.Contains(body, []byte(secret)) || bytes.Contains(body, []byte("FUZZ-SECRET")) ||
			bytes.Contains(body, []byte("ORPHAN")) || bytes.Contains(body, []byte(orphanData)) ||
			bytes.Contains(body, []byte("SQLite format"))
	}
	f.Fuzz(func(t *testing.T, name string) {
		if name == "" {
			return // "/recordings/" is the list, not a recording
		}
		target := "/recordings/" + url.PathEscape(name)
		if len(target) > 3000 {
			// fasthttp refuses a request line past its 4 KiB read buffer
			// (431) before the app sees it; app.Test reports that as an error.
			return
		}
		for _, req := range []struct{ method, path string }{
			{http.MethodGet, target},
			{http.MethodGet, target + "/audio"},
			{http.MethodPost, target + "/delete"},
		} {
			fa.log.Take()
			res := fa.do(t, req.method, req.path, "")
			logs := fa.log.Take()
			what := fmt.Sprintf("%s %s", req.method, req.path)
			if res.status >= 500 {
				t.Fatalf("%s: status %d, body %.300q; logs:\n%s", what, res.status, res.body, logs)
			}
			if leaked(res.body) {
				t.Fatalf("%s: status %d served a file it must not: %.300q", what, res.status, res.body)
			}
			switch {
			case req.method == http.MethodPost && res.status < 400:
				if res.status != http.StatusSeeOther || !rowed[name] {
					t.Fatalf("%s: status %d for a name that is not a recording", what, res.status)
				}
			case res.status < 300:
				if name != saved {
					t.Fatalf("%s: status %d for a name that is not a saved recording; body %.300q", what, res.status, res.body)
				}
				want := savedFile
				if strings.HasSuffix(req.path, "/audio") {
					want = wav
				}
				if !bytes.Equal(res.body, want) {
					t.Fatalf("%s: served %d bytes, not the %d of %s", what, len(res.body), len(want), saved)
				}
			}
		}
		// Nothing but the recording named was touched.
		for _, path := range []string{filepath.Join(fa.dataDir, "secret.json"), filepath.Join(fa.recDir, orphan), filepath.Join(fa.dataDir, "recorder.db")} {
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("after %q: %v", name, err)
			}
		}
		if _, err := os.Lstat(filepath.Join(fa.recDir, link)); err != nil {
			t.Fatalf("after %q: %v", name, err)
		}
		restoreRows(t)
	})
}
