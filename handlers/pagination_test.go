package handlers_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// rowRE finds the rows of the recordings list, capturing the file name.
var rowRE = regexp.MustCompile(`<li data-testid="recording" data-filename="([^"]+)"`)

// rows returns the file names of the list's rows, in order, and each
// row's HTML.
func rows(html string) (names, items []string) {
	for _, m := range rowRE.FindAllStringSubmatchIndex(html, -1) {
		names = append(names, html[m[2]:m[3]])
		end := strings.Index(html[m[0]:], "</li>")
		if end < 0 {
			end = len(html) - m[0]
		}
		items = append(items, html[m[0]:m[0]+end])
	}
	return names, items
}

func TestPagination(t *testing.T) {
	t.Parallel()
	ta, f := newFakeApp(t)
	// 24 tones a minute apart, then an MP4/AAC take, which the server
	// measures but cannot decode, so it has no waveform; newest first, the
	// list is want.
	var want []string
	for i := range 24 {
		name, _ := ta.saveTone(t, f, fmt.Sprintf("s%d", i), t1.Add(time.Duration(i)*time.Minute))
		want = append(want, name)
	}
	ta.clock.Set(t1.Add(24 * time.Minute))
	mp4, err := os.ReadFile("testdata/tone-frag.m4a")
	if err != nil {
		t.Fatal(err)
	}
	saved, _ := ta.saveOK(t, saveBody(t, map[string]any{
		"audio_data": base64.StdEncoding.EncodeToString(mp4), "mime": "audio/mp4", "duration": 1.5,
	}))
	want = append(want, saved.Filename)
	slices.Reverse(want)
	ta.postTitle(t, want[3], "Renamed take", false).wantStatus(t, http.StatusSeeOther)

	get := func(t *testing.T, target string) string {
		t.Helper()
		res := ta.do(t, http.MethodGet, target, "")
		res.wantStatus(t, http.StatusOK)
		if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		return string(res.body)
	}

	var first, second []string
	t.Run("OKFirstPage", func(t *testing.T) {
		page := get(t, "/")
		var items []string
		first, items = rows(page)
		if !slices.Equal(first, want[:20]) {
			t.Errorf("rows = %q\nwant   %q", first, want[:20])
		}
		if n := strings.Count(page, `data-testid="recording"`); n != 20 {
			t.Errorf("%d rows, want 20", n)
		}
		for _, s := range []string{
			`<!doctype html>`,
			`<p class="rec-count">25 recordings</p>`,
			`<a href="/?offset=20" hx-get="/ui/recordings?offset=20" hx-target="closest li" hx-swap="outerHTML" data-testid="more">`,
			`<input name="title" value="Renamed take"`,
		} {
			if !strings.Contains(strings.ToLower(page), strings.ToLower(s)) {
				t.Errorf("page lacks %q", s)
			}
		}
		if strings.Contains(page, "Newer recordings") {
			t.Error("the first page links to newer recordings")
		}
		for i, item := range items {
			hasWave := strings.Contains(item, `<svg class="waveform"`)
			if wantWave := i != 0; hasWave != wantWave { // the MP4 is newest
				t.Errorf("row %d (%s): waveform %v, want %v", i, first[i], hasWave, wantWave)
			}
			if hasTitle := strings.Contains(item, `value="Renamed take"`); hasTitle != (i == 3) {
				t.Errorf("row %d: title shown %v", i, hasTitle)
			}
		}
	})

	t.Run("OKMoreFragment", func(t *testing.T) {
		frag := get(t, "/ui/recordings?offset=20")
		second, _ = rows(frag)
		if !slices.Equal(second, want[20:]) {
			t.Errorf("rows = %q\nwant   %q", second, want[20:])
		}
		if n := strings.Count(frag, `<li data-testid="recording"`); n != 5 {
			t.Errorf("%d items, want 5", n)
		}
		if !strings.HasPrefix(frag, `<li data-testid="recording"`) || !strings.HasSuffix(frag, "</li>") {
			t.Errorf("not items alone: %.200s", frag)
		}
		for _, bad := range []string{`id="recordings"`, `data-testid="more"`, "More recordings", "<html", "<ul", "rec-count"} {
			if strings.Contains(frag, bad) {
				t.Errorf("the items hold %q", bad)
			}
		}
		if n := strings.Count(frag, `<svg class="waveform"`); n != 5 {
			t.Errorf("%d waveforms, want 5", n)
		}
	})

	t.Run("OKSecondPage", func(t *testing.T) {
		page := get(t, "/?offset=20")
		names, _ := rows(page)
		if !slices.Equal(names, want[20:]) {
			t.Errorf("rows = %q\nwant   %q", names, want[20:])
		}
		for _, s := range []string{
			`<!doctype html>`, `id="recordings"`, `data-testid="btn-start"`,
			`<p class="rec-count">25 recordings</p>`,
			`<a href="/?offset=0">← Newer recordings</a>`,
		} {
			if !strings.Contains(strings.ToLower(page), strings.ToLower(s)) {
				t.Errorf("page lacks %q", s)
			}
		}
		if strings.Contains(page, `data-testid="more"`) {
			t.Error("the last page links to more")
		}
	})

	t.Run("OKNoneMissing", func(t *testing.T) {
		all := append(slices.Clone(first), second...)
		if !slices.Equal(all, want) {
			t.Errorf("pages together = %q\nwant %q", all, want)
		}
		sorted := slices.Clone(all)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != 25 {
			t.Errorf("duplicates across pages: %q", all)
		}
	})

	t.Run("OKMiddlePage", func(t *testing.T) {
		page := get(t, "/?offset=3")
		names, _ := rows(page)
		if !slices.Equal(names, want[3:23]) {
			t.Errorf("rows = %q\nwant   %q", names, want[3:23])
		}
		for _, s := range []string{`href="/?offset=0"`, `href="/?offset=23" hx-get="/ui/recordings?offset=23"`} {
			if !strings.Contains(page, s) {
				t.Errorf("page lacks %q", s)
			}
		}
	})

	t.Run("OKWholeListFragment", func(t *testing.T) {
		// What htmx fetches on "recordings-changed": the first page, wrapped.
		frag := get(t, "/ui/recordings")
		names, _ := rows(frag)
		if !strings.HasPrefix(frag, `<div id="recordings"`) || !slices.Equal(names, want[:20]) ||
			!strings.Contains(frag, `href="/?offset=20"`) {
			t.Errorf("fragment rows %q: %.300s", names, frag)
		}
	})
}
