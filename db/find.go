package db

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

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
	cursor, backward := p.After, false
	if !p.Before.IsZero() {
		cursor, backward = p.Before, true
	}
	var after where // the cursor: where the page starts
	if !cursor.IsZero() {
		op := ">"
		if desc != backward {
			op = "<"
		}
		after.add(`(`+key+`, id) `+op+` (?, ?)`, cursorKey(p.Order, cursor), cursor.ID)
	}
	dir := "ASC"
	if desc != backward {
		dir = "DESC"
	}
	order := key + " " + dir + ", id " + dir
	limit := listLimit(p.Limit)
	pl := db.plan(ctx, p.Order, p.Query)

	// The page's ids first, by what orders them alone, then their rows:
	// sorting whole rows (peaks, waveform) of thousands found would read
	// and move megabytes for a page of 21.
	var recs []media.Recording
	ids, walked, err := db.walk(ctx, pl, p.Query, key, after, order, limit)
	if err == nil && pl.walk && !walked {
		pl, err = db.afterWalk(ctx, pl, p.Query)
	}
	if err == nil && walked {
		recs, err = db.listPage(ctx, `
			SELECT `+recordingColumns+`
			FROM recordings
			WHERE id IN (`+placeholders(len(ids))+`)
			ORDER BY `+order, ids...)
	} else if err == nil {
		var w where
		db.scope(&w, p.Order, p.Query, pl.byRow)
		w.and(after)
		recs, err = db.listPage(ctx, `
			SELECT `+recordingColumns+`
			FROM recordings
			WHERE id IN (
				SELECT id FROM recordings `+pl.indexedBy()+`
				WHERE `+w.sql()+`
				ORDER BY `+order+`
				LIMIT ?)
			ORDER BY `+order, append(w.args, limit)...)
	}
	if err != nil {
		return nil, fmt.Errorf("db: find %q: %w", p.Query.Words, err)
	}
	if backward {
		slices.Reverse(recs)
	}
	return recs, nil
}

// A plan is how SQLite reads a search, picked by plan. PostgreSQL weighs
// all this from its own statistics: its plan is the zero plan.
type plan struct {
	// index is the index to read ("INDEXED BY"), or "" for the planner's
	// pick: SQLite has no statistics on the full-text index to weigh it.
	index string
	// byRow tests the words on each entry of index (its search_text)
	// rather than through the full-text index: for words found so often
	// that listing every match (thousands of row ids) costs more than
	// testing the few entries a page or a count reads.
	byRow bool
	// walk reads the page by walking index in the list's order, testing
	// each entry (byRow), stopping after a page: at most DB.walkSteps
	// entries, after which afterWalk picks another plan (otherwise, or
	// the list of matches sorted).
	walk      bool
	otherwise *plan
	// dateInWalk: index is not ordered by date, so the walk tests each
	// entry's date too.
	dateInWalk bool
}

func (pl plan) indexedBy() string {
	if pl.index == "" {
		return ""
	}
	return "INDEXED BY " + pl.index
}

// defaultWalkSteps bounds a walk: the words of a walk are found 1001
// times or more, so at 100 000 recordings one entry in 100 at least, and
// a page of 21 is ~2100 entries in at most, if the words are spread over
// time. Words bunched where the walk does not reach are then read from
// the full-text index after all (afterWalk): the walk has cost ~1 ms.
const defaultWalkSteps = 4000

// plan picks how SQLite reads the page (or count) of q in order o, from
// counts read from the indexes in about a millisecond: how many
// recordings the words find, up to find.MaxCount + 1, and for a span of
// days read by length, how many recordings it holds, up to the same.
//   - A span of days is a range of the created_at index: read, unless it
//     is wide and read by length, when the length index (which holds
//     created_at) is walked.
//   - Words found at most find.MaxCount times are listed from the
//     full-text index, and each one's keys read from the keys index
//     (dates tested there too), to be sorted: a few hundred index reads.
//   - Words found more often are tested on the entries of the index read
//     (which holds search_text), and the page is read by walking it.
func (db *DB) plan(ctx context.Context, o find.Order, q find.Query) plan {
	if db.d.orderIndex == nil || o == find.Deleted || q.IsZero() {
		return plan{}
	}
	byDate := db.d.orderIndex(find.Newest)
	broad := false
	if len(q.Words) > 0 {
		n, err := db.countWords(ctx, q.Words, find.MaxCount+1)
		if err != nil {
			return plan{} // the plain plan fails as the count did
		}
		broad = n > find.MaxCount
	}
	if len(q.Words) > 0 && !broad {
		return plan{index: db.d.keysIndex}
	}
	if !q.Dated() {
		// Past the walk: the matches listed, testing the order's index
		// against the list.
		otherwise := &plan{index: db.d.orderIndex(o)}
		return plan{index: db.d.orderIndex(o), byRow: true, walk: true, otherwise: otherwise}
	}
	// Past a walk: the rest of the span read, testing each entry.
	inSpan := &plan{index: byDate, byRow: broad}
	if o != find.Longest {
		return plan{index: byDate, byRow: broad, walk: broad, otherwise: inSpan}
	}
	// By length: a narrow span is read whole and sorted; a wide one
	// walked in the length index.
	var span int
	err := db.db.QueryRowContext(ctx, db.q(`
		SELECT COUNT(*) FROM (
			SELECT 1 FROM recordings INDEXED BY `+byDate+`
			WHERE deleted_at IS NULL AND created_at >= ? AND created_at < ?
			LIMIT `+strconv.Itoa(find.MaxCount+1)+`)`),
		formatTime(q.From), formatTime(q.To)).Scan(&span)
	if err != nil {
		return plan{}
	}
	if span <= find.MaxCount {
		return *inSpan
	}
	if broad {
		return plan{index: db.d.orderIndex(o), byRow: true, walk: true, dateInWalk: true, otherwise: inSpan}
	}
	return plan{index: db.d.orderIndex(o)}
}

// walk reads the ids of a page of q by walking pl.index in order from
// the cursor after, testing each entry, up to limit found or walkSteps
// entries read. walked is false when pl is not a walk, or when the walk
// gave up before the page was full and before the index ended: then
// another plan reads the page (afterWalk).
//
// The walk is one statement: the first walkSteps entries in order, as a
// co-routine SQLite reads lazily, and of those the first limit that
// pass. SQLite keeps the inner order for the outer ORDER BY (no sort),
// so the walk stops at the page.
func (db *DB) walk(ctx context.Context, pl plan, q find.Query, key string, after where, order string, limit int) (ids []any, walked bool, err error) {
	if !pl.walk {
		return nil, false, nil
	}
	var w, hit where
	w.add(`deleted_at IS NULL`)
	w.and(after)
	if q.Dated() {
		at := &w // a range of the created_at index
		if pl.dateInWalk {
			at = &hit // tested on each entry, so walkSteps bounds the walk
		}
		at.add(`created_at >= ? AND created_at < ?`, formatTime(q.From), formatTime(q.To))
	}
	wordsByRow(&hit, q.Words)
	steps := strconv.Itoa(db.walkSteps)
	rows, err := db.db.QueryContext(ctx, db.q(`
		SELECT id FROM (
			SELECT id, `+key+`, `+hit.sql()+` AS hit
			FROM recordings `+pl.indexedBy()+`
			WHERE `+w.sql()+`
			ORDER BY `+order+`
			LIMIT `+steps+`)
		WHERE hit
		ORDER BY `+order+`
		LIMIT ?`), append(append(hit.args, w.args...), limit)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, false, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(ids) == limit {
		return ids, true, nil
	}
	// Short of a page: did the walk reach the end of the index?
	var n int
	err = db.db.QueryRowContext(ctx, db.q(`
		SELECT COUNT(*) FROM (
			SELECT 1 FROM recordings `+pl.indexedBy()+`
			WHERE `+w.sql()+`
			LIMIT `+steps+`)`), w.args...).Scan(&n)
	return ids, n < db.walkSteps, err
}

// defaultFewMatches is how many matches of words a walk gave up on are
// listed and sorted (see afterWalk): 5000 keys are read in ~5 ms.
const defaultFewMatches = 5000

// afterWalk is the plan that reads a page the walk of pl gave up on:
// the words are bunched where the walk did not reach (a word of last
// year's titles, read newest first). A span of days is read whole
// (pl.otherwise). Words found at most DB.fewMatches times are listed and
// their keys sorted, as narrow ones are; words found more often are
// listed and the order's index walked, testing each entry against the
// list: the same work as the walk, but against a list rather than the
// title, which is cheaper per entry once it is built.
func (db *DB) afterWalk(ctx context.Context, pl plan, q find.Query) (plan, error) {
	if q.Dated() {
		return *pl.otherwise, nil
	}
	n, err := db.countWords(ctx, q.Words, db.fewMatches+1)
	if err != nil {
		return plan{}, err
	}
	if n <= db.fewMatches {
		return plan{index: db.d.keysIndex}, nil
	}
	return *pl.otherwise, nil
}

// countWords counts the library's recordings the words find, from the
// full-text index alone, up to upTo.
func (db *DB) countWords(ctx context.Context, words []string, upTo int) (int, error) {
	var n int
	if db.d.exactWordsArg != nil && slices.ContainsFunc(words, func(w string) bool {
		return utf8.RuneCountInString(w) > db.d.longPrefix
	}) {
		// What the words themselves find, they begin too: past the cap,
		// that is the count, read without merging the lists of every
		// word they begin.
		err := db.db.QueryRowContext(ctx, db.q(db.d.countWords), db.d.exactWordsArg(words), upTo).Scan(&n)
		if err != nil || n >= upTo {
			return n, err
		}
	}
	err := db.db.QueryRowContext(ctx, db.q(db.d.countWords), db.d.wordsArg(words), upTo).Scan(&n)
	return n, err
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
		n, err = db.countWords(ctx, q.Words, find.MaxCount+1)
	} else {
		pl := db.plan(ctx, find.Newest, q)
		var w where
		db.scope(&w, find.Newest, q, pl.byRow)
		err = db.db.QueryRowContext(ctx, db.q(`
			SELECT COUNT(*) FROM (
				SELECT 1 FROM recordings `+pl.indexedBy()+`
				WHERE `+w.sql()+`
				LIMIT `+strconv.Itoa(find.MaxCount+1)+`) AS found`), w.args...).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("db: count found %q: %w", q.Words, err)
	}
	return n, nil
}

// scope adds to w the conditions that pick the recordings q finds in the
// library, or in Recently deleted for order find.Deleted. byRow tests the
// words on each row's search_text rather than through the full-text
// index (which holds the library only: Recently deleted is always read
// so, being small).
func (db *DB) scope(w *where, o find.Order, q find.Query, byRow bool) {
	if o == find.Deleted {
		w.add(`deleted_at IS NOT NULL`)
		byRow = true
	} else {
		w.add(`deleted_at IS NULL`)
	}
	if byRow {
		wordsByRow(w, q.Words)
	} else if len(q.Words) > 0 {
		w.add(db.d.matchWords, db.d.wordsArg(q.Words))
	}
	if q.Dated() {
		w.add(`created_at >= ? AND created_at < ?`, formatTime(q.From), formatTime(q.To))
	}
}

// wordsByRow adds to w that each word begins a word of search_text,
// tested on the row: the folded title is words one space apart, the
// words the full-text index holds. Fold leaves only letters and digits,
// so no word holds a LIKE wildcard.
func wordsByRow(w *where, words []string) {
	for _, word := range words {
		w.add(`(' ' || search_text) LIKE ?`, "% "+word+"%")
	}
}

// placeholders is n ? placeholders separated by commas.
func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	return strings.Repeat("?, ", n-1) + "?"
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

// and adds the conditions of other to w.
func (w *where) and(other where) {
	w.conds = append(w.conds, other.conds...)
	w.args = append(w.args, other.args...)
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
