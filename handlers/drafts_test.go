package handlers_test

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/avatarweb/recorder/media/webm"
)

// TestDraftsFragment: a page names the takes it left unsaved; the
// fragment lists those the server still holds, and nothing else.
func TestDraftsFragment(t *testing.T) {
	ta, _ := newFakeApp(t)
	raw, err := os.ReadFile("testdata/chromium-440hz.webm")
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
