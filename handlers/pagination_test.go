package handlers_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rowRE finds the rows of the recordings list, capturing the file name.
var rowRE = regexp.MustCompile(`<li data-testid="recording" data-filename="([^"]+)"`)

// moreRE finds the "More" link: the next page, and its items for htmx.
var moreRE = regexp.MustCompile(`<a href="(/\?after=[0-9]+_[0-9]+)" hx-get="(/ui/recordings\?after=[0-9]+_[0-9]+)" hx-target="closest li" hx-swap="outerHTML" data-testid="more">`)

// newerRE finds the link back to newer recordings.
var newerRE = regexp.MustCompile(`<a href="(/\?before=[0-9]+_[0-9]+)">← Newer recordings</a>`)

// links returns the page's More link (page and fragment) and its Newer
// link; "" where there is none.
func links(html string) (more, moreFrag, newer string) {
	if m := moreRE.FindStringSubmatch(html); m != nil {
		more, moreFrag = m[1], m[2]
	}
	if m := newerRE.FindStringSubmatch(html); m != nil {
		newer = m[1]
	}
	return more, moreFrag, newer
}

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

// cursorOf is the list position of recording name, as the page links it.
func cursorOf(t *testing.T, ta *testApp, name string) string {
	t.Helper()
	r, err := ta.db.GetRecording(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(r.CreatedAt.UnixMilli(), 10) + "_" + strconv.FormatInt(r.ID, 10)
}

func TestPagination(t *testing.T) {
	t.Parallel()
	ta, f := newFakeApp(t)
	// 24 tones a minute apart, then an MP4 take the server measures but
	// cannot decode (its AudioSpecificConfig says HE-AAC), so it has no
	// waveform; newest first, the list is want.
	var want []string
	for i := range 24 {
		name, _ := ta.saveTone(t, f, fmt.Sprintf("s%d", i), t1.Add(time.Duration(i)*time.Minute))
		want = append(want, name)
	}
	ta.clock.Set(t1.Add(24 * time.Minute))
	mp4, err := os.ReadFile("../media/mp4/testdata/tone-frag.m4a")
	if err != nil {
		t.Fatal(err)
	}
	// AAC-LC 48 kHz mono (0x1188) made object type 5, SBR (0x2988).
	asc := bytes.Index(mp4, []byte{0x11, 0x88, 0x56, 0xe5})
	if asc < 0 {
		t.Fatal("no AudioSpecificConfig found in tone-frag.m4a")
	}
	mp4 = slices.Clone(mp4)
	mp4[asc] = 0x29
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
	var more, moreFrag string
	t.Run("OKFirstPage", func(t *testing.T) {
		page := get(t, "/")
		var items []string
		first, items = rows(page)
		var newer string
		if more, moreFrag, newer = links(page); more == "" || newer != "" {
			t.Errorf("first page: More %q, Newer %q; want a More link only", more, newer)
		}
		if !slices.Equal(first, want[:20]) {
			t.Errorf("rows = %q\nwant   %q", first, want[:20])
		}
		if n := strings.Count(page, `data-testid="recording"`); n != 20 {
			t.Errorf("%d rows, want 20", n)
		}
		for _, s := range []string{
			`<!doctype html>`,
			`<p class="rec-count" role="status" data-testid="found">25 recordings</p>`,
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
		if moreFrag == "" {
			t.Skip("no More link")
		}
		frag := get(t, moreFrag)
		second, _ = rows(frag)
		if !slices.Equal(second, want[20:]) {
			t.Errorf("rows = %q\nwant   %q", second, want[20:])
		}
		if n := strings.Count(frag, `<li data-testid="recording"`); n != 5 {
			t.Errorf("%d items, want 5", n)
		}
		if frag := strings.TrimSpace(frag); !strings.HasPrefix(frag, `<li`) || !strings.HasSuffix(frag, "</li>") {
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
		if more == "" {
			t.Skip("no More link")
		}
		page := get(t, more)
		names, _ := rows(page)
		if !slices.Equal(names, want[20:]) {
			t.Errorf("rows = %q\nwant   %q", names, want[20:])
		}
		_, _, newer := links(page)
		if newer == "" {
			t.Fatal("the second page has no link to newer recordings")
		}
		if back, _ := rows(get(t, newer)); !slices.Equal(back, want[:20]) {
			t.Errorf("Newer from the second page: rows %q\nwant %q", back, want[:20])
		}
		for _, s := range []string{
			`<!doctype html>`, `id="recordings"`, `data-testid="btn-start"`,
			`<p class="rec-count" role="status" data-testid="found">25 recordings</p>`,
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
		// Older than the third row: rows 3..22, with links both ways.
		third := cursorOf(t, ta, want[2])
		page := get(t, "/?after="+third)
		names, _ := rows(page)
		if !slices.Equal(names, want[3:23]) {
			t.Errorf("rows = %q\nwant   %q", names, want[3:23])
		}
		more, _, newer := links(page)
		if more == "" || newer == "" {
			t.Fatalf("middle page: More %q, Newer %q", more, newer)
		}
		if rest, _ := rows(get(t, more)); !slices.Equal(rest, want[23:]) {
			t.Errorf("More from the middle: %q, want %q", rest, want[23:])
		}
		if top, _ := rows(get(t, newer)); !slices.Equal(top, want[:3]) {
			t.Errorf("Newer from the middle: %q, want %q", top, want[:3])
		}
	})

	t.Run("ErrBadCursor", func(t *testing.T) {
		for _, target := range []string{"/?before=x", "/?after=1_", "/ui/recordings?after=1_-3", "/?sort=loudest"} {
			if res := ta.do(t, http.MethodGet, target, ""); res.status != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", target, res.status)
			}
		}
	})

	t.Run("OKWholeListFragment", func(t *testing.T) {
		// What htmx fetches on "recordings-changed": the first page, wrapped.
		frag := get(t, "/ui/recordings")
		names, _ := rows(frag)
		if m, _, _ := links(frag); !strings.HasPrefix(frag, `<div id="recordings"`) || !slices.Equal(names, want[:20]) || m != more {
			t.Errorf("fragment rows %q: %.300s", names, frag)
		}
	})
}
