package library_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/dirstore"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/library"
)

// otherNode is a second library on the same directory and index, as a
// second node sharing them sees it, with the given grace.
func otherNode(lib *library.Library, recDir string, grace time.Duration) *library.Library {
	return &library.Library{
		Store: &dirstore.Store{Dir: recDir}, Index: lib.Index,
		Log: slog.New(slog.DiscardHandler), Grace: grace,
	}
}

// TestRecoverSparesDeletionInFlight: node B has moved a recording aside to
// delete it and not yet deleted its row when node A starts. A's Recover
// must not put the file back (old behaviour: the row still exists, so it
// is restored); B then finishes, and nothing comes back at A's Reconcile.
func TestRecoverSparesDeletionInFlight(t *testing.T) {
	ctx := context.Background()
	nodeB, database, _, recDir := setup(t)
	rec, err := nodeB.SaveSession(ctx, "session_x", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	staged, err := nodeB.Store.StageRemove(ctx, rec.Filename) // B's Delete, first step

	if err != nil {
		t.Fatal(err)
	}
	nodeA := otherNode(nodeB, recDir, time.Hour)
	if err := nodeA.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if err := database.DeleteRecording(ctx, rec.Filename); err != nil { // B's second step
		t.Fatal(err)
	}
	if err := staged.Done(); err != nil { // B's third: fails if A restored the file
		t.Errorf("B could not finish its deletion: %v", err)
	}
	if err := nodeA.Reconcile(ctx, database); err != nil {
		t.Fatal(err)
	}
	if got := files(t, recDir); len(got) != 0 {
		t.Errorf("files left after B deleted the recording: %v", got)
	}
	if _, err := database.GetRecording(ctx, rec.Filename); err == nil {
		t.Errorf("the deleted recording %s came back", rec.Filename)
	}
}

// TestRecoverSettlesOldTrash: with a grace, what a crash left aside longer
// ago than it is settled as before: restored if its row is there, removed
// if not.
func TestRecoverSettlesOldTrash(t *testing.T) {
	ctx := context.Background()
	nodeB, database, sessions, recDir := setup(t)
	kept, err := nodeB.SaveSession(ctx, "session_x", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	sessions.take.TakeID = "take-2"
	gone, err := nodeB.SaveSession(ctx, "session_x", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{kept.Filename, gone.Filename} {
		if _, err := nodeB.Store.StageRemove(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	if err := database.DeleteRecording(ctx, gone.Filename); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	entries, _ := os.ReadDir(recDir)
	for _, e := range entries {
		if err := os.Chtimes(filepath.Join(recDir, e.Name()), old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := otherNode(nodeB, recDir, time.Hour).Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := files(t, recDir), []string{kept.Filename}; !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

// insertAfter runs before (once) ahead of each insert: another node's
// work landing between this node's file and its row.
type insertAfter struct {
	library.Index
	once   sync.Once
	before func()
}

func (r *insertAfter) InsertRecording(ctx context.Context, rec *media.Recording) error {
	r.once.Do(r.before)
	return r.Index.InsertRecording(ctx, rec)
}

// TestReconcileSparesSaveInFlight: node A reconciles between node B
// writing a recording's file and writing its row. Whether A leaves the
// file to B (its grace) or indexes it from the file (no grace), B's save
// succeeds, and the recording has its file and exactly one row. Before,
// with no grace, B took its file back on finding the row taken, leaving A's
// row without a file.
func TestReconcileSparesSaveInFlight(t *testing.T) {
	for _, grace := range []time.Duration{time.Hour, 0} {
		t.Run(grace.String(), func(t *testing.T) {
			ctx := context.Background()
			nodeB, database, sessions, recDir := setup(t)
			sessions.take.TakeID = "take-x"
			nodeA := otherNode(nodeB, recDir, grace)
			nodeB.Index = &insertAfter{Index: database, before: func() {
				if err := nodeA.Reconcile(ctx, database); err != nil {
					t.Error(err)
				}
			}}
			rec, err := nodeB.SaveSession(ctx, "session_x", 0, "")
			if err != nil {
				t.Fatalf("B's save: %v", err)
			}
			if got := files(t, recDir); !slices.Equal(got, []string{rec.Filename}) {
				t.Errorf("files %v, want [%s]", got, rec.Filename)
			}
			rows, err := database.ListRecordings(ctx, 0, 0)
			if err != nil || len(rows) != 1 || rows[0].Filename != rec.Filename || rows[0].Missing {
				t.Errorf("rows %+v, %v; want one for %s", rows, err, rec.Filename)
			}
		})
	}
}
