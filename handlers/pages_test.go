package handlers_test

import (
	"bytes"
	"io/fs"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/assets"
	"github.com/avatarweb/recorder/views"
)

func TestIndex(t *testing.T) {
	ta, f := newFakeApp(t)

	t.Run("OK", func(t *testing.T) {
		res := ta.do(t, http.MethodGet, "/", "")
		res.wantStatus(t, http.StatusOK)
		if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		page := string(res.body)
		for _, want := range []string{
			"<!doctype html>",
			`data-testid="btn-start"`,
			`data-testid="btn-stop"`,
			`data-testid="btn-save"`,
			`data-testid="btn-discard"`,
			`<script src="` + views.HTMXPath + `"`,
			`src="/assets/js/app.js"`,
			`id="recordings"`,
			"No recordings yet.",
			// the default params, in the form
			`id="fps" name="fps" type="range" min="1" max="60" step="1" value="30"`,
			`id="batch_size" name="batch_size" type="range" min="16" max="256" step="16" value="64"`,
			`<option value="48000" selected>`, `<option value="1" selected>mono`,
		} {
			if !strings.Contains(strings.ToLower(page), strings.ToLower(want)) {
				t.Errorf("page lacks %q", want)
			}
		}
	})

	t.Run("OKWithRecording", func(t *testing.T) {
		name, _ := ta.saveTone(t, f, "s1", time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
		res := ta.do(t, http.MethodGet, "/", "")
		res.wantStatus(t, http.StatusOK)
		page := string(res.body)
		for _, want := range []string{
			`data-filename="` + name + `"`,
			`href="/recordings/` + name + `"`,
			`src="/recordings/` + name + `/audio"`,
			"0.5 s", "audio/wav 16000 Hz mono", "25 fps · batch 32",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if strings.Contains(page, "No recordings yet.") {
			t.Error("page still says there are no recordings")
		}
	})
}

func TestRecordingsFragment(t *testing.T) {
	ta, f := newFakeApp(t)

	t.Run("Empty", func(t *testing.T) {
		res := ta.do(t, http.MethodGet, "/ui/recordings", "")
		res.wantStatus(t, http.StatusOK)
		frag := string(res.body)
		if !strings.HasPrefix(frag, `<div id="recordings"`) || !strings.Contains(frag, "No recordings yet.") {
			t.Errorf("fragment = %s", frag)
		}
	})

	t.Run("OK", func(t *testing.T) {
		first, _ := ta.saveTone(t, f, "s1", time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
		second, _ := ta.saveTone(t, f, "s2", time.Date(2025, 1, 2, 3, 5, 0, 0, time.UTC))
		res := ta.do(t, http.MethodGet, "/ui/recordings", "")
		res.wantStatus(t, http.StatusOK)
		if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		frag := string(res.body)
		if !strings.HasPrefix(frag, `<div id="recordings"`) || !strings.HasSuffix(frag, "</div>") {
			t.Errorf("not just the fragment: %.200s", frag)
		}
		for _, bad := range []string{"<html", "<head", "<body", "btn-start"} {
			if strings.Contains(frag, bad) {
				t.Errorf("fragment holds %q", bad)
			}
		}
		i, j := strings.Index(frag, `data-filename="`+second+`"`), strings.Index(frag, `data-filename="`+first+`"`)
		if i < 0 || j < 0 || i > j {
			t.Errorf("want %s listed before %s: %s", second, first, frag)
		}
	})
}

func TestAssets(t *testing.T) {
	ta, _ := newFakeApp(t)

	for _, tt := range []struct {
		path, file, typ string
	}{
		{"/assets/js/app.js", "js/app.js", "text/javascript"},
		{views.HTMXPath, strings.TrimPrefix(views.HTMXPath, "/assets/"), "text/javascript"},
		{"/assets/style.css", "style.css", "text/css"},
	} {
		t.Run("OK"+tt.path, func(t *testing.T) {
			want, err := fs.ReadFile(assets.FS, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			res := ta.do(t, http.MethodGet, tt.path, "")
			res.wantStatus(t, http.StatusOK)
			if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, tt.typ) {
				t.Errorf("Content-Type = %q, want %s", ct, tt.typ)
			}
			if !bytes.Equal(res.body, want) {
				t.Errorf("body: got %d bytes, want the %d of %s", len(res.body), len(want), tt.file)
			}
		})
	}

	for _, path := range []string{
		"/assets/js/missing.js",
		"/assets/assets.go", // the package source is not embedded
		"/assets/../main.go",
		"/assets/%2e%2e/main.go",
		"/assets/vendor/htmx-1.0.0.min.js",
	} {
		t.Run("ErrNotFound"+path, func(t *testing.T) {
			res := ta.do(t, http.MethodGet, path, "")
			if res.status != http.StatusNotFound {
				t.Fatalf("status = %d, want 404; body %.200s", res.status, res.body)
			}
		})
	}

	t.Run("ErrForbiddenDirectory", func(t *testing.T) {
		res := ta.do(t, http.MethodGet, "/assets/js/", "")
		res.wantError(t, http.StatusForbidden, "Forbidden")
	})
}
