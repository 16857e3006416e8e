package handlers_test

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/upload"
)

// TestSessionSavedAfterAll: a page whose connection was lost asks for its
// live take by session id; a take that is no session any more but became
// a recording is answered with that recording, not "no session".
func TestSessionSavedAfterAll(t *testing.T) {
	ta, sessions := newFakeApp(t)
	sessions.InfoFn = func(id string) (media.SessionInfo, error) {
		return media.SessionInfo{}, media.NotFoundf("no session %q", id)
	}
	name, _ := ta.saveTone(t, sessions, "s1", time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC))

	res := ta.do(t, http.MethodGet, "/webrtc/sessions/s1", "")
	res.wantStatus(t, http.StatusOK)
	var got struct {
		SessionID string `json:"session_id"`
		State     string `json:"state"`
		Recording struct {
			Filename string  `json:"filename"`
			Duration float64 `json:"duration"`
			Title    string  `json:"title"`
		} `json:"recording"`
	}
	res.decode(t, &got)
	if got.State != "saved" || got.Recording.Filename != name || got.Recording.Duration != 0.5 {
		t.Errorf("session s1 after its save: %s; want saved as %s, 0.5 s", res.body, name)
	}
	ta.do(t, http.MethodGet, "/webrtc/sessions/s2", "").wantError(t, http.StatusNotFound, "no session")
}

// TestUploadMeasured: when its take stops, a page asks how long it is;
// a take of headers only is 0 s (nothing recorded), and an upload saved
// already cannot be begun again under its id (a page that lost the
// answer to its save would upload it twice).
func TestUploadMeasured(t *testing.T) {
	ta, _ := newFakeApp(t)
	raw, err := os.ReadFile("../media/mp4/testdata/webkitgtk-2.50-mediarecorder.mp4")
	if err != nil {
		t.Fatal(err)
	}
	ta.begin(t, "wk", "audio/mp4")
	ta.putOK(t, "wk", 0, raw[:817]) // ftyp, ftyp, moov: no audio yet
	var st struct {
		upload.Status
		Duration *float64 `json:"duration"`
	}
	ta.do(t, http.MethodGet, "/uploads/wk?measure=1", "").decode(t, &st)
	if st.Bytes != 817 || st.Duration == nil || *st.Duration != 0 {
		t.Errorf("headers only: %+v, want 0 s", st)
	}
	ta.putOK(t, "wk", 1, raw[817:9380])
	st.Duration = nil
	ta.do(t, http.MethodGet, "/uploads/wk?measure=1", "").decode(t, &st)
	if st.Duration == nil || *st.Duration < 0.99 || *st.Duration > 1 {
		t.Errorf("one fragment: %+v, want 43 AAC frames, 0.998 s", st)
	}
	if body := string(ta.do(t, http.MethodGet, "/uploads/wk", "").body); strings.Contains(body, "duration") {
		t.Errorf("status without measure: %s", body)
	}
	ta.do(t, http.MethodPost, "/save_recording", `{"upload_id":"wk","recording_type":"mediarecorder"}`).wantStatus(t, http.StatusOK)
	res := ta.do(t, http.MethodPost, "/uploads", `{"upload_id":"wk","mime":"audio/mp4"}`)
	res.wantError(t, http.StatusConflict, "")
	if !strings.Contains(string(res.body), `"filename":"recording_`) {
		t.Errorf("beginning a saved upload again: %s; want 409 naming its recording", res.body)
	}
}
