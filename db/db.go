// Package db is the app's storage: it owns every SQL statement. It keeps
// recording metadata and the saved processing parameters in one SQLite file,
// opened through the pure-Go modernc.org/sqlite driver, and upgrades that
// file's schema with the embedded, numbered migrations/*.sql files.
//
// Lookups that find nothing return errors wrapping media.ErrNotFound, so
// handlers map a single sentinel to 404.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/avatarweb/recorder/media"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// ErrExists marks an insert whose unique key (a recording's filename, or
// the take it was saved from) is already taken: a media.ErrConflict.
var ErrExists = fmt.Errorf("db: already exists: %w", media.ErrConflict)

// timeFormat is how timestamps are stored: ISO 8601 in UTC with
// milliseconds, so text order is time order.
const timeFormat = "2006-01-02T15:04:05.000Z"

// pragmas are applied by the driver to every connection in the pool.
// _txlock=immediate makes write transactions start with BEGIN IMMEDIATE, so a
// writer waits (up to busy_timeout) for the write lock up front instead of
// failing with "database is locked" when it upgrades a read lock.
const pragmas = "_txlock=immediate" +
	"&_pragma=busy_timeout(5000)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)"

// DB is the app's SQLite database. It is safe for concurrent use.
type DB struct {
	db   *sql.DB
	path string

	// MakeRoom, when set, is called when deleting a recording finds the
	// disk full (SQLite needs room in its WAL even to delete a row): it
	// frees some space, such as a reserve file, and reports whether it
	// did; the delete is then tried once more.
	MakeRoom func() bool

	// Now returns the current time; it stamps new recordings and saved
	// params. Open sets it to time.Now; tests replace it.
	Now func() time.Time
}

// Open opens (creating if needed) the SQLite database at path, creating its
// parent directory if missing, and applies any migrations not yet applied.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("db: open: empty path")
	}
	path = filepath.Clean(path)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("db: open %q: %w", path, err)
	}

	sqlDB, err := sql.Open("sqlite", "file:"+escapePath(path)+"?"+pragmas)
	if err != nil {
		return nil, fmt.Errorf("db: open %q: %w", path, err)
	}
	db := &DB{db: sqlDB, path: path, Now: time.Now}

	if err := db.checkJournalMode(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("db: open %q: %w", path, err)
	}
	if err := db.checkWritable(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("db: open %q: %w", path, err)
	}
	if err := db.migrate(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("db: open %q: %w", path, err)
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	if err := db.db.Close(); err != nil {
		return fmt.Errorf("db: close: %w", err)
	}
	return nil
}

// now returns the current time from db.Now, in UTC and truncated to the
// millisecond precision timestamps are stored with.
func (db *DB) now() time.Time {
	now := time.Now
	if db.Now != nil {
		now = db.Now
	}
	return now().UTC().Truncate(time.Millisecond)
}

// checkJournalMode fails unless the database really is in WAL mode: SQLite
// silently keeps its old journal mode where WAL is unsupported.
func (db *DB) checkJournalMode(ctx context.Context) error {
	var mode string
	err := db.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode)
	if err != nil {
		return fmt.Errorf("journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, want wal", mode)
	}
	return nil
}

// checkWritable fails unless the database can be written: SQLite opens a
// file it may only read (a read-only mount, say) read-only without a word,
// and every save would fail later. It writes a row and rolls it back.
func (db *DB) checkWritable(ctx context.Context) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err == nil {
		defer tx.Rollback()
		_, err = tx.ExecContext(ctx, `CREATE TABLE write_probe (x INTEGER)`)
	}
	if err != nil && !isFull(err) {
		return fmt.Errorf("the database is not writable: %w", err)
	}
	return nil
}

// migrate applies the embedded migrations in name order, each once.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.db.ExecContext(ctx, `
		CREATE TABLE IF NOT EXISTS migrations (
			name       TEXT PRIMARY KEY,
			applied_at TEXT
		)`,
	); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}

	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, name); err != nil {
			return fmt.Errorf("migration %s: %w", path.Base(name), err)
		}
	}
	return nil
}

// migrateFile applies one migration file in its own transaction and records
// it in the migrations table, unless it is recorded there already.
func (db *DB) migrateFile(ctx context.Context, name string) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	base := path.Base(name)
	var n int
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations WHERE name = ?`, base).Scan(&n)
	if err != nil {
		return err
	} else if n != 0 {
		return nil // already applied
	}

	buf, err := fs.ReadFile(migrationFS, name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(buf)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO migrations (name, applied_at) VALUES (?, ?)`,
		base, formatTime(db.now()),
	); err != nil {
		return err
	}
	return tx.Commit()
}

// escapePath makes a file path safe to put in a SQLite URI filename.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// formatTime renders t the way timestamps are stored.
func formatTime(t time.Time) string {
	return t.UTC().Format(timeFormat)
}

// parseTime reads a stored timestamp.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// sqliteCode returns the extended SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var serr *sqlite.Error
	if errors.As(err, &serr) {
		return serr.Code()
	}
	return 0
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUniqueViolation(err error) bool {
	code := sqliteCode(err)
	return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// isFull reports whether err is SQLite's SQLITE_FULL: the disk is full.
func isFull(err error) bool {
	return sqliteCode(err)&0xff == sqlite3.SQLITE_FULL
}

// full marks err as a full disk when SQLite says so: it then also wraps
// media.ErrDiskFull in an fs.PathError naming the database file.
func (db *DB) full(err error) error {
	if err == nil || !isFull(err) {
		return err
	}
	return fmt.Errorf("%w (%w)", err, &fs.PathError{Op: "write", Path: db.path, Err: media.ErrDiskFull})
}

// isCheckViolation reports whether err is a CHECK constraint violation.
func isCheckViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_CHECK
}
