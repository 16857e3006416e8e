package db

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/find"
)

// Find returns one page of recordings: those in the library q finds (all
// of them for the zero Query) or, in order find.Deleted, those in Recently
// deleted; read in order p.Order, starting after p.After, or ending just
// before p.Before (the page before, for a link back). Pages are read by
// keyset on the order's index, so a page deep in the list costs what the
// first does. A limit <= 0 means DefaultListLimit, above MaxListLimit it
// is cut to it.
//
// Words match the beginnings of the words of titles ("stand" finds
// "Standup notes"): through the full-text index, SQLite's FTS5 or
// PostgreSQL's text search, over the library; in Recently deleted, which
// is small, by scanning it.
func (db *DB) Find(ctx context.Context, p find.Page) ([]media.Recording, error) {
	key, desc := orderKey(p.Order)
	var w where
	db.scope(&w, p.Order, p.Query)
	cursor, backward := p.After, false
	if !p.Before.IsZero() {
		cursor, backward = p.Before, true
	}
	if !cursor.IsZero() {
		op := ">"
		if desc != backward {
			op = "<"
		}
		w.add(`(`+key+`, id) `+op+` (?, ?)`, cursorKey(p.Order, cursor), cursor.ID)
	}
	dir := "ASC"
	if desc != backward {
		dir = "DESC"
	}
	// The page's ids first, by what orders them alone, then their rows:
	// sorting whole rows (peaks, waveform) of thousands found would read
	// and move megabytes for a page of 21.
	order := key + " " + dir + ", id " + dir
	recs, err := db.listPage(ctx, `
		SELECT `+recordingColumns+`
		FROM recordings
		WHERE id IN (
			SELECT id FROM recordings `+db.walkHint(ctx, p.Order, p.Query)+`
			WHERE `+w.sql()+`
			ORDER BY `+order+`
			LIMIT ?)
		ORDER BY `+order, append(w.args, listLimit(p.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("db: find %q: %w", p.Query.Words, err)
	}
	if backward {
		slices.Reverse(recs)
	}
	return recs, nil
}

// broadSearch is how many recordings a search must find for SQLite to
// read the page by walking the order's index, testing each entry, rather
// than by sorting all it found: past it, the walk finds a page sooner (a
// word in one title in 50 takes ~1000 steps for a page of 21).
const broadSearch = find.MaxCount

// walkHint is, for SQLite, "INDEXED BY" the index that finds q's page
// (or count) in order o sooner than the plan SQLite would pick: it has no
// statistics on the full-text index to weigh that itself. A span of days
// is a range of the created_at index: walked, unless it is wide and read
// by length, when the length index (which holds created_at) is. Words
// found often enough walk the order's index, testing each entry. The
// counts weighed are read from the indexes in about a millisecond.
// PostgreSQL weighs all this from its own statistics: "".
func (db *DB) walkHint(ctx context.Context, o find.Order, q find.Query) string {
	if db.d.orderIndex == nil || o == find.Deleted || q.IsZero() {
		return ""
	}
	byDate := "INDEXED BY " + db.d.orderIndex(find.Newest)
	if q.Dated() && o != find.Longest {
		return byDate
	}
	var n int
	var err error
	if q.Dated() { // by length: the span's size bounds what is found
		err = db.db.QueryRowContext(ctx, db.q(`
			SELECT COUNT(*) FROM recordings `+byDate+`
			WHERE deleted_at IS NULL AND created_at >= ? AND created_at < ?`),
			formatTime(q.From), formatTime(q.To)).Scan(&n)
	} else {
		err = db.db.QueryRowContext(ctx, db.q(db.d.countWords), db.d.wordsArg(q.Words)).Scan(&n)
	}
	switch {
	case err != nil:
		return "" // the plain plan fails as the count did
	case n >= broadSearch:
		return "INDEXED BY " + db.d.orderIndex(o)
	case q.Dated():
		return byDate
	}
	return ""
}

// CountFound returns how many recordings in the library q finds, up to
// find.MaxCount + 1: past find.MaxCount a search says "more than", as
// counting every match of a common word would read as many rows (on
// PostgreSQL, a third of the table for "s": 0.2-0.5 s) for a figure no
// one reads exactly. The whole library's count is exact, kept up to date
// by triggers; a search is counted on the full-text index, a span of
// days on the created_at index, stopping at the cap.
func (db *DB) CountFound(ctx context.Context, q find.Query) (int, error) {
	if q.IsZero() {
		return db.CountRecordings(ctx)
	}
	var n int
	var err error
	if !q.Dated() && db.d.countWords != "" {
		err = db.db.QueryRowContext(ctx, db.q(db.d.countWords), db.d.wordsArg(q.Words)).Scan(&n)
	} else {
		var w where
		db.scope(&w, find.Newest, q)
		err = db.db.QueryRowContext(ctx, db.q(`
			SELECT COUNT(*) FROM (
				SELECT 1 FROM recordings `+db.walkHint(ctx, find.Newest, q)+`
				WHERE `+w.sql()+`
				LIMIT `+strconv.Itoa(find.MaxCount+1)+`) AS found`), w.args...).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("db: count found %q: %w", q.Words, err)
	}
	return n, nil
}

// scope adds to w the conditions that pick the recordings q finds in the
// library, or in Recently deleted for order find.Deleted.
func (db *DB) scope(w *where, o find.Order, q find.Query) {
	if o == find.Deleted {
		w.add(`deleted_at IS NOT NULL`)
		// Recently deleted is not in the full-text index: each word
		// begins a word of the folded title, which is words one space
		// apart. Fold leaves only letters and digits, so no word holds a
		// LIKE wildcard.
		for _, word := range q.Words {
			w.add(`(' ' || search_text) LIKE ?`, "% "+word+"%")
		}
	} else {
		w.add(`deleted_at IS NULL`)
		if len(q.Words) > 0 {
			w.add(db.d.matchWords, db.d.wordsArg(q.Words))
		}
	}
	if q.Dated() {
		w.add(`created_at >= ? AND created_at < ?`, formatTime(q.From), formatTime(q.To))
	}
}

// orderKey is the column order o reads by, and whether it reads it
// from the largest value down.
func orderKey(o find.Order) (column string, desc bool) {
	switch o {
	case find.Oldest:
		return "created_at", false
	case find.Longest:
		return "duration_s", true
	case find.Deleted:
		return "deleted_at", true
	}
	return "created_at", true
}

// cursorKey is the value of c in the column order o reads by.
func cursorKey(o find.Order, c find.Cursor) any {
	switch o {
	case find.Longest:
		return c.Duration
	case find.Deleted:
		return formatTime(c.DeletedAt)
	}
	return formatTime(c.CreatedAt)
}

// where is a WHERE clause built of conditions joined by AND, with their
// arguments in order.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(w.conds, " AND ")
}

// foldTitles fills search_text for the recordings titled before it
// existed (after migration 0009).
func foldTitles(ctx context.Context, db *DB, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, title FROM recordings WHERE title <> ''`)
	if err != nil {
		return fmt.Errorf("fold titles: %w", err)
	}
	type titled struct {
		id    int64
		title string
	}
	var all []titled
	for rows.Next() {
		var t titled
		if err := rows.Scan(&t.id, &t.title); err != nil {
			rows.Close()
			return fmt.Errorf("fold titles: %w", err)
		}
		all = append(all, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("fold titles: %w", err)
	}
	for _, t := range all {
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE recordings SET search_text = ? WHERE id = ?`), find.Fold(t.title), t.id); err != nil {
			return fmt.Errorf("fold title of %d: %w", t.id, err)
		}
	}
	return nil
}
