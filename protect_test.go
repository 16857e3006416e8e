package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestEveryRouteNeedsTheToken walks every route the real server has and
// checks that, with a token set, it refuses a request without it and lets
// one with it through (whatever the route then answers).
func TestEveryRouteNeedsTheToken(t *testing.T) {
	const token = "s3cret-token-for-tests"
	cfg, err := parseConfig([]string{"-data", t.TempDir(), "-addr", "127.0.0.1:0", "-metrics"}, func(name string) string {
		if name == "RECORDER_TOKEN" {
			return token
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// The login page, and the health probes (a container runtime or a
	// balancer carries no token; they tell nothing but "ok").
	open := map[string]bool{"GET /login": true, "POST /login": true, "HEAD /login": true, "GET /healthz": true, "GET /readyz": true}
	seen := 0
	for _, r := range srv.app.GetRoutes(true) {
		key := r.Method + " " + r.Path
		if open[key] || strings.HasPrefix(r.Path, "/assets") || r.Method == http.MethodHead || r.Method == "USE" {
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
			res, err := srv.app.Test(req, -1)
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
	// The login page and the assets it needs stay open.
	for _, path := range []string{"/login", "/assets/style.css"} {
		res, err := srv.app.Test(httptest.NewRequest(http.MethodGet, path, nil), -1)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("GET %s without a token: %v %v", path, res.StatusCode, err)
		}
	}
}

// TestCrossSiteFormRefused: a form on another site posting to the API
// (the CSRF a JSON API without tokens must resist) changes nothing.
func TestCrossSiteFormRefused(t *testing.T) {
	cfg, err := parseConfig([]string{"-data", t.TempDir()}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(context.Background(), cfg, slog.New(slog.DiscardHandler))
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
		res, err := srv.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %s (%s): %d, want 403", tc.path, tc.ctype, res.StatusCode)
		}
	}
	if p, _ := srv.db.Params(context.Background()); p.FPS != 30 {
		t.Errorf("a cross-site post changed fps to %d", p.FPS)
	}
}
