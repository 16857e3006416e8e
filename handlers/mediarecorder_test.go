package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mp4"
	"github.com/avatarweb/recorder/media/upload"
	"github.com/avatarweb/recorder/media/webm"
)

// chromiumWebM is 2 s of 440 Hz recorded by Chromium's MediaRecorder:
// Opus in WebM, with neither a duration nor cues.
func chromiumWebM(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile("../media/webm/testdata/chromium-440hz.webm")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// saveAnswer is the answer of POST /save_recording.
type saveAnswer struct {
	Status   string  `json:"status"`
	Message  string  `json:"message"`
	Filename string  `json:"filename"`
	Duration float64 `json:"duration"`
}

// saveBody is a mediarecorder request for POST /save_recording.
func saveBody(t *testing.T, fields map[string]any) string {
	t.Helper()
	fields["recording_type"] = "mediarecorder"
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// saveOK posts body to /save_recording and returns the saved row.
func (ta *testApp) saveOK(t *testing.T, body string) (saveAnswer, *media.Recording) {
	t.Helper()
	res := ta.do(t, http.MethodPost, "/save_recording", body)
	res.wantStatus(t, http.StatusOK)
	var got saveAnswer
	res.decode(t, &got)
	if got.Status != "success" || got.Filename == "" {
		t.Fatalf("save = %s", res.body)
	}
	rec, err := ta.db.GetRecording(context.Background(), got.Filename)
	if err != nil {
		t.Fatal(err)
	}
	if got.Duration != rec.Duration {
		t.Errorf("answered duration %v, row %v", got.Duration, rec.Duration)
	}
	return got, rec
}

// wantFixedWebM checks that recording name is the fixture as the server
// stores it: Opus in WebM, measured, with a duration and cues.
func (ta *testApp) wantFixedWebM(t *testing.T, rec *media.Recording, clientDuration float64) {
	t.Helper()
	if rec.Mode != "mediarecorder" || rec.MIME != "audio/webm;codecs=opus" || rec.SampleRate != 48000 ||
		math.Abs(rec.Duration-1.98) > 0.03 || rec.ClientDuration != clientDuration || len(rec.Peaks) == 0 {
		t.Errorf("row = %+v", *rec)
	}
	res := ta.do(t, http.MethodGet, "/recordings/"+rec.Filename+"/audio", "")
	res.wantStatus(t, http.StatusOK)
	if ct := res.header.Get("Content-Type"); ct != "audio/webm;codecs=opus" {
		t.Errorf("Content-Type = %q", ct)
	}
	info, err := webm.Probe(bytes.NewReader(res.body), int64(len(res.body)))
	if err != nil || !info.HasDuration || !info.HasCues || info.Blocks == 0 {
		t.Errorf("served WebM: %+v, %v; want a duration, cues and blocks", info, err)
	}
	if math.Abs(info.HeaderDuration.Seconds()-rec.Duration) > 0.03 || int64(len(res.body)) != rec.Bytes {
		t.Errorf("served WebM says %v, row %.3f s; %d bytes, row %d", info.HeaderDuration, rec.Duration, len(res.body), rec.Bytes)
	}
}

func TestSaveMediaRecorder(t *testing.T) {
	t.Parallel()
	raw := chromiumWebM(t)
	b64 := base64.StdEncoding.EncodeToString(raw)

	t.Run("OKAudioData", func(t *testing.T) {
		ta, _ := newFakeApp(t)
		// The declared type is the client's: the server reads the file.
		_, rec := ta.saveOK(t, saveBody(t, map[string]any{"audio_data": b64, "mime": "audio/wav", "duration": 2.1}))
		ta.wantFixedWebM(t, rec, 2.1)
		if w := ta.written(t); w.rows != 1 || len(w.files) != 1 || w.files[0] != rec.Filename {
			t.Errorf("written = %+v, want the one recording and no temporary file", w)
		}
	})

	t.Run("OKDataURL", func(t *testing.T) {
		ta, _ := newFakeApp(t)
		_, rec := ta.saveOK(t, saveBody(t, map[string]any{"audio_data": "data:audio/webm;codecs=opus;base64," + b64, "duration": 2}))
		ta.wantFixedWebM(t, rec, 2)
	})

	t.Run("OKUploadWebM", func(t *testing.T) {
		ta, _ := newFakeApp(t)
		ta.begin(t, "webm1", "audio/webm;codecs=opus")
		for i, c := range cut(raw, 4) {
			ta.putOK(t, "webm1", i, c)
		}
		_, rec := ta.saveOK(t, saveBody(t, map[string]any{"upload_id": "webm1", "duration": 1.9}))
		ta.wantFixedWebM(t, rec, 1.9)
		ta.wantUploadFiles(t, map[string]int64{"./": 0})
	})

	t.Run("OKAfterMissingChunk", func(t *testing.T) {
		ta, _ := newFakeApp(t)
		wav := wavTake(0.25)
		chunks := cut(wav, 4)
		ta.begin(t, "u1", "audio/wav")
		for _, i := range []int{0, 1, 3} {
			ta.putOK(t, "u1", i, chunks[i])
		}
		before := ta.written(t)
		ta.do(t, http.MethodPost, "/save_recording", saveBody(t, map[string]any{"upload_id": "u1"})).
			wantError(t, http.StatusConflict, "chunk 2 is missing; chunk 3 arrived after it")
		ta.wantUnchanged(t, before)
		want := upload.Status{ID: "u1", MIME: "audio/wav", Next: 2, Bytes: int64(len(chunks[0]) + len(chunks[1])),
			Aside: []int{3}, Chunks: 3}
		if st := ta.uploadStatus(t, "u1"); !reflect.DeepEqual(st, want) {
			t.Errorf("after the refused save: %+v, want %+v", st, want)
		}

		// The client sends what was missing, and the save goes through.
		ta.putOK(t, "u1", 2, chunks[2])
		got, rec := ta.saveOK(t, saveBody(t, map[string]any{"upload_id": "u1", "duration": 0.3}))
		if got.Duration != 0.25 || rec.MIME != "audio/wav" || rec.ClientDuration != 0.3 {
			t.Errorf("save = %+v, row %+v", got, *rec)
		}
		res := ta.do(t, http.MethodGet, "/recordings/"+rec.Filename+"/audio", "")
		res.wantStatus(t, http.StatusOK)
		if !bytes.Equal(res.body, wav) {
			t.Errorf("stored audio: %d bytes, want the %d-byte WAV", len(res.body), len(wav))
		}
	})

	cluster := bytes.Index(raw, []byte{0x1F, 0x43, 0xB6, 0x75})
	if cluster <= 0 {
		t.Fatal("the fixture has no Cluster")
	}
	headerOnly := base64.StdEncoding.EncodeToString(raw[:cluster])

	// Refusals share one app, with an empty upload and one that lacks
	// chunk 2: each must leave the uploads and the library as they were.
	ta, _ := newFakeApp(t)
	ta.begin(t, "empty", "audio/webm")
	ta.begin(t, "gap", "audio/webm")
	for _, i := range []int{0, 1, 3} {
		ta.putOK(t, "gap", i, raw[i*100:(i+1)*100])
	}
	for _, tt := range []struct {
		name   string
		fields map[string]any
		status int
		msg    string
	}{
		{"ErrNothing", map[string]any{"duration": 2}, http.StatusBadRequest, "needs upload_id or audio_data"},
		{"ErrEmptyAudioData", map[string]any{"audio_data": ""}, http.StatusBadRequest, "needs upload_id or audio_data"},
		{"ErrUploadUnknown", map[string]any{"upload_id": "nope"}, http.StatusNotFound, `no upload "nope"`},
		{"ErrUploadBadID", map[string]any{"upload_id": "../u1"}, http.StatusBadRequest, "is not an upload id"},
		{"ErrUploadEmpty", map[string]any{"upload_id": "empty"}, http.StatusBadRequest, "nothing was recorded"},
		{"ErrUploadMissingChunk", map[string]any{"upload_id": "gap"}, http.StatusConflict, "chunk 2 is missing"},
		{"ErrHeaderOnly", map[string]any{"audio_data": headerOnly, "mime": "audio/webm", "duration": 3}, http.StatusBadRequest, "nothing was recorded"},
		{"ErrNotBase64", map[string]any{"audio_data": "not base64!", "duration": 1}, http.StatusBadRequest, "audio_data is not base64"},
		{"ErrDataURLNotBase64", map[string]any{"audio_data": "data:audio/webm;base64,%%%"}, http.StatusBadRequest, "audio_data is not base64"},
		{"ErrNotAudio", map[string]any{"audio_data": base64.StdEncoding.EncodeToString([]byte("<html>hello</html>")), "mime": "text/html"}, http.StatusUnprocessableEntity, "unrecognized audio"},
		{"ErrBrokenWAV", map[string]any{"audio_data": base64.StdEncoding.EncodeToString(wavTake(0.1)[:30])}, http.StatusUnprocessableEntity, "not a 16-bit PCM WAV"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, uploads := ta.written(t), ta.uploadFiles(t)

			ta.do(t, http.MethodPost, "/save_recording", saveBody(t, tt.fields)).wantError(t, tt.status, tt.msg)

			ta.wantUnchanged(t, before)
			if before.rows != 0 || len(before.files) != 0 {
				t.Errorf("before = %+v, want nothing", before)
			}
			// Refused saves keep the uploads, for the client to finish.
			ta.wantUploadFiles(t, uploads)
		})
	}
}

// Bodies over the limit (4 MiB in tests) never reach a handler: refused by
// their Content-Length, unread.
// app.Test reports that as an error, and net/http's client, still writing
// the body when the server answers and hangs up, reports the reset
// instead of the answer; so these go over a raw connection.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	ta, _ := newFakeApp(t)
	addr := ta.serve(t)
	ta.begin(t, "u1", "audio/wav")
	before, uploads := ta.written(t), ta.uploadFiles(t)

	// Valid base64 of 3 MiB: all that is wrong with it is its size.
	audio := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x52}, 3<<20+3))
	for _, tt := range []struct {
		name, method, path, contentType string
		body                            []byte
	}{
		{"ErrAudioData", http.MethodPost, "/save_recording", "application/json",
			[]byte(saveBody(t, map[string]any{"audio_data": audio, "duration": 70}))},
		{"ErrChunk", http.MethodPut, "/uploads/u1/chunks/0", "application/octet-stream", bytes.Repeat([]byte{1}, 4<<20+1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.body) <= 4<<20 {
				t.Fatalf("a body of %d bytes is within the limit", len(tt.body))
			}
			sendRaw(t, addr, tt.method, tt.path, tt.contentType, tt.body).
				wantError(t, http.StatusRequestEntityTooLarge, "the request body is larger than 4 MiB")
		})
	}

	ta.wantUnchanged(t, before)
	ta.wantUploadFiles(t, uploads)
	if st := ta.uploadStatus(t, "u1"); st.Next != 0 || st.Bytes != 0 {
		t.Errorf("u1 = %+v, want it empty", st)
	}
}

// sendRaw sends a request over a connection of its own and returns the
// answer, which may come before the body is all sent.
func sendRaw(t *testing.T, addr, method, path, contentType string, body []byte) response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	sent := make(chan struct{})
	defer func() { conn.Close(); <-sent }()
	go func() {
		defer close(sent)
		// Errors are expected: the server may hang up mid-body.
		fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
			method, path, addr, contentType, len(body))
		conn.Write(body)
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// A save's pauses out of order, overlapping, negative, beyond the take or
// not pairs are refused before anything is saved (400, the upload kept
// for the client to save again); good ones from an engine that paused
// (the media as long as the time recorded) leave the take whole.
func TestSavePausesRefused(t *testing.T) {
	ta, _ := newFakeApp(t)
	wav := wavTake(0.25)
	ta.begin(t, "p1", "audio/wav")
	for i, c := range cut(wav, 2) {
		ta.putOK(t, "p1", i, c)
	}
	for _, tt := range []struct {
		name   string
		fields map[string]any
		msg    string
	}{
		{"OutOfOrder", map[string]any{"duration": 0.25, "pauses": [][]float64{{0.3, 0.4}, {0.1, 0.2}}}, "pause 2 starts before pause 1 ends"},
		{"Overlapping", map[string]any{"duration": 0.25, "pauses": [][]float64{{0.1, 0.3}, {0.2, 0.4}}}, "pause 2 starts before pause 1 ends"},
		{"Negative", map[string]any{"duration": 0.25, "pauses": [][]float64{{-0.1, 0.1}}}, "pause 1 starts before the take"},
		{"Backwards", map[string]any{"duration": 0.25, "pauses": [][]float64{{0.2, 0.1}}}, "pause 1 ends before it starts"},
		{"BeyondTheTake", map[string]any{"duration": 0.25, "pauses": [][]float64{{0.1, 0.2}, {0.5, 9}}}, "pause 2 ends after the take"},
		{"NotPairs", map[string]any{"duration": 0.25, "pauses": [][]float64{{0.1}}}, "pauses must be [[start, end], ...]"},
		{"NoDuration", map[string]any{"pauses": [][]float64{{0.1, 0.2}}}, "pauses need the take's duration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, uploads := ta.written(t), ta.uploadFiles(t)
			tt.fields["upload_id"] = "p1"
			ta.do(t, http.MethodPost, "/save_recording", saveBody(t, tt.fields)).wantError(t, http.StatusBadRequest, tt.msg)
			ta.wantUnchanged(t, before)
			ta.wantUploadFiles(t, uploads)
		})
	}
	got, rec := ta.saveOK(t, saveBody(t, map[string]any{"upload_id": "p1", "duration": 0.25, "pauses": [][]float64{{0.1, 0.2}}}))
	if got.Duration != 0.25 || rec.Bytes != int64(len(wav)) {
		t.Errorf("a take the engine paused: saved %+v, row %+v; want it whole", got, *rec)
	}
}

// A WebKit take longer than the time the page recorded by about its
// pause (WebKitGTK records on through Pause) is saved with the pause cut
// out, within an AAC frame; the review's selection, on the take as it was
// uploaded, is moved to match.
func TestSaveCutsPausesRecordedThrough(t *testing.T) {
	raw, whole := webkitTake(t)
	const frame = 1024 / 44100.0
	ta, _ := newFakeApp(t)
	for _, c := range []struct {
		id   string
		trim []float64
		want float64
	}{
		{"paused", nil, whole - 0.6},
		{"paused-trimmed", []float64{0.2, 1.0}, 0.8 - 0.3}, // 0.2–0.7 before the pause, none of it after
	} {
		ta.begin(t, c.id, "audio/mp4")
		ta.putOK(t, c.id, 0, raw)
		fields := map[string]any{"upload_id": c.id, "duration": whole - 0.6, "pauses": [][]float64{{0.7, 1.3}}}
		if c.trim != nil {
			fields["trim"] = c.trim
		}
		got, rec := ta.saveOK(t, saveBody(t, fields))
		if math.Abs(got.Duration-c.want) > frame+0.001 || math.Abs(rec.Duration-got.Duration) > 0.001 {
			t.Errorf("%s: saved %.3f s (row %.3f s) of %.3f s; want %.3f s", c.id, got.Duration, rec.Duration, whole, c.want)
		}
	}
}

// The pauses a page sends when its take stops are kept with the upload: a
// save that names none (from "Unsaved takes", without the page) still
// cuts them out of a WebKit take. Bad ones get 400 and nothing is kept:
// that save then keeps the take whole.
func TestUploadPausesKept(t *testing.T) {
	raw, whole := webkitTake(t)
	const frame = 1024 / 44100.0
	ta, _ := newFakeApp(t)
	for _, c := range []struct {
		id     string
		pauses [][]float64
		status int
		want   float64
	}{
		{"kept", [][]float64{{0.7, 1.3}}, http.StatusOK, whole - 0.6},
		{"refused", [][]float64{{1.3, 0.7}}, http.StatusBadRequest, whole},
	} {
		ta.begin(t, c.id, "audio/mp4")
		ta.putOK(t, c.id, 0, raw)
		body := saveBody(t, map[string]any{"duration": whole - 0.6, "pauses": c.pauses})
		if got := ta.do(t, http.MethodPut, "/uploads/"+c.id+"/pauses", body); got.status != c.status {
			t.Fatalf("%s: PUT pauses: %d %s, want %d", c.id, got.status, got.body, c.status)
		}
		got, rec := ta.saveOK(t, saveBody(t, map[string]any{"upload_id": c.id}))
		if math.Abs(got.Duration-c.want) > frame+0.001 || math.Abs(rec.Duration-got.Duration) > 0.001 {
			t.Errorf("%s: saved %.3f s (row %.3f s) of %.3f s; want %.3f s", c.id, got.Duration, rec.Duration, whole, c.want)
		}
	}
}

// webkitTake is WebKitGTK's MediaRecorder take (AAC in MP4) and how long
// it lasts, in seconds.
func webkitTake(t *testing.T) ([]byte, float64) {
	t.Helper()
	raw, err := os.ReadFile("../media/mp4/testdata/webkitgtk-2.50-mediarecorder.mp4")
	if err != nil {
		t.Fatal(err)
	}
	info, err := mp4.Probe(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return raw, info.Duration.Seconds()
}
