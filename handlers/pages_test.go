package handlers_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

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
			`<script src="` + assets.Path(views.HTMXFile) + `"`,
			`src="` + assets.Path("js/app.js") + `"`,
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
		{assets.Path("js/app.js"), "js/app.js", "text/javascript"},
		{assets.Path(views.HTMXFile), views.HTMXFile, "text/javascript"},
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

	t.Run("Caching", func(t *testing.T) {
		versioned := ta.do(t, http.MethodGet, assets.Path("js/app.js"), "")
		versioned.wantStatus(t, http.StatusOK)
		if cc := versioned.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("versioned asset: Cache-Control %q, want immutable", cc)
		}
		plain := ta.do(t, http.MethodGet, "/assets/js/app.js", "")
		etag := plain.header.Get("ETag")
		if cc := plain.header.Get("Cache-Control"); cc != "no-cache" || etag == "" || plain.header.Get("Last-Modified") == "" {
			t.Errorf("plain asset: Cache-Control %q, ETag %q, Last-Modified %q", cc, etag, plain.header.Get("Last-Modified"))
		}
		again := ta.do(t, http.MethodGet, "/assets/js/app.js", "", "If-None-Match", etag)
		if again.status != http.StatusNotModified || len(again.body) != 0 {
			t.Errorf("conditional request: %d with %d bytes, want 304 and none", again.status, len(again.body))
		}
		page := ta.do(t, http.MethodGet, "/", "", "Accept-Encoding", "gzip")
		if cc := page.header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("page: Cache-Control %q, want no-cache", cc)
		}
		if ce := page.header.Get("Content-Encoding"); ce != "gzip" {
			t.Errorf("page: Content-Encoding %q, want gzip", ce)
		}
	})

	t.Run("Brotli", func(t *testing.T) {
		want, err := fs.ReadFile(assets.FS, views.HTMXFile)
		if err != nil {
			t.Fatal(err)
		}
		res := ta.do(t, http.MethodGet, assets.Path(views.HTMXFile), "", "Accept-Encoding", "gzip, deflate, br")
		res.wantStatus(t, http.StatusOK)
		if res.header.Get("Content-Encoding") != "br" || !strings.Contains(res.header.Get("Vary"), "Accept-Encoding") {
			t.Fatalf("Content-Encoding %q, Vary %q", res.header.Get("Content-Encoding"), res.header.Get("Vary"))
		}
		got, err := io.ReadAll(brotli.NewReader(bytes.NewReader(res.body)))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("unbrotlied %d bytes (%v), want the %d of htmx", len(got), err, len(want))
		}
		refused := ta.do(t, http.MethodGet, assets.Path(views.HTMXFile), "", "Accept-Encoding", "br;q=0, gzip")
		if ce := refused.header.Get("Content-Encoding"); ce != "gzip" {
			t.Errorf("br;q=0, gzip: Content-Encoding %q, want gzip", ce)
		}
	})

	// The page and everything it loads (stylesheet, htmx, favicon, every
	// module it imports, transitively) are at most 45 KB on the wire, all
	// from this server. Modules imported with import() load with the
	// first take, not with the page: they are fetched too, to check they
	// come from this server, and weighed apart.
	t.Run("FirstLoadBudget", func(t *testing.T) {
		const budget = 45_000
		static := regexp.MustCompile(`(?:src|href)="([^"]+)"|(?:from|import)\s*["']([^"']+\.js)["']`)
		lazy := regexp.MustCompile(`import\(\s*["']([^"']+\.js)["']\s*\)`)
		total, later, seen := 0, 0, map[string]bool{}
		type fetch struct {
			path string
			lazy bool
		}
		// Everything the page loads at once is fetched before what it loads
		// later, so a module both import counts as loaded at once.
		todo, lazyTodo := []fetch{{"/", false}}, []fetch{}
		for len(todo)+len(lazyTodo) > 0 {
			var f fetch
			if len(todo) > 0 {
				f, todo = todo[len(todo)-1], todo[:len(todo)-1]
			} else {
				f, lazyTodo = lazyTodo[len(lazyTodo)-1], lazyTodo[:len(lazyTodo)-1]
			}
			if seen[f.path] {
				continue
			}
			seen[f.path] = true
			res := ta.do(t, http.MethodGet, f.path, "", "Accept-Encoding", "gzip, deflate, br")
			res.wantStatus(t, http.StatusOK)
			if f.lazy {
				later += len(res.body)
			} else {
				total += len(res.body)
			}
			body, err := decodeBody(res.header.Get("Content-Encoding"), res.body)
			if err != nil {
				t.Fatalf("%s: %v", f.path, err)
			}
			base, _ := url.Parse(f.path)
			refs := func(re *regexp.Regexp, isLazy bool) {
				for _, m := range re.FindAllStringSubmatch(string(body), -1) {
					target := strings.Join(m[1:], "")
					ref, err := url.Parse(target)
					if err != nil || (ref.Host != "" && ref.Host != "localhost:8080") {
						t.Errorf("%s loads %q from elsewhere", f.path, target)
						continue
					}
					if u := base.ResolveReference(ref); !strings.HasPrefix(u.Path, "/assets/") {
						continue
					} else if isLazy {
						lazyTodo = append(lazyTodo, fetch{u.Path, true})
					} else {
						todo = append(todo, fetch{u.Path, false})
					}
				}
			}
			refs(static, f.lazy)
			refs(lazy, true)
		}
		t.Logf("first load: %d bytes; %d more with the first take; %d responses", total, later, len(seen))
		if len(seen) < 5 || total > budget {
			t.Errorf("first load: %d bytes, want at most %d", total, budget)
		}
	})

	t.Run("Gzip", func(t *testing.T) {
		want, err := fs.ReadFile(assets.FS, views.HTMXFile)
		if err != nil {
			t.Fatal(err)
		}
		res := ta.do(t, http.MethodGet, assets.Path(views.HTMXFile), "", "Accept-Encoding", "gzip")
		res.wantStatus(t, http.StatusOK)
		if res.header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.header.Get("Vary"), "Accept-Encoding") {
			t.Fatalf("Content-Encoding %q, Vary %q", res.header.Get("Content-Encoding"), res.header.Get("Vary"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(res.body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("gunzipped %d bytes (%v), want the %d of htmx", len(got), err, len(want))
		}
		if len(res.body) > len(want)/2 {
			t.Errorf("gzip sent %d bytes of %d", len(res.body), len(want))
		}
	})

	t.Run("ErrForbiddenDirectory", func(t *testing.T) {
		res := ta.do(t, http.MethodGet, "/assets/js/", "")
		res.wantError(t, http.StatusForbidden, "Forbidden")
	})
}

// decodeBody undoes a Content-Encoding of br or gzip.
func decodeBody(encoding string, body []byte) ([]byte, error) {
	switch encoding {
	case "br":
		return io.ReadAll(brotli.NewReader(bytes.NewReader(body)))
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	}
	return body, nil
}
