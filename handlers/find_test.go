package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/handlers"
)

// visibleText is what a person reads of some HTML: its text, tags aside.
func visibleText(html string) string {
	return regexp.MustCompile(`<[^>]*>`).ReplaceAllString(html, " ")
}

// dayHeads are the list's day headings, in order.
func dayHeads(html string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<h3 class="day-head">([^<]*)</h3>`).FindAllStringSubmatch(html, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestFindInList(t *testing.T) {
	t.Parallel()
	ta, f := newFakeApp(t)
	standup, _ := ta.saveTone(t, f, "s1", time.Date(2025, 12, 2, 9, 0, 0, 0, time.UTC)) // a Tuesday
	guitar, _ := ta.saveTone(t, f, "s2", time.Date(2025, 12, 2, 23, 30, 0, 0, time.UTC))
	untitled, _ := ta.saveTone(t, f, "s3", time.Date(2025, 12, 3, 8, 0, 0, 0, time.UTC))
	ta.postTitle(t, standup, "Standup notes", false).wantStatus(t, http.StatusSeeOther)
	ta.postTitle(t, guitar, "Guitar riff", false).wantStatus(t, http.StatusSeeOther)

	get := func(t *testing.T, target string, header ...string) response {
		t.Helper()
		res := ta.do(t, http.MethodGet, target, "", header...)
		res.wantStatus(t, http.StatusOK)
		return res
	}
	list := func(t *testing.T, target string) ([]string, string) {
		t.Helper()
		body := string(get(t, target).body)
		names, _ := rows(body)
		return names, body
	}

	t.Run("OKWordPrefix", func(t *testing.T) {
		names, body := list(t, "/ui/recordings?q=stand")
		if !slices.Equal(names, []string{standup}) {
			t.Errorf("rows %q, want the standup only", names)
		}
		if !strings.Contains(body, "1 of 3 recordings matches “stand”") {
			t.Errorf("no count: %s", visibleText(body))
		}
	})

	t.Run("OKDateWords", func(t *testing.T) {
		names, body := list(t, "/ui/recordings?q="+url.QueryEscape("Dec 2 2025"))
		if !slices.Equal(names, []string{guitar, standup}) {
			t.Errorf("rows %q", names)
		}
		if !strings.Contains(body, "2 of 3 recordings match") {
			t.Errorf("no count: %s", visibleText(body))
		}
	})

	t.Run("OKNothingFound", func(t *testing.T) {
		names, body := list(t, "/?q=zzz")
		if len(names) != 0 || !strings.Contains(body, "No recordings match “zzz”.") {
			t.Errorf("rows %q: %s", names, visibleText(body))
		}
		if !strings.Contains(body, `value="zzz"`) {
			t.Error("the search box lost what was typed")
		}
	})

	t.Run("OKSortOldest", func(t *testing.T) {
		names, body := list(t, "/?sort=oldest")
		if !slices.Equal(names, []string{standup, guitar, untitled}) {
			t.Errorf("rows %q", names)
		}
		if !strings.Contains(body, `<option value="oldest" selected>Oldest first</option>`) {
			t.Error("the order shown is not the one asked")
		}
	})

	t.Run("OKDayHeadings", func(t *testing.T) {
		_, body := list(t, "/ui/recordings")
		if got, want := dayHeads(body), []string{"Wednesday 3 December 2025", "Tuesday 2 December 2025"}; !slices.Equal(got, want) {
			t.Errorf("headings %q, want %q", got, want)
		}
		// In Tokyo, the guitar take (23:30 UTC) was made on the 3rd.
		_, body = list(t, "/ui/recordings?tz=Asia/Tokyo")
		if got, want := dayHeads(body), []string{"Wednesday 3 December 2025", "Tuesday 2 December 2025"}; !slices.Equal(got, want) {
			t.Errorf("Tokyo headings %q, want %q", got, want)
		}
		if names, _ := rows(body); !slices.Equal(names, []string{untitled, guitar, standup}) {
			t.Errorf("rows %q", names)
		}
		if i, j := strings.Index(body, "Tuesday 2 December"), strings.Index(body, `data-filename="`+guitar); i < j {
			t.Error("in Tokyo the guitar take is headed by the 2nd")
		}
		if _, body = list(t, "/ui/recordings?sort=longest"); len(dayHeads(body)) != 0 {
			t.Error("a list by length has day headings")
		}
	})

	t.Run("OKNoFileNamesShown", func(t *testing.T) {
		_, body := list(t, "/")
		text := visibleText(body)
		if strings.Contains(text, ".json") || strings.Contains(text, "recording_") {
			t.Errorf("a file name is shown: %s", text)
		}
		if !strings.Contains(body, `placeholder="Recording 3 Dec 2025, 08:00"`) {
			t.Error("the untitled take is not named from when it was made")
		}
	})

	t.Run("OKAddressFollowsSearch", func(t *testing.T) {
		res := get(t, "/ui/recordings?q=stand&sort=oldest&tz=UTC", "HX-Request", "true", "HX-Trigger", "find")
		if got := res.header.Get("HX-Replace-Url"); got != "/?q=stand&sort=oldest" {
			t.Errorf("HX-Replace-Url = %q", got)
		}
	})

	t.Run("ErrBadSort", func(t *testing.T) {
		if res := ta.do(t, http.MethodGet, "/ui/recordings?sort=loudest", ""); res.status != http.StatusBadRequest {
			t.Errorf("status %d, want 400", res.status)
		}
	})
}

// TestListLoadsNoAudio: the list's players fetch nothing until played
// (preload="none", the length shown from the index), and the technical
// details sit in a disclosure.
func TestListLoadsNoAudio(t *testing.T) {
	t.Parallel()
	ta, f := newFakeApp(t)
	for i := range 3 {
		ta.saveTone(t, f, "s"+string(rune('a'+i)), t1.Add(time.Duration(i)*time.Minute))
	}
	body := string(ta.do(t, http.MethodGet, "/ui/recordings", "").body)
	if n := len(regexp.MustCompile(`<audio [^>]*preload="none"`).FindAllString(body, -1)); n != 3 || strings.Count(body, "<audio") != 3 {
		t.Errorf("%d players load nothing, want 3", n)
	}
	// Each player's clock shows the length before anything is loaded.
	if n := len(regexp.MustCompile(`0:00\s+/\s+0:01`).FindAllString(visibleText(body), -1)); n != 3 {
		t.Errorf("%d players show 0:00 / 0:01, want 3", n)
	}
	if strings.Contains(body, `preload="metadata"`) || strings.Contains(body, `preload="auto"`) {
		t.Error("a player loads audio with the page")
	}
	if !strings.Contains(body, `data-seconds="0.5"`) || !strings.Contains(visibleText(body), "0.5 s") {
		t.Error("the length is not shown from the index")
	}
	if n := strings.Count(body, `<details class="rec-details">`); n != 3 {
		t.Errorf("%d rows with their details in a disclosure, want 3", n)
	}
}

// TestStorageShown: the list says how long and how big the library is,
// Recently deleted's files counted in the bytes, and the space left.
func TestStorageShown(t *testing.T) {
	t.Parallel()
	ta, f := newFakeAppWith(t, withHandler(func(h *handlers.Handler) {
		h.DiskFree = func() (int64, bool) { return 5 << 30, true }
	}))
	for i := range 3 {
		ta.saveTone(t, f, "s"+string(rune('a'+i)), t1.Add(time.Duration(i)*time.Minute))
	}
	body := string(ta.do(t, http.MethodGet, "/ui/recordings", "").body)
	m := regexp.MustCompile(`data-testid="storage">([^<]*)<`).FindStringSubmatch(body)
	if m == nil || m[1] != "2 s of audio in 47.0 KiB · 5.0 GiB free" {
		t.Errorf("storage line %q", m)
	}
	names, _ := rows(body)
	ta.do(t, http.MethodPost, "/recordings/"+names[0]+"/delete", "", "HX-Request", "true").wantStatus(t, http.StatusOK)
	body = string(ta.do(t, http.MethodGet, "/ui/recordings", "").body)
	if m := regexp.MustCompile(`data-testid="storage">([^<]*)<`).FindStringSubmatch(body); m == nil || m[1] != "1 s of audio in 47.0 KiB · 5.0 GiB free" {
		t.Errorf("after a delete: storage line %q", m)
	}
}
