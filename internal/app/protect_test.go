package app

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/config"
)

// TestEveryRouteNeedsTheToken walks every route the real server has and
// checks that, with a token set, it refuses a request without it and lets
// one with it through (whatever the route then answers).
func TestEveryRouteNeedsTheToken(t *testing.T) {
	const token = "s3cret-token-for-tests"
	cfg, err := config.Parse([]string{"-data", t.TempDir(), "-addr", "127.0.0.1:0", "-metrics"}, func(name string) string {
		if name == "RECORDER_TOKEN" {
			return token
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// The login page, and the health probes (a container runtime or a
	// balancer carries no token; they tell nothing but "ok").
	open := map[string]bool{"GET /login": true, "POST /login": true, "HEAD /login": true, "GET /healthz": true, "GET /readyz": true}
	seen, shareRoutes := 0, 0
	for _, r := range srv.App.GetRoutes(true) {
		key := r.Method + " " + r.Path
		if open[key] || strings.HasPrefix(r.Path, "/assets") || r.Method == http.MethodHead || r.Method == "USE" {
			continue
		}
		if strings.HasPrefix(r.Path, "/s/") { // share links: each opens by its own secret (below)
			shareRoutes++
			continue
		}
		path := strings.NewReplacer(":filename", "recording_20260101_000000.json", ":id", "x", ":index", "0").Replace(r.Path)
		for _, withToken := range []bool{false, true} {
			req := httptest.NewRequest(r.Method, path, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			if strings.HasSuffix(r.Path, "/chunks/:index") {
				req.Header.Set("Content-Type", "application/octet-stream")
			}
			if withToken {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			res, err := srv.App.Test(req, -1)
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			res.Body.Close()
			refused := res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login")
			if refused == withToken {
				t.Errorf("%s (token %v): %d %s", key, withToken, res.StatusCode, res.Header.Get("Location"))
			}
		}
		seen++
	}
	if seen < 25 {
		t.Errorf("checked only %d routes: the walk missed some", seen)
	}
	// Share links answer without the token, but a link that was never
	// made opens nothing.
	if shareRoutes != 3 {
		t.Errorf("%d share link routes, want 3: page, audio, play", shareRoutes)
	}
	for _, path := range []string{"/s/x", "/s/ABCDEFGHIJKLM.ABCDEFGHIJKLMNOPQRSTUVWXYZ/audio"} {
		res, err := srv.App.Test(httptest.NewRequest(http.MethodGet, path, nil), -1)
		if err != nil || res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s without a token: %v %v, want 404", path, res.StatusCode, err)
		}
	}
	// The login page and the assets it needs stay open.
	for _, path := range []string{"/login", "/assets/style.css"} {
		res, err := srv.App.Test(httptest.NewRequest(http.MethodGet, path, nil), -1)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("GET %s without a token: %v %v", path, res.StatusCode, err)
		}
	}
}

// TestCrossSiteFormRefused: a form on another site posting to the API
// (the CSRF a JSON API without tokens must resist) changes nothing.
func TestCrossSiteFormRefused(t *testing.T) {
	cfg, err := config.Parse([]string{"-data", t.TempDir()}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, tc := range []struct{ path, body, ctype string }{
		{"/update_params", `{"fps":5}`, "text/plain"},
		{"/params", "fps=5", "application/x-www-form-urlencoded"},
		{"/update_params", `{"fps":5}`, "application/json"},
	} {
		req := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(tc.body))
		req.Host = "localhost:8080"
		req.Header.Set("Content-Type", tc.ctype)
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		res, err := srv.App.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %s (%s): %d, want 403", tc.path, tc.ctype, res.StatusCode)
		}
	}
	if p, _ := srv.DB.Params(context.Background()); p.FPS != 30 {
		t.Errorf("a cross-site post changed fps to %d", p.FPS)
	}
}

// TestNoRouteReadsAnUnboundedBody walks every route of the real server,
// signed in, and sends each a request that declares a 1 GiB body and sends
// 16 KiB of it: every route answers at once, without waiting for the rest
// (a handler that read the body whole would wait for a gigabyte), and the
// connection is closed with the body unread.
func TestNoRouteReadsAnUnboundedBody(t *testing.T) {
	const token = "unbounded-body-token-0123"
	srv := newTestServer(t, []string{"-metrics", "-pprof"}, map[string]string{"RECORDER_TOKEN": token})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.App.Listener(ln) }()
	defer srv.App.Shutdown()
	seen := map[string]bool{}
	for _, r := range srv.App.GetRoutes(true) {
		key := r.Method + " " + r.Path
		if r.Method == "USE" || r.Method == http.MethodHead || r.Method == http.MethodConnect || seen[key] {
			continue
		}
		seen[key] = true
		path := strings.NewReplacer(":filename", "recording_20260101_000000.json", ":id", "x", ":index", "0", "*", "x").Replace(r.Path)
		contentType := "application/json"
		if strings.HasSuffix(r.Path, "/chunks/:index") {
			contentType = "application/octet-stream"
		}
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		began := time.Now()
		fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
			r.Method, path, token, contentType, 1<<30, strings.Repeat("a", 16<<10))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		took := time.Since(began)
		conn.Close()
		switch {
		case err != nil:
			t.Errorf("%s: %v after %v", key, err, took.Round(time.Millisecond))
		case took > 3*time.Second || !res.Close:
			t.Errorf("%s: %d after %v, close %v: want an answer at once and the connection closed", key, res.StatusCode, took.Round(time.Millisecond), res.Close)
		case r.Path == "/healthz" || r.Path == "/readyz":
			// The probes answer before anything else and read nothing.
		case res.StatusCode != http.StatusRequestEntityTooLarge:
			t.Errorf("%s: %d, want 413", key, res.StatusCode)
		}
	}
	if len(seen) < 25 {
		t.Errorf("walked only %d routes", len(seen))
	}
}
