package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// scrape GETs /metrics from srv and returns the status and body.
func scrape(t *testing.T, srv *server, token string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Host = "localhost:8080"
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := srv.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(body)
}

func newTestServer(t *testing.T, args []string, env map[string]string) *server {
	t.Helper()
	cfg, err := parseConfig(append([]string{"-data", t.TempDir(), "-addr", "127.0.0.1:0"}, args...),
		func(name string) string { return env[name] })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// TestMetrics: off by default; with -metrics (or RECORDER_METRICS) the
// runtime, process and recorder figures in the Prometheus text format,
// the recorder's gauges read live.
func TestMetrics(t *testing.T) {
	t.Run("OffByDefault", func(t *testing.T) {
		srv := newTestServer(t, nil, nil)
		if code, _ := scrape(t, srv, ""); code != http.StatusNotFound {
			t.Errorf("GET /metrics without -metrics: %d, want 404", code)
		}
	})
	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
	}{
		"Flag": {args: []string{"-metrics"}},
		"Env":  {env: map[string]string{"RECORDER_METRICS": "true"}},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newTestServer(t, tc.args, tc.env)
			code, body := scrape(t, srv, "")
			if code != http.StatusOK {
				t.Fatalf("GET /metrics: %d\n%s", code, body)
			}
			for _, metric := range []string{
				"go_goroutines", "go_memstats_heap_inuse_bytes", "go_gc_heap_live_bytes",
				"process_resident_memory_bytes", "process_open_fds",
				"recorder_sessions_live", "recorder_drafts", "recorder_uploads_open",
			} {
				if !regexp.MustCompile(`(?m)^` + metric + ` [0-9.e+]+$`).MatchString(body) {
					t.Errorf("no sample of %s in:\n%s", metric, body)
				}
			}
			if !strings.Contains(body, "recorder_uploads_open 0\n") {
				t.Errorf("an upload is open before any began:\n%s", body)
			}
			req := httptest.NewRequest(http.MethodPost, "/uploads",
				strings.NewReader(`{"upload_id":"metrics-test","mime":"audio/webm;codecs=opus"}`))
			req.Host = "localhost:8080"
			req.Header.Set("Content-Type", "application/json")
			res, err := srv.app.Test(req, -1)
			if err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("POST /uploads: %v %v", res.StatusCode, err)
			}
			res.Body.Close()
			if _, body := scrape(t, srv, ""); !strings.Contains(body, "recorder_uploads_open 1\n") {
				t.Errorf("the begun upload is not counted:\n%s", body)
			}
		})
	}
	t.Run("BehindTheToken", func(t *testing.T) {
		const token = "metrics-token-for-tests"
		srv := newTestServer(t, []string{"-metrics"}, map[string]string{"RECORDER_TOKEN": token})
		if code, body := scrape(t, srv, ""); code != http.StatusUnauthorized && code != http.StatusSeeOther {
			t.Errorf("GET /metrics without the token: %d\n%s", code, body)
		}
		if code, body := scrape(t, srv, token); code != http.StatusOK || !strings.Contains(body, "go_goroutines") {
			t.Errorf("GET /metrics with the token: %d\n%s", code, body)
		}
	})
}

// TestProfiles: /debug/pprof/ is off by default; with -pprof it serves the
// runtime's profiles, behind the token when one is set.
func TestProfiles(t *testing.T) {
	get := func(srv *server, token string) (int, string) {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, "/debug/pprof/heap?debug=1", nil)
		req.Host = "localhost:8080"
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := srv.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if code, _ := get(newTestServer(t, nil, nil), ""); code != http.StatusNotFound {
		t.Errorf("GET /debug/pprof/heap without -pprof: %d, want 404", code)
	}
	if code, body := get(newTestServer(t, []string{"-pprof"}, nil), ""); code != http.StatusOK || !strings.Contains(body, "heap profile:") {
		t.Errorf("GET /debug/pprof/heap with -pprof: %d\n%.300s", code, body)
	}
	const token = "pprof-token-for-tests"
	srv := newTestServer(t, nil, map[string]string{"RECORDER_PPROF": "1", "RECORDER_TOKEN": token})
	if code, _ := get(srv, ""); code == http.StatusOK {
		t.Error("GET /debug/pprof/heap without the token: 200")
	}
	if code, _ := get(srv, token); code != http.StatusOK {
		t.Errorf("GET /debug/pprof/heap with the token: %d", code)
	}
}
