package db

import (
	"context"
	"fmt"
)

// Ping checks that the database answers a query (for /readyz).
func (db *DB) Ping(ctx context.Context) error {
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM migrations`).Scan(&n); err != nil {
		return fmt.Errorf("db: ping: %w", err)
	}
	return nil
}
