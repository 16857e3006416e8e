package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestUntitledNameOnViewersClock: an untitled take is named from when it
// was made in the viewer's time zone and on their clock, as the page's
// script sends them (the tz and clock cookies): on a 12-hour clock in New
// York "Recording 7 Dec 2025, 4:12 PM" beside the row's "4:12 PM",
// wherever the name appears (row, trim page, toast, share page); on a
// 24-hour clock "16:12"; with neither cookie, UTC on 24 hours. Downloads
// keep a 24-hour time, which sorts (media.DownloadName).
func TestUntitledNameOnViewersClock(t *testing.T) {
	t.Parallel()
	ta, f := newFakeApp(t)
	name, _ := ta.saveTone(t, f, "s1", time.Date(2025, 12, 7, 21, 12, 0, 0, time.UTC))
	us := []string{"Cookie", "tz=America/New_York; clock=12"}
	get := func(t *testing.T, target string, header ...string) string {
		t.Helper()
		res := ta.do(t, http.MethodGet, target, "", header...)
		res.wantStatus(t, http.StatusOK)
		return string(res.body)
	}

	for _, tc := range []struct {
		name             string
		header           []string
		want, clock, say string // the name, the row's time, the list's data-clock
	}{
		{"OK12Hours", []string{"Cookie", "tz=America/New_York; clock=12"}, "Recording 7 Dec 2025, 4:12 PM", "4:12 PM", "12"},
		{"OK24Hours", []string{"Cookie", "tz=America/New_York; clock=24"}, "Recording 7 Dec 2025, 16:12", "16:12", "24"},
		{"OK12HoursTokyo", []string{"Cookie", "tz=Asia/Tokyo; clock=12"}, "Recording 8 Dec 2025, 6:12 AM", "6:12 AM", "12"},
		{"OKNoCookies", nil, "Recording 7 Dec 2025, 21:12", "21:12", "24"},
		{"OKUnknownClock", []string{"Cookie", "clock=13"}, "Recording 7 Dec 2025, 21:12", "21:12", "24"},
		// Before the script sends its clock, a first guess from the
		// browser's language; the clock sent wins.
		{"OKGuessedFromLanguage", []string{"Accept-Language", "en-US,en;q=0.9"}, "Recording 7 Dec 2025, 9:12 PM", "9:12 PM", "12"},
		{"OKGuessedBritish", []string{"Accept-Language", "en-GB,en;q=0.9"}, "Recording 7 Dec 2025, 21:12", "21:12", "24"},
		{"OKSentBeatsGuess", []string{"Accept-Language", "en-US", "Cookie", "clock=24"}, "Recording 7 Dec 2025, 21:12", "21:12", "24"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, target := range []string{"/", "/ui/recordings"} {
				body := get(t, target, tc.header...)
				if !strings.Contains(body, `placeholder="`+tc.want+`"`) || !strings.Contains(body, `aria-label="Delete `+tc.want+`"`) {
					t.Errorf("%s: the row is not named %q:\n%s", target, tc.want, visibleText(body))
				}
				if !strings.Contains(body, `data-local="time">`+tc.clock+`</time>`) {
					t.Errorf("%s: the row's time is not %q", target, tc.clock)
				}
				if !strings.Contains(body, `data-clock="`+tc.say+`"`) {
					t.Errorf("%s: the list does not say it was written for a %s-hour clock", target, tc.say)
				}
			}
		})
	}

	t.Run("OKTrimPage", func(t *testing.T) {
		if body := get(t, "/recordings/"+name+"/trim", us...); !strings.Contains(body, "<h1 id=\"trim-title\">Trim Recording 7 Dec 2025, 4:12 PM</h1>") {
			t.Errorf("trim page:\n%s", visibleText(body))
		}
	})

	t.Run("OKDownloadName", func(t *testing.T) {
		res := ta.do(t, http.MethodGet, "/recordings/"+name+"/audio?download=1", "", us...)
		res.wantStatus(t, http.StatusOK)
		if got := res.header.Get("Content-Disposition"); !strings.Contains(got, `filename="Recording 2025-12-07 16-12.wav"`) {
			t.Errorf("Content-Disposition %q", got)
		}
	})

	t.Run("OKSharePage", func(t *testing.T) {
		link := ta.makeLink(t, name, "1d")
		// The link's visitor sent no clock: the page names the take in
		// UTC, and marks it for its script to write again on theirs.
		// (The share page reads the app's clock, still in 2025.)
		body := get(t, link, asPage...)
		if !strings.Contains(body, `data-made="2025-12-07T21:12:00Z">Recording 7 Dec, 21:12</h1>`) {
			t.Errorf("share page:\n%s", body)
		}
		if body := get(t, link, append(asPage, us...)...); !strings.Contains(body, `>Recording 7 Dec, 4:12 PM</h1>`) {
			t.Errorf("share page on a 12-hour clock:\n%s", visibleText(body))
		}
	})

	t.Run("OKFoundByName", func(t *testing.T) {
		for _, q := range []string{"Recording", "rec", "Recording 7 Dec 2025", "Dec 7 2025"} {
			body := get(t, "/ui/recordings?q="+url.QueryEscape(q), us...)
			if names, _ := rows(body); len(names) != 1 || names[0] != name {
				t.Errorf("%q found %q: %s", q, names, visibleText(body))
			}
		}
	})

	t.Run("OKDeleteToast", func(t *testing.T) {
		res := ta.do(t, http.MethodPost, "/recordings/"+name+"/delete", "", append(us, "HX-Request", "true")...)
		res.wantStatus(t, http.StatusOK)
		if !strings.Contains(string(res.body), "Deleted “Recording 7 Dec 2025, 4:12 PM”.") {
			t.Errorf("toast:\n%s", visibleText(string(res.body)))
		}
		if body := get(t, "/trash", us...); !strings.Contains(body, "Recording 7 Dec 2025, 4:12 PM") {
			t.Errorf("Recently deleted:\n%s", visibleText(body))
		}
	})
}
