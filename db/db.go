// Package db is the app's storage: it owns every SQL statement. It keeps
// recording metadata and the saved processing parameters in an index: by
// default one SQLite file, opened through the pure-Go modernc.org/sqlite
// driver; or a PostgreSQL database, through pgx, that several nodes can
// share. Both are reached through database/sql with one code path; what
// differs between the two is kept in a dialect (dialect.go). Each dialect
// upgrades its schema with its own embedded, numbered migrations
// (migrations/sqlite/NNNN_name.sql and migrations/postgres/NNNN_name.sql,
// the same names in both).
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
	"path"
	"sort"
	"time"

	"github.com/avatarweb/recorder/media"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// ErrExists marks an insert whose unique key (a recording's filename, or
// the take it was saved from) is already taken: a media.ErrConflict.
var ErrExists = fmt.Errorf("db: already exists: %w", media.ErrConflict)

// timeFormat is how timestamps are written: ISO 8601 in UTC with
// milliseconds, so SQLite's text order is time order (PostgreSQL reads
// them into timestamptz).
const timeFormat = "2006-01-02T15:04:05.000Z"

// DB is the app's index: a SQLite file or a PostgreSQL database. It is
// safe for concurrent use.
type DB struct {
	db    *sql.DB
	d     *dialect
	where string // the file path, or the URL without its password

	// MakeRoom, when set, is called when deleting a recording finds the
	// disk full (SQLite needs room in its WAL even to delete a row): it
	// frees some space, such as a reserve file, and reports whether it
	// did; the delete is then tried once more. It is not called for
	// PostgreSQL, whose disk is the server's, not this machine's.
	MakeRoom func() bool

	// Now returns the current time; it stamps new recordings and saved
	// params. Open sets it to time.Now; tests replace it.
	Now func() time.Time

	// walkSteps bounds the walk of a broad search (see plan), and
	// fewMatches picks the plan after a walk that gave up (afterWalk):
	// Open sets them to defaultWalkSteps and defaultFewMatches; tests
	// lower them to reach every plan with a few recordings.
	walkSteps, fewMatches int
}

// Open opens the index at source and applies any migrations not yet
// applied. A source starting with postgres:// or postgresql:// is a
// PostgreSQL connection URL (as pgx reads it: sslmode, and the PG*
// environment variables for what it leaves out); anything else is the path
// of a SQLite file, created, with its parent directory, if missing.
func Open(ctx context.Context, source string) (*DB, error) {
	if source == "" {
		return nil, errors.New("db: open: empty path")
	}
	d := dialectOf(source)
	sqlDB, where, err := d.open(source)
	if err != nil {
		return nil, fmt.Errorf("db: open %q: %w", where, err)
	}
	db := &DB{db: sqlDB, d: d, where: where, Now: time.Now, walkSteps: defaultWalkSteps, fewMatches: defaultFewMatches}

	if d.check != nil {
		err = d.check(ctx, sqlDB)
	}
	if err == nil {
		err = db.checkWritable(ctx)
	}
	if err == nil {
		err = db.migrate(ctx)
	}
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("db: open %q: %w", where, err)
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

// q returns query, written with ? placeholders, in the dialect's own.
func (db *DB) q(query string) string { return db.d.rebind(query) }

// now returns the current time from db.Now, in UTC and truncated to the
// millisecond precision timestamps are stored with.
func (db *DB) now() time.Time {
	now := time.Now
	if db.Now != nil {
		now = db.Now
	}
	return now().UTC().Truncate(time.Millisecond)
}

// checkWritable fails unless the database can be written: SQLite opens a
// file it may only read (a read-only mount, say) read-only without a word,
// and every save would fail later; a PostgreSQL standby refuses writes. It
// creates a table and rolls it back.
func (db *DB) checkWritable(ctx context.Context) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err == nil {
		defer tx.Rollback()
		_, err = tx.ExecContext(ctx, `CREATE TABLE write_probe (x INTEGER)`)
	}
	if err != nil && !db.isFull(err) {
		return fmt.Errorf("the database is not writable: %w", err)
	}
	return nil
}

// migrate applies the dialect's embedded migrations in name order, each
// once. The migrations table records each by its file name alone
// ("0001_init.sql"), the same in both dialects.
func (db *DB) migrate(ctx context.Context) error { return db.migrateTo(ctx, "") }

// migrateTo applies the migrations up to the one named last ("": all).
func (db *DB) migrateTo(ctx context.Context, last string) error {
	if err := db.inMigrationTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.d.migrationsTable)
		return err
	}); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}

	names, err := fs.Glob(migrationFS, db.d.migrations+"/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if last != "" && path.Base(name) > last {
			break
		}
		if err := db.inMigrationTx(ctx, func(tx *sql.Tx) error {
			return db.migrateFile(ctx, tx, name)
		}); err != nil {
			return fmt.Errorf("migration %s: %w", path.Base(name), err)
		}
	}
	return nil
}

// inMigrationTx runs f in a transaction that holds the dialect's migration
// lock, and commits if f succeeds.
func (db *DB) inMigrationTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if db.d.lockMigrations != "" {
		if _, err := tx.ExecContext(ctx, db.d.lockMigrations); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
	}
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// migrateFile applies one migration file and records it in the migrations
// table, unless it is recorded there already.
func (db *DB) migrateFile(ctx context.Context, tx *sql.Tx, name string) error {
	base := path.Base(name)
	var n int
	err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM migrations WHERE name = ?`), base).Scan(&n)
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
	if step := afterMigration[base]; step != nil {
		if err := step(ctx, db, tx); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx,
		db.q(`INSERT INTO migrations (name, applied_at) VALUES (?, ?)`),
		base, formatTime(db.now()),
	)
	return err
}

// afterMigration are steps in Go that finish a migration, in its
// transaction, where SQL alone cannot: filling a new column from values
// only the app computes.
var afterMigration = map[string]func(ctx context.Context, db *DB, tx *sql.Tx) error{
	"0009_find.sql": foldTitles,
}

// formatTime renders t the way timestamps are written.
func formatTime(t time.Time) string {
	return t.UTC().Format(timeFormat)
}

// parseTime reads a stored timestamp: SQLite's text, or PostgreSQL's
// timestamptz as database/sql renders it into a string (RFC 3339).
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY violation.
func (db *DB) isUniqueViolation(err error) bool { return err != nil && db.d.uniqueViolation(err) }

// isCheckViolation reports whether err is a CHECK constraint violation.
func (db *DB) isCheckViolation(err error) bool { return err != nil && db.d.checkViolation(err) }

// isFull reports whether err says the database's disk is full.
func (db *DB) isFull(err error) bool { return err != nil && db.d.diskFull(err) }

// full marks err as a full disk when the database says so: it then also
// wraps media.ErrDiskFull in an fs.PathError naming the database (its file,
// or its URL without the password).
func (db *DB) full(err error) error {
	if !db.isFull(err) {
		return err
	}
	return fmt.Errorf("%w (%w)", err, &fs.PathError{Op: "write", Path: db.where, Err: media.ErrDiskFull})
}
