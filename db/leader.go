package db

import (
	"context"
	"fmt"
)

// Exclusively runs fn if no other node sharing the index is running work
// of that name, and reports whether it ran. With PostgreSQL it holds a
// session advisory lock on its own connection while fn runs: a node that
// dies lets go of it with its connection, so the next run elsewhere goes
// ahead. A SQLite index belongs to one node: fn always runs.
func (db *DB) Exclusively(ctx context.Context, name string, fn func(context.Context) error) (bool, error) {
	if db.d.name != "postgres" {
		return true, fn(ctx)
	}
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("db: lock %q: %w", name, err)
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(hashtext($1))`, name).Scan(&got); err != nil {
		return false, fmt.Errorf("db: lock %q: %w", name, err)
	}
	if !got {
		return false, nil
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext($1))`, name)
	return true, fn(ctx)
}
