package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/avatarweb/recorder/media"
)

// CreateShare records a link to the recording stored under filename,
// identified by s.ID, checked against s.SecretSum, open until s.Expires.
// A recording in Recently deleted, or none under filename, is an error
// wrapping media.ErrNotFound.
func (db *DB) CreateShare(ctx context.Context, filename string, s media.Share) error {
	res, err := db.db.ExecContext(ctx, db.q(`
		INSERT INTO shares (id, recording_id, secret_sum, created_at, expires_at)
		SELECT ?, id, ?, ?, ? FROM recordings
		WHERE filename = ? AND deleted_at IS NULL`),
		s.ID, s.SecretSum, formatTime(db.now()), formatTime(s.Expires), filename)
	if err != nil {
		return db.full(fmt.Errorf("db: share %q: %w", filename, err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("db: share %q: %w", filename, err)
	} else if n == 0 {
		return fmt.Errorf("db: share: %w", media.NotFoundf("no recording named %q", filename))
	}
	return nil
}

// Share returns the link id, with the recording it opens; none is an
// error wrapping media.ErrNotFound.
func (db *DB) Share(ctx context.Context, id string) (media.Share, error) {
	s := media.Share{ID: id}
	var created, expires string
	var revoked, deleted sql.NullString
	err := db.db.QueryRowContext(ctx, db.q(`
		SELECT s.secret_sum, r.filename, s.created_at, s.expires_at, s.revoked_at, r.deleted_at, s.plays
		FROM shares s JOIN recordings r ON r.id = s.recording_id
		WHERE s.id = ?`), id,
	).Scan(&s.SecretSum, &s.Filename, &created, &expires, &revoked, &deleted, &s.Plays)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("db: %w", media.NotFoundf("no such link"))
	} else if err != nil {
		return s, fmt.Errorf("db: share %q: %w", id, err)
	}
	s.Revoked, s.Deleted = revoked.Valid, deleted.Valid
	if s.Created, err = parseTime(created); err == nil {
		s.Expires, err = parseTime(expires)
	}
	if err != nil {
		return s, fmt.Errorf("db: share %q: %w", id, err)
	}
	return s, nil
}

// CountSharePlay counts one playback started from the link id, if it is
// still open.
func (db *DB) CountSharePlay(ctx context.Context, id string) error {
	_, err := db.db.ExecContext(ctx, db.q(`
		UPDATE shares SET plays = plays + 1
		WHERE id = ? AND revoked_at IS NULL AND expires_at > ?`), id, formatTime(db.now()))
	if err != nil {
		return db.full(fmt.Errorf("db: count a play of link %q: %w", id, err))
	}
	return nil
}

// StopSharing revokes every link to the recording stored under filename.
func (db *DB) StopSharing(ctx context.Context, filename string) error {
	if err := db.stopSharing(ctx, db.db, filename); err != nil {
		return db.full(fmt.Errorf("db: stop sharing %q: %w", filename, err))
	}
	return nil
}

// execer is a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (db *DB) stopSharing(ctx context.Context, x execer, filename string) error {
	_, err := x.ExecContext(ctx, db.q(`
		UPDATE shares SET revoked_at = ?
		WHERE revoked_at IS NULL
		  AND recording_id IN (SELECT id FROM recordings WHERE filename = ?)`),
		formatTime(db.now()), filename)
	return err
}

// Sharing returns, for those of filenames that have links open now, what
// their rows say of them.
func (db *DB) Sharing(ctx context.Context, filenames []string) (map[string]media.Sharing, error) {
	out := map[string]media.Sharing{}
	if len(filenames) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(filenames)+1)
	args = append(args, formatTime(db.now()))
	for _, f := range filenames {
		args = append(args, f)
	}
	rows, err := db.db.QueryContext(ctx, db.q(`
		SELECT r.filename, COUNT(*), SUM(s.plays), MAX(s.expires_at)
		FROM shares s JOIN recordings r ON r.id = s.recording_id
		WHERE s.revoked_at IS NULL AND s.expires_at > ?
		  AND r.filename IN (?`+strings.Repeat(", ?", len(filenames)-1)+`)
		GROUP BY r.filename`), args...)
	if err != nil {
		return nil, fmt.Errorf("db: sharing: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var s media.Sharing
		var expires string
		if err := rows.Scan(&name, &s.Links, &s.Plays, &expires); err != nil {
			return nil, fmt.Errorf("db: sharing: %w", err)
		}
		if s.Expires, err = parseTime(expires); err != nil {
			return nil, fmt.Errorf("db: sharing %q: %w", name, err)
		}
		out[name] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: sharing: %w", err)
	}
	return out, nil
}
