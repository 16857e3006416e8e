package db

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/find"
)

// Page sizes for ListRecordings.
const (
	DefaultListLimit = 50  // used when limit <= 0
	MaxListLimit     = 500 // larger limits are cut to this
)

// recordingColumns are the columns scanRecording reads, in its order.
const recordingColumns = `id, filename, created_at, duration_s, sample_rate, channels,
	fps, batch_size, mode, mime, bytes, session_id, title, client_duration_s, peaks, missing, damaged,
	COALESCE(take_id, ''), waveform, deleted_at`

// RecordingByTake returns the recording saved from take takeID, or an
// error wrapping media.ErrNotFound.
func (db *DB) RecordingByTake(ctx context.Context, takeID string) (*media.Recording, error) {
	var r media.Recording
	row := db.db.QueryRowContext(ctx, db.q(`
		SELECT `+recordingColumns+`
		FROM recordings
		WHERE take_id = ?`),
		takeID,
	)
	err := scanRecording(row, &r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("db: %w", media.NotFoundf("no recording of take %q", takeID))
	} else if err != nil {
		return nil, fmt.Errorf("db: recording of take %q: %w", takeID, err)
	}
	return &r, nil
}

// InsertRecording stores r and sets r.ID. A zero r.CreatedAt is set from
// db.Now; either way it is stored, and left in r, as UTC to the millisecond.
// A taken filename, or a take saved already, returns an error wrapping
// ErrExists; a mode other than
// "webrtc" or "mediarecorder" one wrapping media.ErrInvalid.
func (db *DB) InsertRecording(ctx context.Context, r *media.Recording) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: insert recording %q: %w", r.Filename, err)
	}
	defer tx.Rollback()

	if err := db.insertRecording(ctx, tx, r); err != nil {
		return db.full(err)
	}
	if err := tx.Commit(); err != nil {
		return db.full(fmt.Errorf("db: insert recording %q: %w", r.Filename, err))
	}
	return nil
}

func (db *DB) insertRecording(ctx context.Context, tx *sql.Tx, r *media.Recording) error {
	createdAt := r.CreatedAt
	if createdAt.IsZero() {
		createdAt = db.now()
	}
	createdAt = createdAt.UTC().Truncate(time.Millisecond)

	var id int64
	err := tx.QueryRowContext(ctx, db.q(`
		INSERT INTO recordings (
			filename, created_at, duration_s, sample_rate, channels,
			fps, batch_size, mode, mime, bytes, session_id, title, client_duration_s, peaks, take_id, waveform,
			search_text
		) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`),
		r.Filename, formatTime(createdAt), r.Duration, r.SampleRate, r.Channels,
		r.FPS, r.BatchSize, r.Mode, r.MIME, r.Bytes, r.SessionID, r.Title,
		nullIfZero(r.ClientDuration), hex.EncodeToString(r.Peaks), sql.NullString{String: r.TakeID, Valid: r.TakeID != ""}, r.Waveform,
		find.SearchText(r.Title),
	).Scan(&id)
	switch {
	case db.isUniqueViolation(err):
		return fmt.Errorf("db: insert recording %q: %w", r.Filename, ErrExists)
	case db.isCheckViolation(err):
		return fmt.Errorf("db: insert recording %q: %w: %w", r.Filename, media.ErrInvalid, err)
	case err != nil:
		return fmt.Errorf("db: insert recording %q: %w", r.Filename, err)
	}
	r.ID = id
	r.CreatedAt = createdAt
	return nil
}

// GetRecording returns the recording stored under filename, in the
// library or in Recently deleted (then its DeletedAt is set), or an error
// wrapping media.ErrNotFound.
func (db *DB) GetRecording(ctx context.Context, filename string) (*media.Recording, error) {
	var r media.Recording
	row := db.db.QueryRowContext(ctx, db.q(`
		SELECT `+recordingColumns+`
		FROM recordings
		WHERE filename = ?`),
		filename,
	)
	err := scanRecording(row, &r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("db: %w", media.NotFoundf("no recording named %q", filename))
	} else if err != nil {
		return nil, fmt.Errorf("db: get recording %q: %w", filename, err)
	}
	return &r, nil
}

// ListOlder returns up to limit recordings of the library (Recently
// deleted aside) that come after c in the list (older), newest first. It
// reads by the (created_at, id) index, so a page
// deep in the list costs what the first does.
func (db *DB) ListOlder(ctx context.Context, c media.Cursor, limit int) ([]media.Recording, error) {
	if c.IsZero() {
		return db.ListRecordings(ctx, limit, 0)
	}
	return db.listPage(ctx, `
		SELECT `+recordingColumns+`
		FROM recordings
		WHERE deleted_at IS NULL AND (created_at, id) < (?, ?)
		ORDER BY created_at DESC, id DESC
		LIMIT ?`, formatTime(c.CreatedAt), c.ID, listLimit(limit))
}

// ListNewer returns up to limit recordings that come just before c in the
// list (newer), newest first: the page before the one that starts at c.
func (db *DB) ListNewer(ctx context.Context, c media.Cursor, limit int) ([]media.Recording, error) {
	recs, err := db.listPage(ctx, `
		SELECT `+recordingColumns+`
		FROM recordings
		WHERE deleted_at IS NULL AND (created_at, id) > (?, ?)
		ORDER BY created_at ASC, id ASC
		LIMIT ?`, formatTime(c.CreatedAt), c.ID, listLimit(limit))
	slices.Reverse(recs)
	return recs, err
}

func (db *DB) listPage(ctx context.Context, query string, args ...any) ([]media.Recording, error) {
	rows, err := db.db.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("db: list recordings: %w", err)
	}
	defer rows.Close()
	recs := []media.Recording{}
	for rows.Next() {
		var r media.Recording
		if err := scanRecording(rows, &r); err != nil {
			return nil, fmt.Errorf("db: list recordings: %w", err)
		}
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: list recordings: %w", err)
	}
	return recs, nil
}

// ListRecordings returns one page of the library's recordings (Recently
// deleted aside), newest first. A limit <= 0
// means DefaultListLimit; limits above MaxListLimit are cut to it; a negative
// offset counts as 0. Past the end it returns an empty, non-nil slice.
func (db *DB) ListRecordings(ctx context.Context, limit, offset int) ([]media.Recording, error) {
	return db.listPage(ctx, `
		SELECT `+recordingColumns+`
		FROM recordings
		WHERE deleted_at IS NULL
		ORDER BY created_at DESC, id DESC
		LIMIT ? OFFSET ?`, listLimit(limit), max(offset, 0))
}

// RenameRecording sets the title of the recording stored under filename.
// Surrounding space is trimmed; a title that is not valid UTF-8, is over
// MaxTitle characters or has control characters is refused.
func (db *DB) RenameRecording(ctx context.Context, filename, title string) error {
	title, err := media.CleanTitle(title)
	if err != nil {
		return err
	}
	res, err := db.db.ExecContext(ctx, db.q(`
		UPDATE recordings SET title = ?, search_text = ?
		WHERE filename = ?`), title, find.SearchText(title), filename)
	if err != nil {
		return db.full(fmt.Errorf("db: rename recording %q: %w", filename, err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("db: rename recording %q: %w", filename, err)
	}
	if n == 0 {
		return fmt.Errorf("db: %w", media.NotFoundf("no recording named %q", filename))
	}
	return nil
}

// SetMissing flags (or clears) a recording whose file is gone.
func (db *DB) SetMissing(ctx context.Context, filename string, missing bool) error {
	_, err := db.db.ExecContext(ctx, db.q(`UPDATE recordings SET missing = ? WHERE filename = ?`), missing, filename)
	if err != nil {
		return db.full(fmt.Errorf("db: flag recording %q: %w", filename, err))
	}
	return nil
}

// SetDamaged flags (or clears) a recording whose file cannot be read.
func (db *DB) SetDamaged(ctx context.Context, filename string, damaged bool) error {
	_, err := db.db.ExecContext(ctx, db.q(`UPDATE recordings SET damaged = ? WHERE filename = ?`), damaged, filename)
	if err != nil {
		return db.full(fmt.Errorf("db: flag recording %q: %w", filename, err))
	}
	return nil
}

// DamagedFilenames returns the file names of the recordings flagged
// damaged, for reconciling.
func (db *DB) DamagedFilenames(ctx context.Context) (map[string]bool, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT filename FROM recordings WHERE damaged`)
	if err != nil {
		return nil, fmt.Errorf("db: list damaged: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("db: list damaged: %w", err)
		}
		out[name] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: list damaged: %w", err)
	}
	return out, nil
}

// Filenames returns every recording's file name and whether it is flagged
// missing, for reconciling the index with the directory.
func (db *DB) Filenames(ctx context.Context) (map[string]bool, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT filename, missing FROM recordings`)
	if err != nil {
		return nil, fmt.Errorf("db: list filenames: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		var missing bool
		if err := rows.Scan(&name, &missing); err != nil {
			return nil, fmt.Errorf("db: list filenames: %w", err)
		}
		out[name] = missing
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: list filenames: %w", err)
	}
	return out, nil
}

func nullIfZero(v float64) sql.NullFloat64 {
	return sql.NullFloat64{Float64: v, Valid: v != 0}
}

// CountRecordings returns how many recordings are in the library (not
// counting those in Recently deleted).
func (db *DB) CountRecordings(ctx context.Context) (int, error) {
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT n FROM recordings_totals WHERE NOT in_trash`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("db: count recordings: %w", err)
	}
	return n, nil
}

// DeleteRecording removes the recording stored under filename, or returns an
// error wrapping media.ErrNotFound if there is none. Deleting is how space
// is freed, so on a full disk it asks MakeRoom for room and tries again.
func (db *DB) DeleteRecording(ctx context.Context, filename string) error {
	err := db.deleteRecordingTx(ctx, filename)
	if db.isFull(err) && db.d.local && db.MakeRoom != nil && db.MakeRoom() {
		err = db.deleteRecordingTx(ctx, filename)
	}
	return db.full(err)
}

func (db *DB) deleteRecordingTx(ctx context.Context, filename string) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: delete recording %q: %w", filename, err)
	}
	defer tx.Rollback()

	if err := db.deleteRecording(ctx, tx, filename); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: delete recording %q: %w", filename, err)
	}
	return nil
}

func (db *DB) deleteRecording(ctx context.Context, tx *sql.Tx, filename string) error {
	res, err := tx.ExecContext(ctx, db.q(`DELETE FROM recordings WHERE filename = ?`), filename)
	if err != nil {
		return fmt.Errorf("db: delete recording %q: %w", filename, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("db: delete recording %q: %w", filename, err)
	}
	if n == 0 {
		return fmt.Errorf("db: %w", media.NotFoundf("no recording named %q", filename))
	}
	return nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// scanRecording scans recordingColumns, in that order, into r.
func scanRecording(s scanner, r *media.Recording) error {
	var createdAt, peaks string
	var clientDuration sql.NullFloat64
	var deletedAt sql.NullString
	if err := s.Scan(
		&r.ID, &r.Filename, &createdAt, &r.Duration, &r.SampleRate, &r.Channels,
		&r.FPS, &r.BatchSize, &r.Mode, &r.MIME, &r.Bytes, &r.SessionID,
		&r.Title, &clientDuration, &peaks, &r.Missing, &r.Damaged, &r.TakeID, &r.Waveform,
		&deletedAt,
	); err != nil {
		return err
	}
	r.DeletedAt = time.Time{}
	if deletedAt.Valid {
		t, err := parseTime(deletedAt.String)
		if err != nil {
			return fmt.Errorf("recording %q: deleted_at: %w", r.Filename, err)
		}
		r.DeletedAt = t
	}
	r.ClientDuration = clientDuration.Float64
	r.Peaks = nil
	if peaks != "" {
		var err error
		if r.Peaks, err = hex.DecodeString(peaks); err != nil {
			return fmt.Errorf("recording %q: peaks: %w", r.Filename, err)
		}
	}
	t, err := parseTime(createdAt)
	if err != nil {
		return fmt.Errorf("recording %q: created_at: %w", r.Filename, err)
	}
	r.CreatedAt = t
	return nil
}

// listLimit applies ListRecordings' default and cap to limit.
func listLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultListLimit
	case limit > MaxListLimit:
		return MaxListLimit
	}
	return limit
}
