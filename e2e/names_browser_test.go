//go:build linux

package e2e

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/avatarweb/recorder/media"
)

// TestBrowserUntitledName: an untitled take is named on the viewer's
// clock, as the row beside it writes its time. A browser in New York set
// to American English reads "Recording 7 Dec, 4:12 PM" beside "4:12 PM",
// in each engine; a Chromium in Tokyo set to British English "Recording 8
// Dec, 06:12" beside "06:12". Each opens the app fresh (no cookies: the first page is written
// in UTC, the script sends its zone and clock and the list is fetched
// again), then the take's share link with its cookies gone, as a link's
// visitor does.
func TestBrowserUntitledName(t *testing.T) {
	srv := startServer(t, nil)
	name := saveToneViaAPI(t, srv, 1)
	res, err := http.PostForm(srv.url+"/recordings/"+url.PathEscape(name)+"/share", url.Values{"for": {"1d"}})
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(res.Body)
	res.Body.Close()
	m := madeLinkRE.FindStringSubmatch(string(page))
	if err != nil || res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("making a link: %d %s (%v)", res.StatusCode, page, err)
	}
	link := m[1]

	type viewer struct {
		zone, locale string
		hour12       bool
		shape        *regexp.Regexp
	}
	newYork := viewer{"America/New_York", "en-US", true, regexp.MustCompile(`^Recording \d{1,2} [A-Z][a-z]{2}, \d{1,2}:\d\d [AP]M$`)}
	tokyo := viewer{"Asia/Tokyo", "en-GB", false, regexp.MustCompile(`^Recording \d{1,2} [A-Z][a-z]{2}, \d\d:\d\d$`)}
	forEachEngine(t, func(t *testing.T, e engine) {
		// Chromium emulates any zone and locale; Firefox and WebKit take
		// the zone from TZ and write times as American English does.
		viewers := []viewer{newYork}
		if e.name == "Chromium" {
			viewers = append(viewers, tokyo)
		}
		for _, v := range viewers {
			t.Run(v.locale, func(t *testing.T) { untitledNameIn(t, e, v.zone, v.locale, v.hour12, v.shape, srv, name, link) })
		}
	})
}

// untitledNameIn opens the app and then the share link in a fresh
// browser of engine e in zone (and, in Chromium, locale), and checks the
// untitled take name is written on the clock hour12 says, in the shape
// shape, as the row's own time.
func untitledNameIn(t *testing.T, e engine, zone, locale string, hour12 bool, shape *regexp.Regexp, srv *testServer, name, link string) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	var p *tab
	if e.name == "Chromium" {
		ctx := launch(t)
		if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone}); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Call(ctx, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: strings.ReplaceAll(locale, "-", "_")}); err != nil {
			t.Fatal(err)
		}
		p = chromiumTab(t, ctx)
	} else {
		t.Setenv("TZ", zone)
		p = e.open(t)
	}
	row := `[data-testid=recording][data-filename="` + name + `"]`
	p.do("opening the app", p.navigate(srv.url), p.waitFor(`body[data-ready]`))
	at, err := time.Parse(time.RFC3339, p.attr(row+` time`, "datetime"))
	if err != nil {
		t.Fatal(err)
	}
	want := media.DisplayName(media.Recording{CreatedAt: at}, time.Now(), media.Clock{Zone: loc, Hour12: hour12})
	if !shape.MatchString(want) {
		t.Fatalf("the name expected, %q, is not of the shape %v", want, shape)
	}

	// The row, once the list is written for this viewer.
	p.do("the list written for this viewer", p.until("the row's name", `document.querySelector('`+row+` input[name=title]').placeholder === `+strconv.Quote(want)))
	var shown struct{ Name, Label, Time string }
	p.eval(`(() => {
		const li = document.querySelector('`+row+`');
		return { name: li.querySelector('input[name=title]').placeholder,
			label: li.querySelector('[data-testid=delete]').getAttribute('aria-label'),
			time: li.querySelector('time').textContent.replace(/\s+/gu, ' ').trim() };
	})()`, &shown)
	if shown.Name != want || shown.Label != "Delete "+want {
		t.Errorf("the row is named %q (Delete labelled %q), want %q", shown.Name, shown.Label, want)
	}
	if !strings.HasSuffix(shown.Name, ", "+shown.Time) {
		t.Errorf("the row's name %q beside its time %q: not the same clock", shown.Name, shown.Time)
	}

	// The share link, as its visitor opens it: no cookies sent.
	p.do("forgetting the cookies", p.run(`(document.cookie = 'tz=; path=/; max-age=0', document.cookie = 'clock=; path=/; max-age=0', true)`),
		p.until("no zone or clock cookie", `!/(^|; )(tz|clock)=/.test(document.cookie)`))
	p.do("opening the share link", p.navigate(link), p.waitFor(`[data-testid=shared]`),
		p.until("the share page's title", `document.querySelector('[data-testid=shared-title]').textContent === `+strconv.Quote(want)+
			` && document.title === `+strconv.Quote(want)))
	// Its download is named in the viewer's zone too, on 24 hours.
	var disposition string
	p.eval(`fetch(document.querySelector('[data-testid=shared-download]').href).then((r) => r.headers.get('Content-Disposition') || '')`, &disposition)
	if file := media.DownloadName(media.Recording{CreatedAt: at}, loc, ".wav"); !strings.Contains(disposition, `filename="`+file+`"`) {
		t.Errorf("the share page's download is %q, want it named %q", disposition, file)
	}
}
