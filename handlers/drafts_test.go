package handlers_test

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media/mp4"
	"github.com/avatarweb/recorder/media/webm"
)

// TestDraftsFragment: a page names the takes it left unsaved; the
// fragment lists those the server still holds, and nothing else.
func TestDraftsFragment(t *testing.T) {
	ta, _ := newFakeApp(t)
	raw, err := os.ReadFile("../media/webm/testdata/chromium-440hz.webm")
	if err != nil {
		t.Fatal(err)
	}
	ta.begin(t, "upload_1", "audio/webm;codecs=opus")
	ta.putOK(t, "upload_1", 0, raw[:len(raw)*2/3]) // cut mid-take, as a closed tab leaves it

	t.Run("OK", func(t *testing.T) {
		res := ta.do(t, http.MethodGet, "/ui/drafts?upload=upload_1,upload_gone&webrtc=session_gone", "")
		res.wantStatus(t, http.StatusOK)
		frag := string(res.body)
		if !strings.HasPrefix(frag, `<section id="unsaved"`) || strings.Count(frag, `data-testid="unsaved-take"`) != 1 ||
			!strings.Contains(frag, `data-id="upload_1"`) || !strings.Contains(frag, `src="/uploads/upload_1/audio"`) ||
			strings.Contains(frag, "gone") || strings.Contains(frag, " hidden") {
			t.Errorf("fragment: %s", frag)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		res := ta.do(t, http.MethodGet, "/ui/drafts?upload=nope", "")
		res.wantStatus(t, http.StatusOK)
		if frag := string(res.body); !strings.Contains(frag, ` hidden`) || strings.Contains(frag, "unsaved-take") {
			t.Errorf("fragment: %s", frag)
		}
	})
	t.Run("PreviewHasDuration", func(t *testing.T) {
		// The browser's live WebM has no duration: the preview is fixed,
		// so the player shows the length and seeks.
		res := ta.do(t, http.MethodGet, "/uploads/upload_1/audio", "")
		res.wantStatus(t, http.StatusOK)
		info, err := webm.Probe(bytes.NewReader(res.body), int64(len(res.body)))
		if err != nil || !info.HasDuration || !info.HasCues || info.Duration < 1e9 {
			t.Errorf("preview: %+v, %v; want a WebM with a duration and cues", info, err)
		}
		res = ta.do(t, http.MethodGet, "/uploads/upload_1/audio", "", "Range", "bytes=100-199")
		res.wantStatus(t, http.StatusPartialContent)
		if len(res.body) != 100 {
			t.Errorf("range answered %d bytes", len(res.body))
		}
	})
}

// TestWebKitPreview uploads a real WebKit take in the chunks WebKit cuts
// it into (the header, then whole fragments; the last with its moof
// twice) and listens back: the preview is an ordinary MP4 that knows its
// length, as each chunk arrives, and the take saves as one.
func TestWebKitPreview(t *testing.T) {
	ta, _ := newFakeApp(t)
	raw, err := os.ReadFile("../media/mp4/testdata/webkitgtk-2.50-mediarecorder.mp4")
	if err != nil {
		t.Fatal(err)
	}
	// Where WebKit's chunks end: after the moov, then after each mdat.
	ends := []int{817, 9380, 17943, 26506, 35069, 43632, 52195, 60758, len(raw)}
	ta.begin(t, "webkit", "audio/mp4; codecs=mp4a")
	prev := 0
	for i, end := range ends {
		ta.putOK(t, "webkit", i, raw[prev:end])
		prev = end
		if i == 0 {
			continue // headers only: nothing to play yet
		}
		res := ta.do(t, http.MethodGet, "/uploads/webkit/audio", "")
		res.wantStatus(t, http.StatusOK)
		info, err := mp4.Probe(bytes.NewReader(res.body), int64(len(res.body)))
		frames := 43 * i // a fragment is 43 AAC frames; the last one 29
		if i == len(ends)-1 {
			frames = 7*43 + 29
		}
		want := time.Duration(frames) * 1024 * time.Second / 44100
		if err != nil || info.Fragmented || info.Samples != frames || (info.Duration-want).Abs() > time.Microsecond {
			t.Errorf("preview after chunk %d: %+v, %v; want an ordinary MP4 of %d frames, %v", i, info, err, frames, want)
		}
	}
	res := ta.do(t, http.MethodPost, "/save_recording", `{"upload_id":"webkit","recording_type":"mediarecorder","duration":7.5}`)
	res.wantStatus(t, http.StatusOK)
	if !strings.Contains(string(res.body), `"duration":7.66`) {
		t.Errorf("save answered %s, want 7.66 s", res.body)
	}
}
