package handlers_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// TestRenameRefusesBrokenText: a title that is not valid UTF-8 was stored
// as sent (and later served to every page); it is refused with 400 and a
// plain message, as control characters are, and the title stays as it was.
func TestRenameRefusesBrokenText(t *testing.T) {
	t.Parallel()
	ta, f := newFakeApp(t)
	name, _ := ta.saveTone(t, f, "s1", t1)
	const kept = "Kept"
	for _, tt := range []struct{ name, title, msg string }{
		{"ErrInvalidUTF8", "bad \xff\xfe title", "not valid UTF-8"},
		{"ErrTruncatedRune", "caf\xc3", "not valid UTF-8"},
		{"ErrOverlongSlash", "a\xc0\xafb", "not valid UTF-8"},
		{"ErrSurrogate", "\xed\xa0\x80", "not valid UTF-8"},
		{"ErrCRLF", "first\r\nSet-Cookie: x=y", "without control characters"},
		{"ErrLF", "two\nlines", "without control characters"},
		{"ErrNUL", "nul\x00", "without control characters"},
		{"ErrC1", "next\u0085line", "without control characters"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ta.postTitle(t, name, kept, false).wantStatus(t, http.StatusSeeOther)
			for _, htmx := range []bool{false, true} {
				ta.postTitle(t, name, tt.title, htmx).wantError(t, http.StatusBadRequest, tt.msg)
			}
			if got := ta.title(t, name); got != kept {
				t.Errorf("title = %q, want %q", got, kept)
			}
		})
	}
}

// TestSaveTitle: a save's title is the recording's from the start (it
// was set by a rename after the save, lost if the server died between
// them), and a title that cannot be one is refused before anything is
// saved.
func TestSaveTitle(t *testing.T) {
	ta, _ := newFakeApp(t)
	wav := base64.StdEncoding.EncodeToString(wavTake(0.5))
	before := ta.written(t)
	ta.do(t, http.MethodPost, "/save_recording", saveBody(t, map[string]any{"audio_data": wav, "title": strings.Repeat("x", 201)})).
		wantError(t, http.StatusBadRequest, "a title is at most 200 characters")
	ta.wantUnchanged(t, before)
	_, rec := ta.saveOK(t, saveBody(t, map[string]any{"audio_data": wav, "title": "  Take one  "}))
	if rec.Title != "Take one" {
		t.Errorf("title %q, want %q", rec.Title, "Take one")
	}
}
