//go:build linux

package e2e

import (
	"bytes"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the index's driver, to let a link's hour pass

	"github.com/avatarweb/recorder/media/mediatest"
)

// shareTestToken is the access token of the server the share links are
// tried on: a link must work without it.
const shareTestToken = "share-links-test-token-123"

// owner is the recording's owner, on the API with the token.
type owner struct {
	t   *testing.T
	srv *testServer
}

// do sends a request with the token and returns the status and body.
func (o owner) do(method, path, contentType string, body []byte) (int, []byte) {
	o.t.Helper()
	req, err := http.NewRequest(method, o.srv.url+path, bytes.NewReader(body))
	if err != nil {
		o.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+shareTestToken)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		o.t.Fatal(err)
	}
	return res.StatusCode, b
}

// noRedirects answers a redirect as it is.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// save saves seconds of tone titled title and returns its file name.
func (o owner) save(title string, seconds float64) string {
	o.t.Helper()
	path := filepath.Join(o.t.TempDir(), "tone.wav")
	if err := mediatest.WriteWAV(path, mediatest.Tone(toneHz, 16000, 1, seconds, 0.5), 16000, 1); err != nil {
		o.t.Fatal(err)
	}
	wav, err := os.ReadFile(path)
	if err != nil {
		o.t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"recording_type": "mediarecorder", "audio_data": base64.StdEncoding.EncodeToString(wav),
		"mime": "audio/wav", "duration": seconds, "title": title,
	})
	status, out := o.do(http.MethodPost, "/save_recording", "application/json", body)
	var saved struct{ Filename string }
	if err := json.Unmarshal(out, &saved); status != http.StatusOK || err != nil || saved.Filename == "" {
		o.t.Fatalf("save: %d %s", status, out)
	}
	return saved.Filename
}

var madeLinkRE = regexp.MustCompile(`value="(https?://[^"]+/s/[A-Z2-7.]+)"`)

// makeLink makes a link to name from the row's form (without JavaScript)
// for how long ("1h", "1d", "7d").
func (o owner) makeLink(name, how string) string {
	o.t.Helper()
	status, out := o.do(http.MethodPost, "/recordings/"+url.PathEscape(name)+"/share",
		"application/x-www-form-urlencoded", []byte("for="+how))
	m := madeLinkRE.FindSubmatch(out)
	if status != http.StatusOK || m == nil {
		o.t.Fatalf("make a link: %d %s", status, out)
	}
	return string(m[1])
}

// expire lets a link's time run out: its expiry is set a second ago in
// the index, as if its hour had passed.
func (o owner) expire(link string) {
	o.t.Helper()
	id, _, _ := strings.Cut(link[strings.LastIndex(link, "/")+1:], ".")
	database, err := sql.Open("sqlite", "file:"+o.srv.Config.DBSource()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		o.t.Fatal(err)
	}
	defer database.Close()
	past := time.Now().Add(-time.Second).UTC().Format("2006-01-02T15:04:05.000Z")
	if res, err := database.Exec(`UPDATE shares SET expires_at = ? WHERE id = ?`, past, id); err != nil {
		o.t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		o.t.Fatalf("no share %q to expire", id)
	}
}

// rowSays waits up to 10 s for the list, as the owner sees it, to say text.
func (o owner) rowSays(text string) {
	o.t.Helper()
	var page []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, page = o.do(http.MethodGet, "/ui/recordings", "", nil); bytes.Contains(page, []byte(text)) {
			return
		}
	}
	o.t.Fatalf("the list does not say %q: %s", text, page)
}

// fetchStatus is a condition: fetching path from the page answers status.
func fetchStatus(path string, status int) string {
	return `fetch(` + strconv.Quote(path) + `).then((r) => r.status === ` + strconv.Itoa(status) + `)`
}

// TestShareLinks: someone a link was sent to opens it in a browser that
// never had the token (a fresh profile): the page shows the title, its
// player plays the take and its download is the take; the play is
// counted in the owner's row; nothing else of the server opens. The link
// is refused once revoked, and once expired. Then the owner, signed in,
// makes a link from the row, sees it with Copy, and stops sharing.
func TestShareLinks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		srv := startServer(t, nil, "-token", shareTestToken)
		o := owner{t, srv}
		name := o.save("Standup notes", 2)
		_, audio := o.do(http.MethodGet, "/recordings/"+url.PathEscape(name)+"/audio", "", nil)
		link := o.makeLink(name, "7d")
		p := e.open(t)

		p.do("the app asks a stranger for the token", p.navigate(srv.url),
			p.until("the sign-in page", `location.pathname === '/login'`))
		p.do("opening the link", p.navigate(link), p.waitFor(`[data-testid=shared]`),
			p.until("the title", `document.querySelector('h1').textContent === 'Standup notes'`))
		p.shoot("share-page-" + strings.ToLower(e.name) + ".png")
		p.do("playing", p.run(`(() => { const a = document.querySelector('audio'); a.muted = true; a.play().catch(() => {}); })()`),
			p.until("the take playing", `(() => { const a = document.querySelector('audio'); return a.duration > 1.9 && (a.currentTime > 0 || a.ended); })()`))
		o.rowSays("Shared · 1 play · expires in 7 days")

		var dl struct {
			Status      int    `json:"status"`
			Bytes       int    `json:"bytes"`
			Disposition string `json:"disposition"`
		}
		p.eval(`fetch(document.querySelector('[data-testid=shared-download]').href).then(async (r) => ({
	status: r.status, bytes: (await r.arrayBuffer()).byteLength, disposition: r.headers.get('Content-Disposition') || '' }))`, &dl)
		if dl.Status != http.StatusOK || dl.Bytes != len(audio) || !strings.Contains(dl.Disposition, `filename="Standup notes `) {
			t.Errorf("%s: download %+v, want 200, the %d bytes of the take, named from its title", e.name, dl, len(audio))
		}
		var elsewhere []int
		p.eval(`Promise.all(['/', '/recordings', '/recordings/`+name+`/audio', '/ui/recordings', '/trash'].map((u) => fetch(u).then((r) => r.status)))`, &elsewhere)
		for _, s := range elsewhere {
			if s != http.StatusUnauthorized {
				t.Errorf("%s: with the link open, the app answers %v; want 401 everywhere", e.name, elsewhere)
				break
			}
		}

		if status, _ := o.do(http.MethodPost, "/recordings/"+url.PathEscape(name)+"/share/stop", "", nil); status != http.StatusSeeOther {
			t.Fatalf("stop sharing: %d", status)
		}
		p.do("the revoked link", p.navigate(link), p.waitText("This link has expired"),
			p.until("its audio refused", fetchStatus(strings.TrimPrefix(link, srv.url)+"/audio", http.StatusGone)))

		hour := o.makeLink(name, "1h")
		p.do("a link for an hour", p.navigate(hour), p.waitFor(`[data-testid=shared]`))
		o.expire(hour)
		p.do("the hour over", p.navigate(hour), p.waitText("This link has expired"),
			p.until("its audio refused", fetchStatus(strings.TrimPrefix(hour, srv.url)+"/audio", http.StatusGone)))

		// The owner signs in and shares from the row.
		p.do("signing in", p.navigate(srv.url+"/login"), p.fill("Access token", shareTestToken), p.press("Sign in"),
			p.waitFor(`body[data-ready]`), p.waitFor(`[data-testid=recording]`))
		p.do("making a link", p.press("Share Standup notes"),
			p.run(`document.querySelector('[data-testid=share] select').value = '1h'`),
			p.press("Make link"), p.waitFor(`[data-testid=share-link]`),
			p.until("the row says so", `document.querySelector('[data-testid=share-status]')?.textContent.startsWith('Shared · no plays yet · expires in 1 h')`))
		var made string
		p.eval(`document.querySelector('[data-testid=share-link]').value`, &made)
		if !strings.HasPrefix(made, srv.url+"/s/") || made == link {
			t.Fatalf("%s: the link shown is %q", e.name, made)
		}
		p.do("copying it", p.press("Copy"), p.until("Copy answered", `['Copied', 'Select and copy'].includes(document.querySelector('[data-testid=copy-link]').textContent)`),
			p.until("the link works", fetchStatus(strings.TrimPrefix(made, srv.url), http.StatusOK)))
		p.shoot("share-row-" + strings.ToLower(e.name) + ".png")
		p.do("stopping", p.press("Stop sharing Standup notes"),
			p.until("the row back to Share", `!document.querySelector('[data-testid=share-status]') && document.querySelector('[data-testid=share] summary').textContent.trim() === 'Share'`),
			p.until("the link refused", fetchStatus(strings.TrimPrefix(made, srv.url), http.StatusGone)))
	})
}
