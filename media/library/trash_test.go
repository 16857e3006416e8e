package library_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/find"
)

// restoredMeanwhile is a real database in which someone restores each
// recording just before this node's purge deletes its row.
type restoredMeanwhile struct{ *db.DB }

func (r restoredMeanwhile) PurgeRecording(ctx context.Context, filename string, before time.Time) error {
	if _, err := r.DB.RestoreRecording(ctx, filename); err != nil {
		return err
	}
	return r.DB.PurgeRecording(ctx, filename, before)
}

func TestTrashAndPurge(t *testing.T) {
	ctx := context.Background()
	lib, database, sessions, recDir := setup(t)
	day0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	clock := day0
	database.Now = func() time.Time { return clock }
	lib.Now = func() time.Time { return clock }
	old, err := lib.SaveSession(ctx, "session_x", 0, "Old take")
	if err != nil {
		t.Fatal(err)
	}
	sessions.take = newTake(t, t.TempDir())
	clock = day0.Add(time.Second)
	recent, err := lib.SaveSession(ctx, "session_x", 0, "Recent take")
	if err != nil {
		t.Fatal(err)
	}
	library := func() []string {
		t.Helper()
		recs, err := lib.Find(ctx, find.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range recs {
			names = append(names, r.Filename)
		}
		return names
	}

	clock = day0.Add(time.Hour)
	if _, err := lib.Trash(ctx, old.Filename); err != nil {
		t.Fatal(err)
	}
	clock = day0.Add(20 * 24 * time.Hour)
	if _, err := lib.Trash(ctx, recent.Filename); err != nil {
		t.Fatal(err)
	}
	if got := library(); len(got) != 0 {
		t.Fatalf("library after trashing both: %q", got)
	}
	if got := files(t, recDir); len(got) != 2 {
		t.Fatalf("files in Recently deleted went: %q", got)
	}

	t.Run("ErrPurgeInLibrary", func(t *testing.T) {
		if _, err := lib.Restore(ctx, recent.Filename); err != nil {
			t.Fatal(err)
		}
		if err := lib.Purge(ctx, recent.Filename, time.Time{}); !errors.Is(err, media.ErrConflict) {
			t.Fatalf("purge of a recording in the library: %v", err)
		}
		if got := files(t, recDir); len(got) != 2 {
			t.Fatalf("files: %q", got)
		}
		if _, err := lib.Trash(ctx, recent.Filename); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("OKExpiredOnly", func(t *testing.T) {
		clock = day0.Add(31 * 24 * time.Hour)
		n, err := lib.PurgeExpired(ctx, 30*24*time.Hour)
		if err != nil || n != 1 {
			t.Fatalf("purged %d: %v", n, err)
		}
		if got := files(t, recDir); !slices.Equal(got, []string{recent.Filename}) {
			t.Errorf("files %q, want only %s", got, recent.Filename)
		}
		if _, err := database.GetRecording(ctx, old.Filename); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("the purged row: %v", err)
		}
		if n, err := lib.PurgeExpired(ctx, 30*24*time.Hour); err != nil || n != 0 {
			t.Errorf("again: purged %d: %v", n, err)
		}
	})

	t.Run("OKRestoredWhilePurging", func(t *testing.T) {
		lib.Index = restoredMeanwhile{database}
		defer func() { lib.Index = database }()
		err := lib.Purge(ctx, recent.Filename, time.Time{})
		if !errors.Is(err, media.ErrConflict) {
			t.Fatalf("purge of a recording restored meanwhile: %v", err)
		}
		if got := files(t, recDir); !slices.Equal(got, []string{recent.Filename}) {
			t.Errorf("its file did not come back: %q", got)
		}
		if got := library(); !slices.Equal(got, []string{recent.Filename}) {
			t.Errorf("library %q", got)
		}
	})

	t.Run("OKCrashMidPurge", func(t *testing.T) {
		// A purge moved the file aside, then the node died: the row is
		// still in Recently deleted, so the next start puts the file back.
		if _, err := lib.Trash(ctx, recent.Filename); err != nil {
			t.Fatal(err)
		}
		if _, err := lib.Store.StageRemove(ctx, recent.Filename); err != nil {
			t.Fatal(err)
		}
		if err := lib.Recover(ctx); err != nil {
			t.Fatal(err)
		}
		if got := files(t, recDir); !slices.Equal(got, []string{recent.Filename}) {
			t.Errorf("files %q", got)
		}
		if err := lib.Purge(ctx, recent.Filename, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if got := files(t, recDir); len(got) != 0 {
			t.Errorf("Delete forever left %q", got)
		}
	})
}
