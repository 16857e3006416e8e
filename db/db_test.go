package db

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/avatarweb/recorder/db/pgtest"
)

// backend is one engine the index test suite runs against.
type backend struct {
	name string
	// source returns where a fresh, empty index is opened: a new SQLite
	// file, or a new schema on the test PostgreSQL server.
	source func(tb testing.TB) string
}

// testPG is the real PostgreSQL server the postgres half of the suite runs
// against, started by the first test that needs it. Without the server's
// binaries those tests are skipped (see pgtest.RequireEnv).
var testPG pgtest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	testPG.Stop()
	os.Exit(code)
}

// backends are the engines every index test runs against.
var backends = []backend{
	{"sqlite", func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "app.db") }},
	{"postgres", func(tb testing.TB) string { return testPG.Get(tb).FreshURL(tb) }},
}

// forEachBackend runs f as a subtest for each backend.
func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

// MustOpen opens a fresh index on b and closes it when the test ends.
func (b backend) MustOpen(tb testing.TB) *DB {
	tb.Helper()
	return mustOpenAt(tb, b.source(tb))
}

// mustOpenAt opens the index at source and closes it when the test ends.
func mustOpenAt(tb testing.TB, source string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), source)
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

// TestOpenSQLite: what only the SQLite file has: its pragmas and paths.
func TestOpenSQLite(t *testing.T) {
	ctx := context.Background()
	sqlite := backends[0]

	t.Run("OK", func(t *testing.T) {
		db := sqlite.MustOpen(t)
		var mode string
		if err := db.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" {
			t.Fatalf("journal_mode = %q, want wal", mode)
		}
	})

	t.Run("PragmasOnEveryConn", func(t *testing.T) {
		db := sqlite.MustOpen(t)
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

}

// TestReopen: opening an index again applies no migration twice and keeps
// its data; the migrations table names each migration by its file name
// alone, as SQLite indexes made before the dialects had folders recorded
// them, so those keep working.
func TestReopen(t *testing.T) { forEachBackend(t, testReopen) }

func testReopen(t *testing.T, b backend) {
	ctx := context.Background()
	source := b.source(t)
	files, err := fs.Glob(migrationFS, "migrations/"+b.name+"/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v %v", files, err)
	}

	db := mustOpenAt(t, source)
	if err := db.InsertRecording(ctx, newRecording("keep.webm")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	for range 2 {
		db = mustOpenAt(t, source)

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
		if names[0] != "0001_init.sql" {
			t.Errorf("first migration recorded as %q, want %q", names[0], "0001_init.sql")
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

// TestMigrationsSideBySide: both dialects have the same migrations, by
// number and name, so an index is at the same version on either engine.
func TestMigrationsSideBySide(t *testing.T) {
	names := map[string][]string{}
	for _, d := range []*dialect{&sqliteDialect, &postgresDialect} {
		files, err := fs.Glob(migrationFS, d.migrations+"/*.sql")
		if err != nil || len(files) == 0 {
			t.Fatalf("%s migrations: %v %v", d.name, files, err)
		}
		for _, f := range files {
			names[d.name] = append(names[d.name], path.Base(f))
		}
	}
	if !slices.Equal(names["sqlite"], names["postgres"]) {
		t.Fatalf("sqlite migrations %q\npostgres migrations %q\nwant the same names", names["sqlite"], names["postgres"])
	}
	for i, name := range names["sqlite"] {
		if want := fmt.Sprintf("%04d_", i+1); len(name) < 5 || name[:5] != want {
			t.Errorf("migration %q: want it numbered %s…, one after another", name, want)
		}
	}
}

// TestOpenConcurrently: nodes that start at once against one fresh index
// all open it, and each migration is applied once.
func TestOpenConcurrently(t *testing.T) { forEachBackend(t, testOpenConcurrently) }

func testOpenConcurrently(t *testing.T, b backend) {
	ctx := context.Background()
	source := b.source(t)
	const nodes = 6
	dbs := make([]*DB, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { dbs[i], errs[i] = Open(ctx, source) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
			continue
		}
		defer dbs[i].Close()
	}
	if t.Failed() {
		return
	}
	files, _ := fs.Glob(migrationFS, "migrations/"+b.name+"/*.sql")
	var n int
	if err := dbs[0].db.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations`).Scan(&n); err != nil || n != len(files) {
		t.Fatalf("migrations rows = %d (%v), want %d", n, err, len(files))
	}
	for i, db := range dbs {
		mustInsert(t, db, fmt.Sprintf("node%d.json", i))
	}
	if n := mustCount(t, dbs[nodes-1]); n != nodes {
		t.Errorf("count = %d, want %d", n, nodes)
	}
}

func TestDollarPlaceholders(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"WHERE a = ? AND b = ?", "WHERE a = $1 AND b = $2"},
		{"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"},
		{"WHERE t = 'what?' AND u = ?", "WHERE t = 'what?' AND u = $1"},
		{`WHERE "odd?col" = ?`, `WHERE "odd?col" = $1`},
		{"WHERE a = 'it''s?' AND b = ?", "WHERE a = 'it''s?' AND b = $1"},
		{"-- why?\nWHERE a = ?", "-- why?\nWHERE a = $1"},
		{"WHERE a = 'unterminated ?", "WHERE a = 'unterminated ?"},
	} {
		if got := dollarPlaceholders(tc.in); got != tc.want {
			t.Errorf("dollarPlaceholders(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://app:s3cret@db.example:5432/recorder?sslmode=require", "postgres://app@db.example:5432/recorder"},
		{"postgresql://db/recorder", "postgresql://db/recorder"},
		{"postgres://:pw@db/recorder", "postgres://db/recorder"},
	} {
		if got := redactURL(tc.in); got != tc.want {
			t.Errorf("redactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestPostgresPool: a node holds a bounded number of connections to a
// shared PostgreSQL server.
func TestPostgresPool(t *testing.T) {
	db := backends[1].MustOpen(t)
	if got := db.db.Stats().MaxOpenConnections; got != pgMaxConns {
		t.Fatalf("MaxOpenConnections = %d, want %d", got, pgMaxConns)
	}
}

// TestPostgresCustomPlans: every connection plans each run of a
// statement with its arguments, so a search for a common word is not
// run with a plan made for a rare one (see withCustomPlans); a URL that
// sets plan_cache_mode keeps its own.
func TestPostgresCustomPlans(t *testing.T) {
	db := backends[1].MustOpen(t)
	ctx := context.Background()
	conns := make([]*sql.Conn, 3) // held at once, so the pool opens several
	for i := range conns {
		conn, err := db.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conns[i] = conn
		var mode string
		if err := conn.QueryRowContext(ctx, `SHOW plan_cache_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if mode != "force_custom_plan" {
			t.Errorf("connection %d: plan_cache_mode = %q, want force_custom_plan", i, mode)
		}
	}
	if got := withCustomPlans("postgres://h/db?plan_cache_mode=auto"); got != "postgres://h/db?plan_cache_mode=auto" {
		t.Errorf("a URL's own plan_cache_mode replaced: %q", got)
	}
}
