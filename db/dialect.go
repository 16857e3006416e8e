package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/avatarweb/recorder/media/find"
)

// A dialect is what differs between the SQL engines the index runs on. The
// rest of the package is one code path over database/sql: statements are
// written once, with ? placeholders, and the few things the engines do
// differently are looked up here. Upserts (INSERT … ON CONFLICT … DO UPDATE
// SET x = excluded.x) and INSERT … RETURNING are spelled the same by both,
// so they are not here; the schemas, triggers included, differ and live in
// each dialect's own migrations folder.
type dialect struct {
	name string // "sqlite" or "postgres"

	// migrations is the folder of migrationFS holding this dialect's
	// NNNN_name.sql files; both folders have the same names.
	migrations string

	// open connects to source, a file path or a URL, and returns the
	// pool and a name for source fit for logs and errors (no password).
	open func(source string) (db *sql.DB, where string, err error)

	// check, if set, fails when the opened database cannot serve.
	check func(ctx context.Context, db *sql.DB) error

	// migrationsTable creates the table that records applied migrations.
	migrationsTable string

	// lockMigrations, if set, is run first in every migration
	// transaction: it makes nodes that start at once migrate one at a time.
	lockMigrations string

	// rebind turns a statement's ? placeholders into the dialect's own.
	rebind func(query string) string

	// Error classification.
	uniqueViolation func(error) bool // UNIQUE or PRIMARY KEY
	checkViolation  func(error) bool // CHECK
	diskFull        func(error) bool // no space left where the data lives

	// matchWords is the condition on recordings that holds when every
	// word of the argument wordsArg makes begins a word of search_text,
	// through the full-text index (which holds the library only).
	matchWords string
	wordsArg   func(words []string) string
	// countWords, if set, counts the library's recordings matching
	// wordsArg from the full-text index alone, up to its second argument.
	countWords string
	// exactWordsArg, if set, is the argument of countWords that matches
	// the words themselves rather than words they begin: a subset, which
	// the full-text index reads faster when a word is longer than its
	// prefix indexes (longPrefix).
	exactWordsArg func(words []string) string
	longPrefix    int
	// orderIndex, if set, names the index a list in order o is read by,
	// for a hint to a planner that cannot weigh full-text matches itself.
	orderIndex func(o find.Order) string
	// keysIndex names the index that holds the order keys by id, read
	// for each of a few rows the full-text index lists.
	keysIndex string

	// local reports that the data lives on this machine's disk, so freeing
	// space here (DB.MakeRoom) can let a write through.
	local bool
}

// dialectOf picks the dialect for source: a postgres:// or postgresql://
// URL is PostgreSQL; anything else is a SQLite file path.
func dialectOf(source string) *dialect {
	if strings.HasPrefix(source, "postgres://") || strings.HasPrefix(source, "postgresql://") {
		return &postgresDialect
	}
	return &sqliteDialect
}

// sqlitePragmas are applied by the driver to every connection in the pool.
// _txlock=immediate makes write transactions start with BEGIN IMMEDIATE, so
// a writer waits (up to busy_timeout) for the write lock up front instead of
// failing with "database is locked" when it upgrades a read lock.
const sqlitePragmas = "_txlock=immediate" +
	"&_pragma=busy_timeout(5000)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)"

var sqliteDialect = dialect{
	name:       "sqlite",
	migrations: "migrations/sqlite",
	open: func(path string) (*sql.DB, string, error) {
		path = filepath.Clean(path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, path, err
		}
		db, err := sql.Open("sqlite", "file:"+escapePath(path)+"?"+sqlitePragmas)
		if err != nil {
			return nil, path, err
		}
		// A few connections, kept open. Writers take turns anyway (BEGIN
		// IMMEDIATE); WAL lets the others read meanwhile. Closing a
		// connection while another holds a lock leaves SQLite holding the
		// closed one's file descriptors (it cannot release POSIX locks
		// per connection), so a pool that opens and closes under load
		// piles them up; one that keeps its connections does not.
		db.SetMaxOpenConns(sqliteMaxConns)
		db.SetMaxIdleConns(sqliteMaxConns)
		return db, path, nil
	},
	check: checkJournalMode,
	migrationsTable: `
		CREATE TABLE IF NOT EXISTS migrations (
			name       TEXT PRIMARY KEY,
			applied_at TEXT
		)`,
	// BEGIN IMMEDIATE (see sqlitePragmas) already makes writers take turns.
	lockMigrations: "",
	rebind:         func(q string) string { return q },
	uniqueViolation: func(err error) bool {
		code := sqliteCode(err)
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
	checkViolation: func(err error) bool {
		return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_CHECK
	},
	diskFull: func(err error) bool {
		return err != nil && sqliteCode(err)&0xff == sqlite3.SQLITE_FULL
	},
	matchWords: `id IN (SELECT rowid FROM recordings_fts WHERE recordings_fts MATCH ?)`,
	wordsArg:   fts5Prefixes,
	// 0011_find_walk.sql: prefix indexes up to 6 letters.
	exactWordsArg: fts5Words,
	longPrefix:    6,
	countWords: `SELECT COUNT(*) FROM (
		SELECT 1 FROM recordings_fts WHERE recordings_fts MATCH ? LIMIT ?)`,
	orderIndex: func(o find.Order) string {
		if o == find.Longest {
			return "recordings_duration_idx"
		}
		return "recordings_created_idx"
	},
	keysIndex: "recordings_keys_idx",
	local:     true,
}

// sqliteMaxConns bounds the connections to the SQLite file.
const sqliteMaxConns = 4

// pgMaxConns bounds one node's connections to PostgreSQL (the server's
// default max_connections is 100).
const pgMaxConns = 16

// pgMigrationLock is the advisory lock key taken while migrating: any
// fixed number, the same for every node.
const pgMigrationLock = 0x7265636f72646572 // "recorder"

var postgresDialect = dialect{
	name:       "postgres",
	migrations: "migrations/postgres",
	open: func(source string) (*sql.DB, string, error) {
		where := redactURL(source)
		db, err := sql.Open("pgx", withCustomPlans(withConnectTimeout(source)))
		if err != nil {
			return nil, where, err
		}
		// A server's connections are few and shared by every node: a
		// node holds at most pgMaxConns, and keeps them open rather than
		// reconnecting after each burst (database/sql keeps 2 by default).
		db.SetMaxOpenConns(pgMaxConns)
		db.SetMaxIdleConns(pgMaxConns)
		db.SetConnMaxIdleTime(5 * time.Minute)
		return db, where, nil
	},
	migrationsTable: `
		CREATE TABLE IF NOT EXISTS migrations (
			name       text PRIMARY KEY,
			applied_at timestamptz
		)`,
	// CREATE TABLE IF NOT EXISTS and "is it applied yet?" are not safe
	// against another node doing the same at the same moment; the lock
	// is held until the transaction ends.
	lockMigrations:  `SELECT pg_advisory_xact_lock(` + strconv.FormatInt(pgMigrationLock, 10) + `)`,
	rebind:          dollarPlaceholders,
	uniqueViolation: func(err error) bool { return pgCode(err) == "23505" }, // unique_violation
	checkViolation:  func(err error) bool { return pgCode(err) == "23514" }, // check_violation
	diskFull:        func(err error) bool { return pgCode(err) == "53100" }, // disk_full
	matchWords:      `search_vector @@ to_tsquery('simple', ?)`,
	wordsArg:        tsqueryPrefixes,
	local:           false,
}

// checkJournalMode fails unless the database really is in WAL mode: SQLite
// silently keeps its old journal mode where WAL is unsupported.
func checkJournalMode(ctx context.Context, db *sql.DB) error {
	var mode string
	err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode)
	if err != nil {
		return fmt.Errorf("journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, want wal", mode)
	}
	return nil
}

// escapePath makes a file path safe to put in a SQLite URI filename.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// sqliteCode returns the extended SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var serr *sqlite.Error
	if errors.As(err, &serr) {
		return serr.Code()
	}
	return 0
}

// pgCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var perr *pgconn.PgError
	if errors.As(err, &perr) {
		return perr.Code
	}
	return ""
}

// dollarPlaceholders rewrites the ? placeholders of q as $1, $2, …,
// leaving alone any ? inside quotes or comments.
func dollarPlaceholders(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(q[i+1:], c)
			if end < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+end+2])
			i += end + 1
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			end := strings.IndexByte(q[i:], '\n')
			if end < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+end+1])
			i += end
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// redactURL names a database URL without its password and options, for
// logs and errors.
// pgConnectTimeout bounds a connection attempt when the URL sets none, so
// a server that has gone away (or hangs) fails a request in seconds,
// answered as such, instead of holding it.
const pgConnectTimeout = "5"

// withConnectTimeout adds connect_timeout to a URL that has none.
func withConnectTimeout(source string) string {
	u, err := url.Parse(source)
	if err != nil {
		return source // pgx reports it
	}
	if u.Query().Has("connect_timeout") {
		return source
	}
	// Appended as is: re-encoding the query would turn the %20 in
	// options into +, which pgx does not read as a space.
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += "connect_timeout=" + pgConnectTimeout
	return u.String()
}

// withCustomPlans sets plan_cache_mode to force_custom_plan on every
// connection, unless the URL sets it. pgx prepares each statement, and
// after five runs PostgreSQL may plan a prepared statement once for any
// argument: a search then plans as if its words were unknown (the
// default 0.5 % of rows) and lists the GIN index's matches for "notes"
// too, 27 000 of them, where the walk of the order's index stops after
// a page (the broad searches took 10-16 ms in half the benchmark runs,
// 1.5-3 in the others). The best plan of a search depends on its words,
// so each run is planned with them (~0.1 ms).
func withCustomPlans(source string) string {
	u, err := url.Parse(source)
	if err != nil || u.Query().Has("plan_cache_mode") {
		return source
	}
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += "plan_cache_mode=force_custom_plan"
	return u.String()
}

func redactURL(source string) string {
	u, err := url.Parse(source)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	u.User = url.User(u.User.Username())
	if u.User.Username() == "" {
		u.User = nil
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

// fts5Prefixes is an FTS5 query matching rows with a word beginning with
// each of words: "stand"* "notes"* (FTS5 ANDs its terms).
func fts5Prefixes(words []string) string {
	terms := make([]string, len(words))
	for i, w := range words {
		terms[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"*`
	}
	return strings.Join(terms, " ")
}

// fts5Words is an FTS5 query matching rows with each of words: "stand"
// "notes".
func fts5Words(words []string) string {
	terms := make([]string, len(words))
	for i, w := range words {
		terms[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
	}
	return strings.Join(terms, " ")
}

// tsqueryPrefixes is a PostgreSQL tsquery matching rows with a word
// beginning with each of words: 'stand':* & 'notes':*.
func tsqueryPrefixes(words []string) string {
	terms := make([]string, len(words))
	for i, w := range words {
		w = strings.ReplaceAll(strings.ReplaceAll(w, `\`, `\\`), `'`, `''`)
		terms[i] = `'` + w + `':*`
	}
	return strings.Join(terms, " & ")
}
