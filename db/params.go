package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/avatarweb/recorder/media"
)

// Params returns the saved processing parameters, or media.DefaultParams()
// if none have been saved yet. Format is "" when none was ever chosen (the
// server's default then applies, see settings).
func (db *DB) Params(ctx context.Context) (media.Params, error) {
	var p media.Params
	err := db.db.QueryRowContext(ctx, `
		SELECT fps, batch_size, sample_rate, channels, format
		FROM params
		WHERE id = 1`,
	).Scan(&p.FPS, &p.BatchSize, &p.SampleRate, &p.Channels, &p.Format)
	if errors.Is(err, sql.ErrNoRows) {
		return media.DefaultParams(), nil
	} else if err != nil {
		return media.Params{}, fmt.Errorf("db: get params: %w", err)
	}
	return p, nil
}

// SaveParams stores p as the processing parameters. If p.Validate() refuses
// p, SaveParams writes nothing and returns that error unchanged (it unwraps
// to media.ErrInvalid and is a media.FieldErrors).
func (db *DB) SaveParams(ctx context.Context, p media.Params) error {
	if err := p.Validate(); err != nil {
		return err
	}

	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: save params: %w", err)
	}
	defer tx.Rollback()

	if err := db.upsertParams(ctx, tx, p); err != nil {
		return db.full(err)
	}
	if err := tx.Commit(); err != nil {
		return db.full(fmt.Errorf("db: save params: %w", err))
	}
	return nil
}

func (db *DB) upsertParams(ctx context.Context, tx *sql.Tx, p media.Params) error {
	if _, err := tx.ExecContext(ctx, db.q(`
		INSERT INTO params (id, fps, batch_size, sample_rate, channels, format, updated_at)
		VALUES (1, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			fps         = excluded.fps,
			batch_size  = excluded.batch_size,
			sample_rate = excluded.sample_rate,
			channels    = excluded.channels,
			format      = excluded.format,
			updated_at  = excluded.updated_at`),
		p.FPS, p.BatchSize, p.SampleRate, p.Channels, p.Format, formatTime(db.now()),
	); err != nil {
		return fmt.Errorf("db: save params: %w", err)
	}
	return nil
}
