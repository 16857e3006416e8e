package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/avatarweb/recorder/media"
)

// TrashRecording moves the recording stored under filename to Recently
// deleted, as of now, and returns it so. Its file stays where it is until
// it is purged. A recording there already stays as it was (deleting twice
// is deleting); none under filename is an error wrapping
// media.ErrNotFound. Its share links are revoked with it, for good:
// restoring it does not open them again.
func (db *DB) TrashRecording(ctx context.Context, filename string) (*media.Recording, error) {
	if _, err := db.trashRecording(ctx, filename); err != nil {
		return nil, db.full(fmt.Errorf("db: move recording %q to Recently deleted: %w", filename, err))
	}
	return db.GetRecording(ctx, filename)
}

// TrashRecordingOnce is TrashRecording for a caller whose move must be
// the only one: a recording not in the library (in Recently deleted
// already, or gone) is an error wrapping media.ErrConflict. A trim in
// place uses it to take the original's place: of two nodes trimming one
// recording at once, one moves it and the other learns it lost.
func (db *DB) TrashRecordingOnce(ctx context.Context, filename string) (*media.Recording, error) {
	moved, err := db.trashRecording(ctx, filename)
	if err != nil {
		return nil, db.full(fmt.Errorf("db: move recording %q to Recently deleted: %w", filename, err))
	}
	if !moved {
		return nil, &media.Error{Kind: media.ErrConflict, Message: "the recording is not in the library any more: it was trimmed or deleted meanwhile"}
	}
	return db.GetRecording(ctx, filename)
}

// trashRecording moves the recording to Recently deleted and revokes its
// share links, and tells whether it was in the library to move.
func (db *DB) trashRecording(ctx context.Context, filename string) (moved bool, err error) {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, db.q(`
		UPDATE recordings SET deleted_at = ?
		WHERE filename = ? AND deleted_at IS NULL`), formatTime(db.now()), filename)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if err := db.stopSharing(ctx, tx, filename); err != nil {
		return false, err
	}
	return n == 1, tx.Commit()
}

// RestoreRecording brings the recording stored under filename back from
// Recently deleted into the library. One in the library already stays
// there; none under filename (purged meanwhile) is an error wrapping
// media.ErrNotFound.
func (db *DB) RestoreRecording(ctx context.Context, filename string) (*media.Recording, error) {
	_, err := db.db.ExecContext(ctx, db.q(`
		UPDATE recordings SET deleted_at = NULL
		WHERE filename = ? AND deleted_at IS NOT NULL`), filename)
	if err != nil {
		return nil, db.full(fmt.Errorf("db: restore recording %q: %w", filename, err))
	}
	return db.GetRecording(ctx, filename)
}

// ExpiredTrash returns the file names of up to limit recordings moved to
// Recently deleted before before, the longest there first: the next ones
// to purge.
func (db *DB) ExpiredTrash(ctx context.Context, before time.Time, limit int) ([]string, error) {
	rows, err := db.db.QueryContext(ctx, db.q(`
		SELECT filename FROM recordings
		WHERE deleted_at IS NOT NULL AND deleted_at < ?
		ORDER BY deleted_at, id
		LIMIT ?`), formatTime(before), listLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("db: list expired trash: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("db: list expired trash: %w", err)
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: list expired trash: %w", err)
	}
	return names, nil
}

// ErrNotDeleted marks a purge of a recording that is not in Recently
// deleted (any more: restored meanwhile, or deleted again later than the
// purge allows): its file must stay. It is a media.ErrConflict.
var ErrNotDeleted = fmt.Errorf("db: the recording is not in Recently deleted: %w", media.ErrConflict)

// PurgeRecording deletes the row of the recording stored under filename
// for good, if it is in Recently deleted and went there before before
// (the zero time: whenever). Otherwise the row stays and the error wraps
// ErrNotDeleted (it is in the library, or went to Recently deleted later)
// or media.ErrNotFound (there is no such row). The caller moves the file
// aside first and decides from the outcome whether it goes or comes back.
// Purging is how space is freed, so on a full disk it asks MakeRoom for
// room and tries again.
func (db *DB) PurgeRecording(ctx context.Context, filename string, before time.Time) error {
	err := db.purgeRecording(ctx, filename, before)
	if db.isFull(err) && db.d.local && db.MakeRoom != nil && db.MakeRoom() {
		err = db.purgeRecording(ctx, filename, before)
	}
	return db.full(err)
}

func (db *DB) purgeRecording(ctx context.Context, filename string, before time.Time) error {
	if before.IsZero() {
		before = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	res, err := db.db.ExecContext(ctx, db.q(`
		DELETE FROM recordings
		WHERE filename = ? AND deleted_at IS NOT NULL AND deleted_at < ?`), filename, formatTime(before))
	if err != nil {
		return fmt.Errorf("db: purge recording %q: %w", filename, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("db: purge recording %q: %w", filename, err)
	} else if n == 1 {
		return nil
	}
	// Nothing deleted: say why.
	var deleted sql.NullString
	err = db.db.QueryRowContext(ctx, db.q(`SELECT deleted_at FROM recordings WHERE filename = ?`), filename).Scan(&deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("db: purge: %w", media.NotFoundf("no recording named %q", filename))
	} else if err != nil {
		return fmt.Errorf("db: purge recording %q: %w", filename, err)
	}
	return fmt.Errorf("purge %q: %w", filename, ErrNotDeleted)
}

// Totals returns the library's storage figures, kept by triggers as
// recordings come and go: reading them costs two rows, however many
// recordings there are.
func (db *DB) Totals(ctx context.Context) (media.Totals, error) {
	var t media.Totals
	rows, err := db.db.QueryContext(ctx, `SELECT in_trash, n, duration_ms, bytes FROM recordings_totals`)
	if err != nil {
		return t, fmt.Errorf("db: totals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var inTrash bool
		var n int
		var ms, bytes int64
		if err := rows.Scan(&inTrash, &n, &ms, &bytes); err != nil {
			return t, fmt.Errorf("db: totals: %w", err)
		}
		if inTrash {
			t.Deleted, t.DeletedBytes = n, bytes
		} else {
			t.Recordings, t.Seconds, t.Bytes = n, float64(ms)/1000, bytes
		}
	}
	if err := rows.Err(); err != nil {
		return t, fmt.Errorf("db: totals: %w", err)
	}
	return t, nil
}
