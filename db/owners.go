package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/avatarweb/recorder/media"
)

// Shared reports whether the index is one several nodes can share (a
// PostgreSQL database), not a file on this machine.
func (db *DB) Shared() bool { return !db.d.local }

// ClaimSession records that node holds the live session id. An id is
// claimed once: while another node holds it, the claim is refused with an
// error wrapping media.ErrConflict (an offer to this node carrying a
// session id live on another must not take it over). The node holding it
// may claim it again. A claim made before staleBefore is another node's no
// longer (a take lasts -max-take-time, a draft -draft-ttl, so its session
// is long gone, but its node did not say so: it crashed and never came
// back), and may be taken; the zero time keeps every claim.
func (db *DB) ClaimSession(ctx context.Context, sessionID string, node media.Node, staleBefore time.Time) error {
	res, err := db.db.ExecContext(ctx, db.q(`
		INSERT INTO session_owners (session_id, node_id, node_url, claimed_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (session_id) DO UPDATE SET
			node_id    = excluded.node_id,
			node_url   = excluded.node_url,
			claimed_at = excluded.claimed_at
		WHERE session_owners.node_id = excluded.node_id
		   OR session_owners.claimed_at < ?`),
		sessionID, node.ID, node.URL, formatTime(db.now()), formatTime(staleBefore),
	)
	if err != nil {
		return db.full(fmt.Errorf("db: claim session %q: %w", sessionID, err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("db: claim session %q: %w", sessionID, err)
	}
	if n == 0 {
		return fmt.Errorf("db: claim session %q: %w", sessionID,
			media.Conflictf("session %q is being recorded by another server; start a new take", sessionID))
	}
	return nil
}

// SessionOwner returns the node holding the session id; an error wrapping
// media.ErrNotFound if none does.
func (db *DB) SessionOwner(ctx context.Context, sessionID string) (media.Node, error) {
	var n media.Node
	err := db.db.QueryRowContext(ctx, db.q(`
		SELECT node_id, node_url
		FROM session_owners
		WHERE session_id = ?`), sessionID,
	).Scan(&n.ID, &n.URL)
	if errors.Is(err, sql.ErrNoRows) {
		return n, fmt.Errorf("db: session owner %q: %w", sessionID, media.ErrNotFound)
	} else if err != nil {
		return n, fmt.Errorf("db: session owner %q: %w", sessionID, err)
	}
	return n, nil
}

// ReleaseSession forgets that nodeID holds the session id (saved or
// discarded). A claim another node has taken since is left alone.
func (db *DB) ReleaseSession(ctx context.Context, sessionID, nodeID string) error {
	_, err := db.db.ExecContext(ctx, db.q(`
		DELETE FROM session_owners
		WHERE session_id = ? AND node_id = ?`), sessionID, nodeID)
	if err != nil {
		return db.full(fmt.Errorf("db: release session %q: %w", sessionID, err))
	}
	return nil
}

// ReleaseNode forgets every session nodeID held, and says how many: a node
// starting again has none (its takes are recovered from its spool).
func (db *DB) ReleaseNode(ctx context.Context, nodeID string) (int, error) {
	res, err := db.db.ExecContext(ctx, db.q(`
		DELETE FROM session_owners
		WHERE node_id = ?`), nodeID)
	if err != nil {
		return 0, db.full(fmt.Errorf("db: release node %q: %w", nodeID, err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("db: release node %q: %w", nodeID, err)
	}
	return int(n), nil
}
