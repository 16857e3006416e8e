package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/avatarweb/recorder/media"
)

// Page sizes for ListRecordings.
const (
	DefaultListLimit = 50  // used when limit <= 0
	MaxListLimit     = 500 // larger limits are cut to this
)

// Recording is the metadata of one saved recording file.
type Recording struct {
	ID         int64
	Filename   string
	CreatedAt  time.Time
	Duration   float64 // seconds
	SampleRate int
	Channels   int
	FPS        int
	BatchSize  int
	Mode       string // "webrtc" or "mediarecorder"
	MIME       string
	Bytes      int64
	SessionID  string
}

// InsertRecording stores r and sets r.ID. A zero r.CreatedAt is set from
// db.Now; either way it is stored, and left in r, as UTC to the millisecond.
// A taken filename returns an error wrapping ErrExists; a mode other than
// "webrtc" or "mediarecorder" one wrapping media.ErrInvalid.
func (db *DB) InsertRecording(ctx context.Context, r *Recording) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: insert recording %q: %w", r.Filename, err)
	}
	defer tx.Rollback()

	if err := db.insertRecording(ctx, tx, r); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: insert recording %q: %w", r.Filename, err)
	}
	return nil
}

func (db *DB) insertRecording(ctx context.Context, tx *sql.Tx, r *Recording) error {
	createdAt := r.CreatedAt
	if createdAt.IsZero() {
		createdAt = db.now()
	}
	createdAt = createdAt.UTC().Truncate(time.Millisecond)

	res, err := tx.ExecContext(ctx, `
		INSERT INTO recordings (
			filename, created_at, duration_s, sample_rate, channels,
			fps, batch_size, mode, mime, bytes, session_id
		) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Filename, formatTime(createdAt), r.Duration, r.SampleRate, r.Channels,
		r.FPS, r.BatchSize, r.Mode, r.MIME, r.Bytes, r.SessionID,
	)
	switch {
	case isUniqueViolation(err):
		return fmt.Errorf("db: insert recording %q: %w", r.Filename, ErrExists)
	case isCheckViolation(err):
		return fmt.Errorf("db: insert recording %q: %w: %w", r.Filename, media.ErrInvalid, err)
	case err != nil:
		return fmt.Errorf("db: insert recording %q: %w", r.Filename, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("db: insert recording %q: %w", r.Filename, err)
	}
	r.ID = id
	r.CreatedAt = createdAt
	return nil
}

// GetRecording returns the recording stored under filename, or an error
// wrapping media.ErrNotFound.
func (db *DB) GetRecording(ctx context.Context, filename string) (*Recording, error) {
	var r Recording
	row := db.db.QueryRowContext(ctx, `
		SELECT id, filename, created_at, duration_s, sample_rate, channels,
		       fps, batch_size, mode, mime, bytes, session_id
		FROM recordings
		WHERE filename = ?`,
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

// ListRecordings returns one page of recordings, newest first. A limit <= 0
// means DefaultListLimit; limits above MaxListLimit are cut to it; a negative
// offset counts as 0. Past the end it returns an empty, non-nil slice.
func (db *DB) ListRecordings(ctx context.Context, limit, offset int) ([]Recording, error) {
	limit = listLimit(limit)
	offset = max(offset, 0)

	rows, err := db.db.QueryContext(ctx, `
		SELECT id, filename, created_at, duration_s, sample_rate, channels,
		       fps, batch_size, mode, mime, bytes, session_id
		FROM recordings
		ORDER BY created_at DESC, id DESC
		LIMIT ? OFFSET ?`,
		limit, offset,
	)
	if err != nil {
		return nil, fmt.Errorf("db: list recordings: %w", err)
	}
	defer rows.Close()

	recs := []Recording{}
	for rows.Next() {
		var r Recording
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

// CountRecordings returns how many recordings are stored.
func (db *DB) CountRecordings(ctx context.Context) (int, error) {
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM recordings`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("db: count recordings: %w", err)
	}
	return n, nil
}

// DeleteRecording removes the recording stored under filename, or returns an
// error wrapping media.ErrNotFound if there is none.
func (db *DB) DeleteRecording(ctx context.Context, filename string) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: delete recording %q: %w", filename, err)
	}
	defer tx.Rollback()

	if err := deleteRecording(ctx, tx, filename); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: delete recording %q: %w", filename, err)
	}
	return nil
}

func deleteRecording(ctx context.Context, tx *sql.Tx, filename string) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM recordings WHERE filename = ?`, filename)
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

// scanRecording scans the columns
//
//	id, filename, created_at, duration_s, sample_rate, channels,
//	fps, batch_size, mode, mime, bytes, session_id
//
// in that order into r.
func scanRecording(s scanner, r *Recording) error {
	var createdAt string
	if err := s.Scan(
		&r.ID, &r.Filename, &createdAt, &r.Duration, &r.SampleRate, &r.Channels,
		&r.FPS, &r.BatchSize, &r.Mode, &r.MIME, &r.Bytes, &r.SessionID,
	); err != nil {
		return err
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
