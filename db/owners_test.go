package db

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

func TestSessionOwners(t *testing.T) { forEachBackend(t, testSessionOwners) }

func testSessionOwners(t *testing.T, b backend) {
	ctx := context.Background()
	a := media.Node{ID: "a", URL: "http://10.0.0.1:8080"}
	bn := media.Node{ID: "b", URL: "http://10.0.0.2:8080"}

	t.Run("ClaimAndFind", func(t *testing.T) {
		db := b.MustOpen(t)
		if err := db.ClaimSession(ctx, "session_1", a, time.Time{}); err != nil {
			t.Fatal(err)
		}
		got, err := db.SessionOwner(ctx, "session_1")
		if err != nil || got != a {
			t.Fatalf("SessionOwner = %+v, %v; want %+v", got, err, a)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		db := b.MustOpen(t)
		if _, err := db.SessionOwner(ctx, "session_none"); !errors.Is(err, media.ErrNotFound) {
			t.Fatalf("SessionOwner of an unknown session: %v, want ErrNotFound", err)
		}
	})
	t.Run("ErrTakeOver", func(t *testing.T) {
		// Issue 16: an offer to node B carrying node A's live session id
		// made B the owner (an upsert), and the victim's save through B
		// then failed. A session id is claimed once.
		db := b.MustOpen(t)
		if err := db.ClaimSession(ctx, "session_1", a, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := db.ClaimSession(ctx, "session_1", bn, time.Time{}); !errors.Is(err, media.ErrConflict) {
			t.Fatalf("B claiming A's session: %v, want ErrConflict", err)
		}
		if got, err := db.SessionOwner(ctx, "session_1"); err != nil || got != a {
			t.Fatalf("SessionOwner = %+v, %v; want A still", got, err)
		}
		// A may claim it again (a new advertise URL, say).
		a2 := media.Node{ID: "a", URL: "http://10.0.0.9:8080"}
		if err := db.ClaimSession(ctx, "session_1", a2, time.Time{}); err != nil {
			t.Fatalf("A claiming its own session again: %v", err)
		}
		// B's release does not drop A's claim.
		if err := db.ReleaseSession(ctx, "session_1", bn.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := db.SessionOwner(ctx, "session_1"); err != nil || got != a2 {
			t.Fatalf("SessionOwner = %+v, %v; want %+v", got, err, a2)
		}
		if err := db.ReleaseSession(ctx, "session_1", a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SessionOwner(ctx, "session_1"); !errors.Is(err, media.ErrNotFound) {
			t.Fatalf("after release: %v, want ErrNotFound", err)
		}
		// Released, the id is free for the next take, on any node.
		if err := db.ClaimSession(ctx, "session_1", bn, time.Time{}); err != nil {
			t.Fatalf("B claiming a released id: %v", err)
		}
	})
	t.Run("StaleClaim", func(t *testing.T) {
		// A node that crashed and never came back leaves its claims: once
		// older than any take and draft could be, they may be taken.
		db := b.MustOpen(t)
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return t0 }
		if err := db.ClaimSession(ctx, "session_1", a, time.Time{}); err != nil {
			t.Fatal(err)
		}
		db.Now = func() time.Time { return t0.Add(29 * time.Hour) }
		if err := db.ClaimSession(ctx, "session_1", bn, t0.Add(-time.Second)); !errors.Is(err, media.ErrConflict) {
			t.Fatalf("a claim younger than staleBefore: %v, want ErrConflict", err)
		}
		if err := db.ClaimSession(ctx, "session_1", bn, t0.Add(time.Second)); err != nil {
			t.Fatalf("a stale claim: %v, want it taken", err)
		}
		if got, err := db.SessionOwner(ctx, "session_1"); err != nil || got != bn {
			t.Fatalf("SessionOwner = %+v, %v; want B", got, err)
		}
	})
	t.Run("ReleaseNode", func(t *testing.T) {
		db := b.MustOpen(t)
		for _, id := range []string{"s1", "s2"} {
			if err := db.ClaimSession(ctx, id, a, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.ClaimSession(ctx, "s3", bn, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if n, err := db.ReleaseNode(ctx, a.ID); err != nil || n != 2 {
			t.Fatalf("ReleaseNode = %d, %v; want 2", n, err)
		}
		if _, err := db.SessionOwner(ctx, "s1"); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("s1 still owned: %v", err)
		}
		if got, err := db.SessionOwner(ctx, "s3"); err != nil || got != bn {
			t.Errorf("s3 = %+v, %v; want B's", got, err)
		}
	})
}
