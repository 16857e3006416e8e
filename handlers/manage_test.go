package handlers_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/avatarweb/recorder/media"
)

// postTitle posts the rename form of recording path as a browser does, or
// as htmx does when htmx is set.
func (ta *testApp) postTitle(t *testing.T, path, title string, htmx bool) response {
	t.Helper()
	header := []string{"Content-Type", "application/x-www-form-urlencoded"}
	if htmx {
		header = append(header, "HX-Request", "true")
	}
	return ta.do(t, http.MethodPost, "/recordings/"+path+"/title", url.Values{"title": {title}}.Encode(), header...)
}

// title reads recording name's title from the database.
func (ta *testApp) title(t *testing.T, name string) string {
	t.Helper()
	rec, err := ta.db.GetRecording(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Title
}

// wantGone checks that recording name has neither a row nor a file.
func (ta *testApp) wantGone(t *testing.T, name string) {
	t.Helper()
	if _, err := ta.db.GetRecording(context.Background(), name); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("row of %s: %v, want it gone", name, err)
	}
	if w := ta.written(t); w.rows != 0 || len(w.files) != 0 {
		t.Errorf("written = %+v, want nothing left", w)
	}
	ta.do(t, http.MethodGet, "/recordings/"+name+"/audio", "").wantError(t, http.StatusNotFound, "no recording named")
}

func TestRenameRecording(t *testing.T) {
	t.Parallel()
	ta, f := newFakeApp(t)
	name, _ := ta.saveTone(t, f, "s1", t1)

	t.Run("OKHTMX", func(t *testing.T) {
		res := ta.postTitle(t, name, "  Morning take & \"more\" ", true)
		res.wantStatus(t, http.StatusOK)
		if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		li := string(res.body)
		if !strings.HasPrefix(li, `<li data-testid="recording" data-filename="`+name+`"`) || !strings.HasSuffix(li, "</li>") ||
			strings.Count(li, "<li") != 1 {
			t.Errorf("not the row alone: %.300s", li)
		}
		if !strings.Contains(li, `<input name="title" value="Morning take &amp; &#34;more&#34;"`) {
			t.Errorf("row lacks the title in its input: %s", li)
		}
		if got := ta.title(t, name); got != `Morning take & "more"` {
			t.Errorf("title = %q", got)
		}
	})

	t.Run("OKPlain", func(t *testing.T) {
		res := ta.postTitle(t, name, "Évening", false)
		res.wantStatus(t, http.StatusSeeOther)
		if loc := res.header.Get("Location"); loc != "/?done=renamed" {
			t.Errorf("Location = %q, want /?done=renamed", loc)
		}
		if got := ta.title(t, name); got != "Évening" {
			t.Errorf("title = %q", got)
		}
		// The page shows it.
		page := ta.do(t, http.MethodGet, "/", "")
		if !strings.Contains(string(page.body), `value="Évening"`) {
			t.Error("the page does not show the new title")
		}
	})

	t.Run("OKLongest", func(t *testing.T) {
		long := strings.Repeat("é", 200) // 200 characters, 400 bytes
		ta.postTitle(t, name, long, true).wantStatus(t, http.StatusOK)
		if got := ta.title(t, name); got != long {
			t.Errorf("title = %q", got)
		}
	})

	t.Run("OKClear", func(t *testing.T) {
		res := ta.postTitle(t, name, "", true)
		res.wantStatus(t, http.StatusOK)
		if got := ta.title(t, name); got != "" {
			t.Errorf("title = %q, want none", got)
		}
		// An untitled take is named from when it was made, never by its
		// file name (the clock is the fake app's, in UTC).
		if !strings.Contains(string(res.body), `<input name="title" value="" placeholder="Recording 2 Jan 2025, 03:04"`) {
			t.Errorf("row: %s", res.body)
		}
	})

	const kept = "Kept"
	for _, tt := range []struct {
		name, path, title string
		status            int
		msg               string
	}{
		{"ErrTooLong", name, strings.Repeat("x", 201), http.StatusBadRequest, "a title is at most 200 characters"},
		{"ErrControl", name, "bad\x00title", http.StatusBadRequest, "without control characters"},
		{"ErrNotFound", "recording_20250102_030406.json", "x", http.StatusNotFound, "no recording named"},
		{"ErrTraversal", "..%2frecorder.db", "x", http.StatusBadRequest, "is not a recording name"},
		{"ErrInvalidName", "recording_x.json", "x", http.StatusBadRequest, "is not a recording name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ta.postTitle(t, name, kept, false).wantStatus(t, http.StatusSeeOther)
			for _, htmx := range []bool{false, true} {
				ta.postTitle(t, tt.path, tt.title, htmx).wantError(t, tt.status, tt.msg)
			}
			if got := ta.title(t, name); got != kept {
				t.Errorf("title = %q, want %q", got, kept)
			}
		})
	}
}

func TestDeleteRecording(t *testing.T) {
	t.Parallel()
	t.Run("OKConfirmPage", func(t *testing.T) {
		ta, f := newFakeApp(t)
		name, _ := ta.saveTone(t, f, "s1", t1)
		ta.postTitle(t, name, "Take one", false).wantStatus(t, http.StatusSeeOther)
		before := ta.written(t)
		res := ta.do(t, http.MethodGet, "/recordings/"+name+"/delete", "")
		res.wantStatus(t, http.StatusOK)
		if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		page := string(res.body)
		for _, want := range []string{
			"<!doctype html>", "</html>",
			"<h1>Delete Take one?</h1>",
			`<form method="post" action="/recordings/` + name + `/delete">`,
			`<a href="/">Keep it</a>`,
		} {
			if !strings.Contains(strings.ToLower(page), strings.ToLower(want)) {
				t.Errorf("page lacks %q", want)
			}
		}
		ta.wantUnchanged(t, before)
	})

	t.Run("OKDelete", func(t *testing.T) {
		ta, f := newFakeApp(t)
		name, _ := ta.saveTone(t, f, "s1", t1)
		res := ta.do(t, http.MethodDelete, "/recordings/"+name, "")
		res.wantStatus(t, http.StatusOK)
		var got struct {
			Status   string `json:"status"`
			Message  string `json:"message"`
			Filename string `json:"filename"`
		}
		res.decode(t, &got)
		if got.Status != "success" || got.Message != "recording deleted" || got.Filename != name {
			t.Errorf("answer = %s", res.body)
		}
		ta.wantGone(t, name)
		ta.do(t, http.MethodDelete, "/recordings/"+name, "").wantError(t, http.StatusNotFound, "no recording named")
	})

	// A valid file on disk without a row, and the database, must survive
	// every refused request.
	ta, f := newFakeApp(t)
	name, _ := ta.saveTone(t, f, "s1", t1)
	const orphan = "recording_20990101_000000.json"
	if err := os.WriteFile(filepath.Join(ta.recDir, orphan), []byte(`{"audio_data":""}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range append(refusedNames(orphan), "recording_20250102_030406.json") {
		for _, req := range []struct {
			method, suffix string
			header         []string
		}{
			{http.MethodGet, "/delete", nil},
			{http.MethodPost, "/delete", nil},
			{http.MethodPost, "/delete", []string{"HX-Request", "true"}},
			{http.MethodDelete, "", nil},
		} {
			t.Run("Err"+req.method+path+req.suffix, func(t *testing.T) {
				before := ta.written(t)
				res := ta.do(t, req.method, "/recordings/"+path+req.suffix, "", req.header...)
				if res.status != http.StatusBadRequest && res.status != http.StatusNotFound {
					t.Fatalf("status = %d, want 400 or 404; body %.300s", res.status, res.body)
				}
				res.wantError(t, res.status, "")
				ta.wantUnchanged(t, before)
				if _, err := os.Stat(filepath.Join(ta.dataDir, "recorder.db")); err != nil {
					t.Errorf("the database: %v", err)
				}
				if res.header.Get("HX-Trigger") != "" {
					t.Errorf("HX-Trigger set on a refusal")
				}
			})
		}
	}
	if w := ta.written(t); w.rows != 1 || len(w.files) != 2 {
		t.Errorf("written = %+v, want %s and the orphan", w, name)
	}
}

func TestDownloadRecording(t *testing.T) {
	t.Parallel()
	ta, f := newFakeApp(t)
	wavName, wav := ta.saveTone(t, f, "s1", t1)
	ta.clock.Set(t2)
	webmSave, _ := ta.saveOK(t, saveBody(t, map[string]any{"audio_data": base64.StdEncoding.EncodeToString(chromiumWebM(t))}))

	// Named from the title and the day (in the viewer's zone), never the
	// server's file name; RFC 6266 filename* carries it whole.
	ta.postTitle(t, webmSave.Filename, "Café: notes/ideas?", false).wantStatus(t, http.StatusSeeOther)
	for _, tt := range []struct{ name, query, want string }{
		{wavName, "?download=1", `attachment; filename="Recording 2025-01-02 03-04.wav"; filename*=UTF-8''Recording%202025-01-02%2003-04.wav`},
		{wavName, "?download=true&tz=America/New_York", `attachment; filename="Recording 2025-01-01 22-04.wav"; filename*=UTF-8''Recording%202025-01-01%2022-04.wav`},
		{wavName, "", ""},
		{wavName, "?download=0", ""},
		{webmSave.Filename, "?download=1", `attachment; filename="Cafe notes ideas 2025-01-02.webm"; filename*=UTF-8''Caf%C3%A9%20notes%20ideas%202025-01-02.webm`},
	} {
		t.Run("OK"+tt.name+tt.query, func(t *testing.T) {
			res := ta.do(t, http.MethodGet, "/recordings/"+tt.name+"/audio"+tt.query, "")
			res.wantStatus(t, http.StatusOK)
			if cd := res.header.Get("Content-Disposition"); cd != tt.want {
				t.Errorf("Content-Disposition = %q, want %q", cd, tt.want)
			}
			if tt.name == wavName && string(res.body) != string(wav) {
				t.Errorf("body: %d bytes, want the %d-byte WAV", len(res.body), len(wav))
			}
		})
	}

	t.Run("ErrNotFound", func(t *testing.T) {
		res := ta.do(t, http.MethodGet, "/recordings/recording_20250102_030406.json/audio?download=1", "")
		res.wantError(t, http.StatusNotFound, "no recording named")
		if cd := res.header.Get("Content-Disposition"); cd != "" {
			t.Errorf("Content-Disposition = %q on a refusal", cd)
		}
	})
}
