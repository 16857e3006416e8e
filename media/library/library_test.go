package library_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/internal/dirstore"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/mediatest"
)

// fakeSessions hands out one prepared take.
type fakeSessions struct {
	take     media.Take
	stopErr  error
	released []string
}

func (f *fakeSessions) Stop(id string) (media.Take, error) {
	if f.stopErr != nil {
		return media.Take{}, f.stopErr
	}
	if id != f.take.SessionID {
		return media.Take{}, media.ErrNotFound
	}
	return f.take, nil
}

func (f *fakeSessions) Release(id string) error {
	f.released = append(f.released, id)
	return nil
}

func (f *fakeSessions) Discard(id string) error { return f.Release(id) }

// rowGoesFirst is a real database in which another node deletes each
// row just before this one does.
type rowGoesFirst struct{ *db.DB }

func (r rowGoesFirst) DeleteRecording(ctx context.Context, filename string) error {
	if err := r.DB.DeleteRecording(ctx, filename); err != nil {
		return err
	}
	return r.DB.DeleteRecording(ctx, filename)
}

// failingIndex is a real database whose inserts fail.
type failingIndex struct{ *db.DB }

func (failingIndex) InsertRecording(context.Context, *media.Recording) error {
	return errors.New("disk full")
}

func newTake(t testing.TB, dir string) media.Take {
	t.Helper()
	pcm := media.AppendS16LE(nil, mediatest.Tone(440, 16000, 1, 1.25, 0.5))
	path := filepath.Join(dir, "session_x.pcm")
	if err := os.WriteFile(path, pcm, 0o644); err != nil {
		t.Fatal(err)
	}
	p := media.DefaultParams()
	p.SampleRate = 16000
	return media.Take{
		SessionID: "session_x", SpoolPath: path, SampleRate: 16000, Channels: 1,
		Params: p, PCMBytes: int64(len(pcm)),
	}
}

func setup(t testing.TB) (*library.Library, *db.DB, *fakeSessions, string) {
	t.Helper()
	dir := t.TempDir()
	database, err := db.Open(context.Background(), filepath.Join(dir, "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close() })
	sessions := &fakeSessions{take: newTake(t, dir)}
	recDir := filepath.Join(dir, "recordings")
	lib := &library.Library{
		Store: &dirstore.Store{Dir: recDir}, Index: database, Sessions: sessions,
		Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC) },
	}
	return lib, database, sessions, recDir
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestSaveSession(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		lib, database, sessions, recDir := setup(t)
		ctx := context.Background()
		rec, err := lib.SaveSession(ctx, "session_x", 1.3, "")
		if err != nil {
			t.Fatal(err)
		}
		if rec.Duration != 1.25 || rec.SampleRate != 16000 || rec.Bytes != 44+40000 || rec.Mode != "webrtc" || rec.SessionID != "session_x" {
			t.Errorf("row %+v", rec)
		}
		if len(sessions.released) != 1 {
			t.Errorf("draft not released: %v", sessions.released)
		}
		opened, err := lib.Open(ctx, rec.Filename)
		if err != nil {
			t.Fatal(err)
		}
		defer opened.Close()
		if opened.Meta.Timestamp != "2026-11-26T13:00:00.000Z" || opened.Meta.Stats["client_duration_ms"] != 1300 {
			t.Errorf("meta %+v", opened.Meta)
		}
		wav, _ := io.ReadAll(opened.Audio)
		pcm, _ := os.ReadFile(sessions.take.SpoolPath)
		if string(wav[44:]) != string(pcm) {
			t.Error("saved audio differs from the draft's PCM")
		}
		if got, _ := database.CountRecordings(ctx); got != 1 || len(files(t, recDir)) != 1 {
			t.Errorf("%d rows, files %v", got, files(t, recDir))
		}
	})
	t.Run("ErrIndexFails", func(t *testing.T) {
		lib, database, sessions, recDir := setup(t)
		lib.Index = failingIndex{database}
		if _, err := lib.SaveSession(context.Background(), "session_x", 0, ""); err == nil {
			t.Fatal("saved although the index refused the row")
		}
		if left := files(t, recDir); len(left) != 0 {
			t.Errorf("orphan files left behind: %v", left)
		}
		if len(sessions.released) != 0 {
			t.Error("the draft was released although the save failed: the take would be lost")
		}
		if _, err := os.Stat(sessions.take.SpoolPath); err != nil {
			t.Errorf("draft spool gone: %v", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		lib, database, _, recDir := setup(t)
		if _, err := lib.SaveSession(context.Background(), "session_other", 0, ""); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("unknown session: %v", err)
		}
		if n, _ := database.CountRecordings(context.Background()); n != 0 || len(files(t, recDir)) != 0 {
			t.Error("something was written for an unknown session")
		}
	})
}

func TestOpenOnlyIndexed(t *testing.T) {
	lib, _, _, recDir := setup(t)
	ctx := context.Background()
	// A well-named file the index does not know is not served.
	if err := os.MkdirAll(recDir, 0o755); err != nil {
		t.Fatal(err)
	}
	stray := "recording_20260101_000000.json"
	if err := os.WriteFile(filepath.Join(recDir, stray), []byte(`{"audio_data":""}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Open(ctx, stray); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("unindexed file: %v, want ErrNotFound", err)
	}
	if _, _, err := lib.OpenFile(ctx, stray); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("unindexed file download: %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"../test.db", "recording_x.json", ""} {
		if _, err := lib.Open(ctx, bad); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("Open(%q): %v, want ErrInvalid", bad, err)
		}
		if _, _, err := lib.OpenFile(ctx, bad); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("OpenFile(%q): %v, want ErrInvalid", bad, err)
		}
	}
}

// failingDeletes is a real database whose deletes fail.
type failingDeletes struct{ *db.DB }

func (failingDeletes) DeleteRecording(context.Context, string) error {
	return errors.New("database is locked")
}

// TestDelete: deleting takes the file and the row together on either
// store, and a failure of one leaves both.
func TestDelete(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		test func(t *testing.T, b *backend)
	}{
		{"OK", func(t *testing.T, b *backend) {
			rec, err := b.lib.SaveSession(ctx, "session_x", 0, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := b.held(t); !slices.Equal(got, []string{rec.Filename}) {
				t.Fatalf("the store holds %v after saving %s", got, rec.Filename)
			}
			if err := b.lib.Delete(ctx, rec.Filename); err != nil {
				t.Fatal(err)
			}
			if n, _ := b.db.CountRecordings(ctx); n != 0 || len(b.held(t)) != 0 {
				t.Errorf("after delete: %d rows, the store holds %v", n, b.held(t))
			}
		}},
		{"ErrIndexFails", func(t *testing.T, b *backend) {
			rec, err := b.lib.SaveSession(ctx, "session_x", 0, "")
			if err != nil {
				t.Fatal(err)
			}
			b.lib.Index = failingDeletes{b.db}
			if err := b.lib.Delete(ctx, rec.Filename); err == nil {
				t.Fatal("deleted although the row could not go")
			}
			// Neither an orphan row nor a lost file: both are still there.
			if n, _ := b.db.CountRecordings(ctx); n != 1 || !slices.Equal(b.held(t), []string{rec.Filename}) {
				t.Errorf("after a failed delete: %d rows, the store holds %v", n, b.held(t))
			}
			opened, err := b.lib.Open(ctx, rec.Filename)
			if err != nil {
				t.Fatalf("recording unreadable after a failed delete: %v", err)
			}
			defer opened.Close()
			if n, err := io.Copy(io.Discard, opened.Audio); err != nil || n != rec.Bytes {
				t.Errorf("read %d of %d bytes: %v", n, rec.Bytes, err)
			}
		}},
		{"RowGoneMeanwhile", func(t *testing.T, b *backend) {
			// Another node deletes the row between this one's two steps:
			// the recording is deleted, so the file must not come back.
			rec, err := b.lib.SaveSession(ctx, "session_x", 0, "")
			if err != nil {
				t.Fatal(err)
			}
			b.lib.Index = rowGoesFirst{b.db}
			if err := b.lib.Delete(ctx, rec.Filename); err != nil {
				t.Fatal(err)
			}
			if err := b.lib.Recover(ctx); err != nil {
				t.Fatal(err)
			}
			if err := b.lib.Reconcile(ctx, b.db); err != nil {
				t.Fatal(err)
			}
			if n, _ := b.db.CountRecordings(ctx); n != 0 || len(b.held(t)) != 0 {
				t.Errorf("after delete and a restart: %d rows, the store holds %v", n, b.held(t))
			}
		}},
		{"FileAlreadyGone", func(t *testing.T, b *backend) {
			rec, err := b.lib.SaveSession(ctx, "session_x", 0, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := b.lib.Store.Remove(ctx, rec.Filename); err != nil {
				t.Fatal(err)
			}
			if err := b.lib.Delete(ctx, rec.Filename); err != nil {
				t.Fatalf("deleting a row whose file is gone: %v", err)
			}
			if n, _ := b.db.CountRecordings(ctx); n != 0 {
				t.Error("orphan row left")
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { forEachStore(t, tc.test) })
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		lib, _, _, _ := setup(t)
		if err := lib.Delete(ctx, "recording_20000101_000000.json"); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("unknown: %v", err)
		}
		if err := lib.Delete(ctx, "../test.db"); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("bad name: %v", err)
		}
	})
}

// TestRecover: a crash between moving a file aside and deleting its row
// is settled at the next start, whichever side it stopped on, on either
// store.
func TestRecover(t *testing.T) {
	ctx := context.Background()
	forEachStore(t, func(t *testing.T, b *backend) {
		kept, err := b.lib.SaveSession(ctx, "session_x", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		b.sessions.take = newTake(t, t.TempDir())
		gone, err := b.lib.SaveSession(ctx, "session_x", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		// Crash 1: kept was moved aside, its row never deleted.
		if _, err := b.lib.Store.StageRemove(ctx, kept.Filename); err != nil {
			t.Fatal(err)
		}
		// Crash 2: gone was moved aside and its row deleted, the file not yet.
		if _, err := b.lib.Store.StageRemove(ctx, gone.Filename); err != nil {
			t.Fatal(err)
		}
		if err := b.db.DeleteRecording(ctx, gone.Filename); err != nil {
			t.Fatal(err)
		}
		if err := b.lib.Recover(ctx); err != nil {
			t.Fatal(err)
		}
		if got := b.held(t); !slices.Equal(got, []string{kept.Filename}) {
			t.Errorf("after recovery the store holds %v, want only %s", got, kept.Filename)
		}
		if n, _ := b.db.CountRecordings(ctx); n != 1 {
			t.Errorf("%d rows, want 1", n)
		}
	})
}

// TestRename: a title goes into the row and into the recording's file
// (so the file alone still says what it is), on either store; the audio
// stays as it was.
func TestRename(t *testing.T) {
	ctx := context.Background()
	forEachStore(t, func(t *testing.T, b *backend) {
		lib := b.lib
		rec, err := lib.SaveSession(ctx, "session_x", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := lib.Rename(ctx, rec.Filename, "  Morning take "); err != nil {
			t.Fatal(err)
		}
		if got, _ := lib.Get(ctx, rec.Filename); got.Title != "Morning take" {
			t.Errorf("row title %q", got.Title)
		}
		opened, err := lib.Open(ctx, rec.Filename)
		if err != nil {
			t.Fatal(err)
		}
		defer opened.Close()
		audio, err := io.ReadAll(opened.Audio)
		if opened.Meta.Title != "Morning take" || err != nil || int64(len(audio)) != rec.Bytes {
			t.Errorf("file: title %q, %d bytes of audio (%v), want %d", opened.Meta.Title, len(audio), err, rec.Bytes)
		}
		if err := lib.Rename(ctx, "nope.json", "x"); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("bad name: %v", err)
		}
	})
}
