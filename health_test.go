package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// TestReadyz: ready while the data directory takes files and the database
// answers; not ready when the data directory is gone, or while shutting
// down. /healthz answers throughout.
func TestReadyz(t *testing.T) {
	data := t.TempDir()
	cfg, err := parseConfig([]string{"-data", data}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	get := func(path string) (int, string) {
		req := httptest.NewRequest("GET", path, nil)
		req.Host = "localhost"
		res, err := srv.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != 200 {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	if err := os.Rename(data, data+".gone"); err != nil {
		t.Fatal(err)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "data directory") {
		t.Errorf("/readyz without the data directory: %d %s", code, body)
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
