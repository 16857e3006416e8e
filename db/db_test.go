package db

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"
	"time"
)

// MustOpen opens a fresh database in a temp directory and closes it when the
// test ends.
func MustOpen(tb testing.TB) *DB {
	tb.Helper()
	return mustOpenAt(tb, filepath.Join(tb.TempDir(), "app.db"))
}

// mustOpenAt opens the database at path and closes it when the test ends.
func mustOpenAt(tb testing.TB, path string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

// fixedClock returns a Now func that starts at start and steps by step on
// each call.
func fixedClock(start time.Time, step time.Duration) func() time.Time {
	t := start.Add(-step)
	return func() time.Time {
		t = t.Add(step)
		return t
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		db := MustOpen(t)
		var mode string
		if err := db.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" {
			t.Fatalf("journal_mode = %q, want wal", mode)
		}
	})

	t.Run("PragmasOnEveryConn", func(t *testing.T) {
		db := MustOpen(t)
		// Hold several connections at once so the pool must open new ones.
		for i := range 4 {
			conn, err := db.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()

			var mode string
			var busy, fk, sync int
			if err := conn.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
				t.Fatal(err)
			}
			if mode != "wal" || busy != 5000 || fk != 1 || sync != 1 {
				t.Errorf("conn %d: journal_mode=%q busy_timeout=%d foreign_keys=%d synchronous=%d, want wal 5000 1 1 (NORMAL)",
					i, mode, busy, fk, sync)
			}
		}
	})

	t.Run("CreatesParentDir", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a", "b", "app.db")
		db := mustOpenAt(t, path)
		if _, err := db.CountRecordings(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("OddPath", func(t *testing.T) {
		// Characters that mean something in a URI filename.
		path := filepath.Join(t.TempDir(), "we?ird#dir 100%", "app.db")
		db := mustOpenAt(t, path)
		if err := db.InsertRecording(ctx, newRecording("a.webm")); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db = mustOpenAt(t, path)
		if _, err := db.GetRecording(ctx, "a.webm"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ErrEmptyPath", func(t *testing.T) {
		if _, err := Open(ctx, ""); err == nil {
			t.Fatal("expected error")
		}
	})

	t.Run("Reopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "app.db")
		files, err := fs.Glob(migrationFS, "migrations/*.sql")
		if err != nil || len(files) == 0 {
			t.Fatalf("embedded migrations: %v %v", files, err)
		}

		db := mustOpenAt(t, path)
		if err := db.InsertRecording(ctx, newRecording("keep.webm")); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		for range 2 {
			db = mustOpenAt(t, path)

			rows, err := db.db.QueryContext(ctx, `SELECT name, applied_at FROM migrations ORDER BY name`)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for rows.Next() {
				var name, appliedAt string
				if err := rows.Scan(&name, &appliedAt); err != nil {
					t.Fatal(err)
				}
				if _, err := parseTime(appliedAt); err != nil {
					t.Errorf("migration %s: applied_at: %v", name, err)
				}
				names = append(names, name)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if len(names) != len(files) {
				t.Fatalf("migrations table has %v, want one row for each of %v", names, files)
			}
			for i, f := range files {
				if names[i] != filepath.Base(f) {
					t.Errorf("migration %d = %q, want %q", i, names[i], filepath.Base(f))
				}
			}

			if _, err := db.GetRecording(ctx, "keep.webm"); err != nil {
				t.Fatalf("data lost on reopen: %v", err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestFormatTime(t *testing.T) {
	loc := time.FixedZone("UTC+2", 2*60*60)
	in := time.Date(2026, 11, 26, 15, 5, 7, 123456789, loc)
	if got, want := formatTime(in), "2026-11-26T13:05:07.123Z"; got != want {
		t.Fatalf("formatTime = %q, want %q", got, want)
	}
	got, err := parseTime("2026-11-26T13:05:07.123Z")
	if err != nil {
		t.Fatal(err)
	}
	if want := in.Truncate(time.Millisecond); !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("parseTime = %v, want %v in UTC", got, want)
	}
}
