package handlers_test

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/handlers"
	"github.com/avatarweb/recorder/handlers/guard"
)

const shareToken = "share-test-token-0123456789"

// linkRE finds a share link in the row's answer.
var linkRE = regexp.MustCompile(`value="http://localhost(/s/[A-Z2-7]{13}\.[A-Z2-7]{26})"`)

// makeLink makes a link to name for how long ("1h", "1d", "7d") from the
// row's form, as htmx posts it, and returns its path.
func (ta *testApp) makeLink(t *testing.T, name, how string) string {
	t.Helper()
	res := ta.do(t, http.MethodPost, "/recordings/"+name+"/share", url.Values{"for": {how}}.Encode(),
		"Content-Type", "application/x-www-form-urlencoded", "HX-Request", "true")
	res.wantStatus(t, http.StatusOK)
	m := linkRE.FindStringSubmatch(string(res.body))
	if m == nil {
		t.Fatalf("no link in %s", res.body)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the answer holding the link: Cache-Control %q", cc)
	}
	return m[1]
}

// stranger is the app behind an access token, as someone the link was
// sent to meets it: no cookie, no Bearer token.
func (ta *testApp) stranger(t *testing.T) *testApp {
	s := *ta
	log := testLogger(t)
	s.app = handlers.NewApp(ta.handler, handlers.AppConfig{
		Guard: guard.New(guard.Config{Token: shareToken, Log: log}), Log: log, MaxBody: 4 << 20,
	})
	return &s
}

var asPage = []string{"Accept", "text/html,application/xhtml+xml"}

// TestShareLink: a link made from the row opens, without the token, a
// page with the recording's title, a player and a download, and its audio
// with Range; the row counts the plays the page reports; the link opens
// nothing else.
func TestShareLink(t *testing.T) {
	t.Parallel()
	ta, f := newFakeApp(t)
	name, wav := ta.saveTone(t, f, "s1", t1)
	other, _ := ta.saveTone(t, f, "s2", t1.Add(time.Minute))
	ta.postTitle(t, name, "Standup notes", false).wantStatus(t, http.StatusSeeOther)
	link := ta.makeLink(t, name, "1d")
	out := ta.stranger(t)

	page := out.do(t, http.MethodGet, link, "", asPage...)
	page.wantStatus(t, http.StatusOK)
	body := string(page.body)
	for _, want := range []string{
		"<h1 data-testid=\"shared-title\">Standup notes</h1>", `src="` + link + `/audio"`, `preload="none"`,
		`href="` + link + `/audio?download=1"`, `<meta name="robots" content="noindex, nofollow">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	for _, leak := range []string{name, "/recordings", "htmx", "app.js", shareToken} {
		if strings.Contains(body, leak) {
			t.Errorf("page shows %q:\n%s", leak, body)
		}
	}
	if rp, robots := page.header.Get("Referrer-Policy"), page.header.Get("X-Robots-Tag"); rp != "no-referrer" || robots != "noindex, nofollow" {
		t.Errorf("Referrer-Policy %q, X-Robots-Tag %q", rp, robots)
	}

	audio := out.do(t, http.MethodGet, link+"/audio", "")
	audio.wantStatus(t, http.StatusOK)
	if !bytes.Equal(audio.body, wav) {
		t.Errorf("audio: %d bytes, want the %d of the take", len(audio.body), len(wav))
	}
	part := out.do(t, http.MethodGet, link+"/audio", "", "Range", "bytes=0-43")
	part.wantStatus(t, http.StatusPartialContent)
	if !bytes.Equal(part.body, wav[:44]) {
		t.Errorf("range: %q", part.body)
	}
	dl := out.do(t, http.MethodGet, link+"/audio?download=1", "")
	dl.wantStatus(t, http.StatusOK)
	if cd := dl.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="Standup notes 2025-01-02.wav"`) {
		t.Errorf("download: Content-Disposition %q", cd)
	}

	for range 3 {
		out.do(t, http.MethodPost, link+"/play", "").wantStatus(t, http.StatusNoContent)
	}
	row := string(ta.do(t, http.MethodGet, "/", "").body)
	if !strings.Contains(row, "Shared · 3 plays · expires in 1 day") {
		t.Errorf("the row does not say it is shared: %s", visibleText(row))
	}

	// Nothing else opens with the link in hand.
	for _, path := range []string{
		"/", "/recordings", "/recordings/" + name, "/recordings/" + name + "/audio", "/recordings/" + other + "/audio",
		"/ui/recordings", "/trash", "/get_params", "/ws", link + "/../../recordings", "/s/../recordings/" + name + "/audio",
	} {
		res := out.do(t, http.MethodGet, path, "", "Referer", "http://localhost"+link)
		if res.status != http.StatusUnauthorized {
			t.Errorf("GET %s with a link: %d, want 401 %s", path, res.status, res.body)
		}
	}
	if res := out.do(t, http.MethodGet, "/recordings", "", "Authorization", "Bearer "+strings.TrimPrefix(link, "/s/")); res.status != http.StatusUnauthorized {
		t.Errorf("the link's token as the access token: %d, want 401", res.status)
	}
	for _, path := range []string{link + "/" + other, link + "/audio/" + other, link + "/recordings"} {
		if res := out.do(t, http.MethodGet, path, ""); res.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, res.status)
		}
	}
	if res := out.do(t, http.MethodPost, "/recordings/"+name+"/share", "for=7d", "Content-Type", "application/x-www-form-urlencoded"); res.status != http.StatusUnauthorized {
		t.Errorf("a link made without the token: %d", res.status)
	}
}

// TestShareLinkEnds: a link stops at its expiry, at Stop sharing and when
// its recording is deleted (Restore does not bring it back): it is then
// answered 410, page, audio and play alike, and counts no play.
func TestShareLinkEnds(t *testing.T) {
	t.Parallel()
	gone := func(t *testing.T, out *testApp, link string) {
		t.Helper()
		page := out.do(t, http.MethodGet, link, "", asPage...)
		page.wantStatus(t, http.StatusGone)
		if !strings.Contains(string(page.body), "This link has expired") {
			t.Errorf("page: %s", page.body)
		}
		out.do(t, http.MethodGet, link+"/audio", "").wantStatus(t, http.StatusGone)
		out.do(t, http.MethodGet, link+"/audio", "", "Range", "bytes=0-").wantStatus(t, http.StatusGone)
		out.do(t, http.MethodPost, link+"/play", "").wantStatus(t, http.StatusGone)
	}

	t.Run("Expiry", func(t *testing.T) {
		ta, f := newFakeApp(t)
		name, _ := ta.saveTone(t, f, "s1", t1)
		hour, week := ta.makeLink(t, name, "1h"), ta.makeLink(t, name, "7d")
		out := ta.stranger(t)
		ta.clock.Set(t1.Add(59 * time.Minute))
		out.do(t, http.MethodGet, hour, "", asPage...).wantStatus(t, http.StatusOK)
		if row := visibleText(string(ta.do(t, http.MethodGet, "/", "").body)); !strings.Contains(row, "Shared (2 links) · no plays yet · expires in 7 days") {
			t.Errorf("row: %s", row)
		}
		ta.clock.Set(t1.Add(time.Hour))
		gone(t, out, hour)
		out.do(t, http.MethodGet, week, "", asPage...).wantStatus(t, http.StatusOK)
		ta.clock.Set(t1.Add(7*24*time.Hour + time.Second))
		gone(t, out, week)
		if row := string(ta.do(t, http.MethodGet, "/", "").body); strings.Contains(row, "Shared") || !strings.Contains(row, "Make link") {
			t.Errorf("the row of a recording whose links expired: %s", visibleText(row))
		}
	})

	t.Run("StopSharing", func(t *testing.T) {
		ta, f := newFakeApp(t)
		name, _ := ta.saveTone(t, f, "s1", t1)
		link := ta.makeLink(t, name, "7d")
		out := ta.stranger(t)
		out.do(t, http.MethodGet, link, "", asPage...).wantStatus(t, http.StatusOK)
		res := ta.do(t, http.MethodPost, "/recordings/"+name+"/share/stop", "", "HX-Request", "true")
		res.wantStatus(t, http.StatusOK)
		if body := string(res.body); strings.Contains(body, "Shared") || !strings.Contains(body, "Make link") {
			t.Errorf("the control after Stop sharing: %s", body)
		}
		gone(t, out, link)
	})

	t.Run("Deleted", func(t *testing.T) {
		ta, f := newFakeApp(t)
		name, _ := ta.saveTone(t, f, "s1", t1)
		link := ta.makeLink(t, name, "7d")
		out := ta.stranger(t)
		ta.do(t, http.MethodPost, "/recordings/"+name+"/delete", "").wantStatus(t, http.StatusSeeOther)
		gone(t, out, link)
		ta.do(t, http.MethodPost, "/recordings/"+name+"/restore", "").wantStatus(t, http.StatusSeeOther)
		gone(t, out, link)
		ta.do(t, http.MethodPost, "/recordings/"+name+"/share", "for=2d",
			"Content-Type", "application/x-www-form-urlencoded").wantStatus(t, http.StatusBadRequest)
	})
}

// TestShareLinkRefused: a link that was never made, or whose secret is
// wrong, gets the same 404 as one that is malformed; a client that keeps
// trying is limited.
func TestShareLinkRefused(t *testing.T) {
	t.Parallel()
	ta, f := newFakeApp(t)
	name, _ := ta.saveTone(t, f, "s1", t1)
	link := ta.makeLink(t, name, "1d")
	out := ta.stranger(t)
	id := strings.TrimPrefix(link, "/s/")[:13]
	wrongSecret := "/s/" + id + "." + strings.Repeat("A", 26)
	unknownID := "/s/" + strings.Repeat("B", 13) + link[16:]
	var bodies []string
	for _, bad := range []string{wrongSecret, unknownID, "/s/" + id, "/s/x", link[:len(link)-1], strings.ToLower(link)} {
		res := out.do(t, http.MethodGet, bad, "", asPage...)
		res.wantStatus(t, http.StatusNotFound)
		bodies = append(bodies, string(res.body))
		out.do(t, http.MethodGet, bad+"/audio", "").wantStatus(t, http.StatusNotFound)
	}
	if bodies[0] != bodies[1] || !strings.Contains(bodies[0], "No such link") {
		t.Errorf("a wrong secret and an unknown link answer differently:\n%s\n%s", bodies[0], bodies[1])
	}
	// 12 misses so far; the 30th is the last answered.
	for range 30 - 12 {
		out.do(t, http.MethodGet, unknownID, "").wantStatus(t, http.StatusNotFound)
	}
	res := out.do(t, http.MethodGet, unknownID, "")
	res.wantStatus(t, http.StatusTooManyRequests)
	if res.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

// TestShareLinkOnAnotherNode: two nodes sharing the index and the store
// (here one data directory): a link made on one opens on the other, its
// plays count in the one index, and Stop sharing on either ends it on
// both.
func TestShareLinkOnAnotherNode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, f := newFakeAppIn(t, dir, testLogger(t))
	b, _ := newFakeAppIn(t, dir, testLogger(t))
	name, wav := a.saveTone(t, f, "s1", t1)
	b.clock.Set(t1)
	link := a.makeLink(t, name, "1h")
	out := b.stranger(t)
	out.do(t, http.MethodGet, link, "", asPage...).wantStatus(t, http.StatusOK)
	if res := out.do(t, http.MethodGet, link+"/audio", ""); res.status != http.StatusOK || !bytes.Equal(res.body, wav) {
		t.Errorf("the other node's audio: %d, %d bytes", res.status, len(res.body))
	}
	out.do(t, http.MethodPost, link+"/play", "").wantStatus(t, http.StatusNoContent)
	if row := string(a.do(t, http.MethodGet, "/", "").body); !strings.Contains(row, "Shared · 1 play · expires in 1 h") {
		t.Errorf("the first node's row: %s", visibleText(row))
	}
	b.do(t, http.MethodPost, "/recordings/"+name+"/share/stop", "").wantStatus(t, http.StatusSeeOther)
	a.stranger(t).do(t, http.MethodGet, link, "", asPage...).wantStatus(t, http.StatusGone)
}
