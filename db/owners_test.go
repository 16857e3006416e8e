package db

import (
	"context"
	"errors"
	"testing"

	"github.com/avatarweb/recorder/media"
)

func TestSessionOwners(t *testing.T) { forEachBackend(t, testSessionOwners) }

func testSessionOwners(t *testing.T, b backend) {
	ctx := context.Background()
	a := media.Node{ID: "a", URL: "http://10.0.0.1:8080"}
	bn := media.Node{ID: "b", URL: "http://10.0.0.2:8080"}

	t.Run("ClaimAndFind", func(t *testing.T) {
		db := b.MustOpen(t)
		if err := db.ClaimSession(ctx, "session_1", a); err != nil {
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
	t.Run("TakenOver", func(t *testing.T) {
		db := b.MustOpen(t)
		if err := db.ClaimSession(ctx, "session_1", a); err != nil {
			t.Fatal(err)
		}
		if err := db.ClaimSession(ctx, "session_1", bn); err != nil {
			t.Fatal(err)
		}
		// A's late release must not drop B's claim.
		if err := db.ReleaseSession(ctx, "session_1", a.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := db.SessionOwner(ctx, "session_1"); err != nil || got != bn {
			t.Fatalf("SessionOwner = %+v, %v; want %+v", got, err, bn)
		}
		if err := db.ReleaseSession(ctx, "session_1", bn.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SessionOwner(ctx, "session_1"); !errors.Is(err, media.ErrNotFound) {
			t.Fatalf("after release: %v, want ErrNotFound", err)
		}
	})
	t.Run("ReleaseNode", func(t *testing.T) {
		db := b.MustOpen(t)
		for _, id := range []string{"s1", "s2"} {
			if err := db.ClaimSession(ctx, id, a); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.ClaimSession(ctx, "s3", bn); err != nil {
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
