package handlers_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media/store"
)

// TestSaveRefusesJunkAudio: random bytes labelled as audio, sent whole or
// uploaded in chunks, are refused with 422 and a plain message, and
// nothing is written (issue 8: junk was saved with the claimed duration).
func TestSaveRefusesJunkAudio(t *testing.T) {
	junk := bytes.Repeat([]byte{0x5a, 0x13, 0x77, 0x01}, 3000)
	oggJunk := append([]byte("OggS"), junk...)
	ta, _ := newFakeApp(t)
	for i, tc := range []struct {
		mime  string
		audio []byte
	}{
		{"audio/webm;codecs=opus", junk},
		{"audio/ogg", junk},
		{"audio/ogg;codecs=opus", oggJunk},
		{"audio/mp4", junk},
		{"audio/wav", junk},
	} {
		t.Run(tc.mime, func(t *testing.T) {
			before := ta.written(t)
			body := saveBody(t, map[string]any{"audio_data": base64.StdEncoding.EncodeToString(tc.audio), "mime": tc.mime, "duration": 3})
			e := ta.do(t, http.MethodPost, "/save_recording", body).wantError(t, http.StatusUnprocessableEntity, "")
			if e.Message == "" || strings.Contains(e.Message, "internal") {
				t.Errorf("message %q, want a plain one", e.Message)
			}
			ta.wantUnchanged(t, before)

			id := "junk" + string(rune('a'+i))
			ta.begin(t, id, tc.mime)
			ta.putOK(t, id, 0, tc.audio[:6000])
			ta.putOK(t, id, 1, tc.audio[6000:])
			ta.do(t, http.MethodPost, "/save_recording", saveBody(t, map[string]any{"upload_id": id, "duration": 3})).
				wantError(t, http.StatusUnprocessableEntity, "")
			ta.wantUnchanged(t, before)
		})
	}
}

// TestSaveOggMeasured: an Ogg Opus take gets the server's duration and
// its one fixed type, whatever the client said.
func TestSaveOggMeasured(t *testing.T) {
	raw, err := os.ReadFile("../media/ogg/testdata/tone-440hz-mono.opus") // 1.5 s
	if err != nil {
		t.Fatal(err)
	}
	ta, _ := newFakeApp(t)
	got, rec := ta.saveOK(t, saveBody(t, map[string]any{"audio_data": base64.StdEncoding.EncodeToString(raw), "mime": "audio/ogg", "duration": 30}))
	if got.Duration != 1.5 || rec.Duration != 1.5 || rec.ClientDuration != 30 || rec.MIME != "audio/ogg;codecs=opus" {
		t.Errorf("answer %+v, row %+v", got, rec)
	}
	res := ta.do(t, http.MethodGet, "/recordings/"+rec.Filename+"/audio?download=1", "")
	res.wantStatus(t, http.StatusOK)
	if ct := res.header.Get("Content-Type"); ct != "audio/ogg;codecs=opus" || !bytes.Equal(res.body, raw) {
		t.Errorf("Content-Type %q, %d bytes", ct, len(res.body))
	}
	if cd := res.header.Get("Content-Disposition"); !strings.HasSuffix(cd, `.ogg`) {
		t.Errorf("Content-Disposition %q", cd)
	}
}

// TestClientMIMENeverEchoed: a 5000-character type or one with CR/LF is
// neither stored nor sent back in a Content-Type: with audio the server
// cannot read it is refused, with audio it can the server's own type is
// stored, and a type an older version stored is not echoed either.
func TestClientMIMENeverEchoed(t *testing.T) {
	ta, _ := newFakeApp(t)
	junk := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("not audio "), 100))
	wav := base64.StdEncoding.EncodeToString(wavTake(0.2))
	hostile := []string{strings.Repeat("audio/x", 800), "audio/wav\r\nX-Injected: 1", "audio/wav; evil=\"\r\n\""}
	for _, mime := range hostile {
		before := ta.written(t)
		ta.do(t, http.MethodPost, "/save_recording", saveBody(t, map[string]any{"audio_data": junk, "mime": mime, "duration": 4})).
			wantError(t, http.StatusUnprocessableEntity, "unrecognized audio")
		ta.wantUnchanged(t, before)

		_, rec := ta.saveOK(t, saveBody(t, map[string]any{"audio_data": wav, "mime": mime, "duration": 0.2}))
		if rec.MIME != "audio/wav" {
			t.Errorf("stored type %.60q", rec.MIME)
		}
	}

	// A recording an older version stored with the client's type.
	ta.clock.Set(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC))
	raw := wavTake(0.2)
	name, err := ta.lib.Store.Save(context.Background(), bytes.NewReader(raw), int64(len(raw)), store.Meta{MIME: hostile[0]})
	if err != nil {
		t.Fatal(err)
	}
	if err := ta.lib.Reconcile(context.Background(), ta.db); err != nil {
		t.Fatal(err)
	}
	res := ta.do(t, http.MethodGet, "/recordings/"+name+"/audio", "")
	res.wantStatus(t, http.StatusOK)
	if ct := res.header.Get("Content-Type"); ct != "application/octet-stream" || !bytes.Equal(res.body, raw) {
		t.Errorf("Content-Type %.60q, %d bytes", ct, len(res.body))
	}
}
