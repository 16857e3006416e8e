package app

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/config"
	"github.com/avatarweb/recorder/internal/probe"
)

// TestReadyz: ready while the data directory takes files and the database
// answers; not ready (within a second: the check is cached) when the data
// directory is gone, or while shutting down. /healthz answers throughout.
// A flood of probes costs one check.
func TestReadyz(t *testing.T) {
	data := t.TempDir()
	cfg, err := config.Parse([]string{"-data", data}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	get := func(path string) (int, string) {
		req := httptest.NewRequest("GET", path, nil)
		req.Host = "localhost"
		res, err := srv.App.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != 200 {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	var checks atomic.Int32
	srv.health = probe.New(func(ctx context.Context) error { checks.Add(1); return srv.ready(ctx) }, readyTimeout, nil)
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			if code, body := get("/readyz"); code != 200 {
				t.Errorf("/readyz in a flood: %d %s", code, body)
			}
		})
	}
	wg.Wait()
	if n := checks.Load(); n > 2 {
		t.Errorf("200 probes at once made %d checks, want one (two if a second passed)", n)
	}
	if err := os.Rename(data, data+".gone"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		code, body := get("/readyz")
		if code == 503 && strings.Contains(body, "data directory") {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("/readyz without the data directory: %d %s", code, body)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	if err := os.Rename(data+".gone", data); err != nil {
		t.Fatal(err)
	}
	srv.draining.Store(true)
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "shutting down") {
		t.Errorf("/readyz while shutting down: %d %s", code, body)
	}
}
