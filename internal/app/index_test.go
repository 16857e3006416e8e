package app

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/db/pgtest"
	"github.com/avatarweb/recorder/internal/config"
	"github.com/avatarweb/recorder/media"
)

// testPG is a real PostgreSQL server, started by the first test that
// needs it; without the server's binaries those tests are skipped (see
// pgtest.RequireEnv).
var testPG pgtest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	testPG.Stop()
	os.Exit(code)
}

// TestServerOnPostgres: with RECORDER_DB set to a postgres:// URL the
// server keeps its index there, not in the data directory: pages list from
// it and settings saved through one server are read by the next.
func TestServerOnPostgres(t *testing.T) {
	url := testPG.Get(t).FreshURL(t)
	data := t.TempDir()
	cfg, err := config.Parse([]string{"-data", data, "-addr", "127.0.0.1:0"}, func(name string) string {
		switch name {
		case "RECORDER_DB":
			return url
		case "RECORDER_CLUSTER_SECRET":
			return "one-node-on-postgres-still-signs-0123"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	srv, err := New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Host = "127.0.0.1"
	res, err := srv.App.Test(req, -1)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET / on a PostgreSQL index: %v %v", res.Status, err)
	}
	want := media.Params{FPS: 25, BatchSize: 128, SampleRate: 16000, Channels: 2}
	if err := srv.DB.SaveParams(ctx, want); err != nil {
		t.Fatal(err)
	}
	srv.Close()

	if _, err := os.Stat(filepath.Join(data, "recorder.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a SQLite index was made in the data directory too: %v", err)
	}
	index, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer index.Close()
	if got, err := index.Params(ctx); err != nil || got != want {
		t.Fatalf("params in PostgreSQL = %+v, %v; want %+v", got, err, want)
	}
}
