package main

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

// TestDBFlag: -db wins over RECORDER_DB; without either the index is the
// SQLite file in the data directory.
func TestDBFlag(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  string
		want string
	}{
		{"Default", nil, "", filepath.Join("d", "recorder.db")},
		{"Env", nil, "postgres://db/rec", "postgres://db/rec"},
		{"FlagWins", []string{"-db", "postgres://other/rec"}, "postgres://db/rec", "postgres://other/rec"},
		{"SQLiteFile", []string{"-db", "/srv/index.db"}, "", "/srv/index.db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-data", "d"}, tc.args...)
			cfg, err := parseConfig(args, func(name string) string {
				if name == "RECORDER_DB" {
					return tc.env
				}
				return ""
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.dbSource(); got != tc.want {
				t.Errorf("dbSource = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestServerOnPostgres: with RECORDER_DB set to a postgres:// URL the
// server keeps its index there, not in the data directory: pages list from
// it and settings saved through one server are read by the next.
func TestServerOnPostgres(t *testing.T) {
	url := testPG.Get(t).FreshURL(t)
	data := t.TempDir()
	cfg, err := parseConfig([]string{"-data", data, "-addr", "127.0.0.1:0"}, func(name string) string {
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
	srv, err := newServer(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Host = "127.0.0.1"
	res, err := srv.app.Test(req, -1)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET / on a PostgreSQL index: %v %v", res.Status, err)
	}
	want := media.Params{FPS: 25, BatchSize: 128, SampleRate: 16000, Channels: 2}
	if err := srv.db.SaveParams(ctx, want); err != nil {
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
