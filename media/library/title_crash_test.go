package library_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/internal/dirstore"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/store"
)

// stallingStore is a store whose Save stops inside, as a process killed
// mid-save stops: entered is closed when Save is reached, and it returns
// (an error) only once resume is closed.
type stallingStore struct {
	store.Store
	entered, resume chan struct{}
}

func (s stallingStore) Save(ctx context.Context, audio io.Reader, size int64, meta store.Meta) (string, error) {
	close(s.entered)
	<-s.resume
	return "", errors.New("killed")
}

// stallingIndex is an index whose insert stops inside, the same way.
type stallingIndex struct {
	*db.DB
	entered, resume chan struct{}
}

func (s stallingIndex) InsertRecording(ctx context.Context, r *media.Recording) error {
	close(s.entered)
	<-s.resume
	return errors.New("killed")
}

// TestTitleSurvivesACrashMidSave: a save that a crash cuts short kept
// nothing of the title its user gave: the next start recovered the take
// as "Recovered …". The title is now written beside the draft before the
// save begins, and into the recording's file, so recovery keeps it
// whether the crash came before the file was written or between the file
// and its row.
func TestTitleSurvivesACrashMidSave(t *testing.T) {
	const title = "Interview with Ada"
	ctx := context.Background()
	// restart is the next start's recovery, on what the crash left.
	restart := func(t *testing.T, database *db.DB, recDir, spoolDir string) *media.Recording {
		t.Helper()
		next := &library.Library{Store: &dirstore.Store{Dir: recDir}, Index: database, Log: slog.New(slog.DiscardHandler)}
		if err := next.Reconcile(ctx, database); err != nil {
			t.Fatal(err)
		}
		if _, err := next.RecoverSpools(ctx, spoolDir); err != nil {
			t.Fatal(err)
		}
		recs, err := database.ListRecordings(ctx, 0, 0)
		if err != nil || len(recs) != 1 {
			t.Fatalf("after the restart: %v, %v; want one recording", recs, err)
		}
		return &recs[0]
	}
	t.Run("BeforeTheFile", func(t *testing.T) {
		lib, database, sessions, recDir := setup(t)
		sessions.take.TakeID = "take-1"
		stall := stallingStore{Store: lib.Store, entered: make(chan struct{}), resume: make(chan struct{})}
		lib.Store = stall
		done := make(chan struct{})
		go func() { defer close(done); _, _ = lib.SaveSession(ctx, "session_x", 0, title) }()
		<-stall.entered // killed here
		rec := restart(t, database, recDir, filepath.Dir(sessions.take.SpoolPath))
		if rec.Title != title || rec.SessionID != "session_x" {
			t.Errorf("recovered %q (%s), want the title given, %q", rec.Title, rec.SessionID, title)
		}
		close(stall.resume)
		<-done
	})
	t.Run("BetweenTheFileAndTheRow", func(t *testing.T) {
		lib, database, sessions, recDir := setup(t)
		sessions.take.TakeID = "take-1" // as every live take has: saved once
		stall := stallingIndex{DB: database, entered: make(chan struct{}), resume: make(chan struct{})}
		lib.Index = stall
		done := make(chan struct{})
		go func() { defer close(done); _, _ = lib.SaveSession(ctx, "session_x", 0, title) }()
		<-stall.entered // killed here: the file is written, its row is not
		rec := restart(t, database, recDir, filepath.Dir(sessions.take.SpoolPath))
		if rec.Title != title {
			t.Errorf("indexed from its file as %q, want %q", rec.Title, title)
		}
		close(stall.resume)
		<-done
	})
	t.Run("OKTitledAtOnce", func(t *testing.T) {
		lib, database, _, _ := setup(t)
		rec, err := lib.SaveSession(ctx, "session_x", 0, title)
		if err != nil {
			t.Fatal(err)
		}
		row, err := database.GetRecording(ctx, rec.Filename)
		if err != nil || row.Title != title {
			t.Fatalf("row %+v, %v; want titled %q", row, err, title)
		}
		opened, err := lib.Open(ctx, rec.Filename)
		if err != nil {
			t.Fatal(err)
		}
		defer opened.Close()
		if opened.Meta.Title != title {
			t.Errorf("the file's title %q, want %q", opened.Meta.Title, title)
		}
	})
}
