package library_test

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/internal/s3store"
	"github.com/avatarweb/recorder/internal/s3store/s3test"
	"github.com/avatarweb/recorder/media/library"
)

// The library on a bucket of a real S3-compatible server: saving,
// deleting, crash recovery and reconciling keep the bucket and the index
// in agreement, as they do the directory (library_test.go, recover_test.go).

// setupS3 is setup with the recordings in a new bucket.
func setupS3(t *testing.T, gw *s3test.Server) (*library.Library, *db.DB, *s3store.Store) {
	t.Helper()
	lib, database, _, _ := setup(t)
	st := gw.NewStore(t, lib.Now)
	lib.Store = st
	return lib, database, st
}

// objects lists the recordings in the bucket.
func objects(t *testing.T, s *s3store.Store) []string {
	t.Helper()
	names, err := s.Names(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

func TestS3Delete(t *testing.T) {
	gw := s3test.Start(t)
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		lib, database, st := setupS3(t, gw)
		rec, err := lib.SaveSession(ctx, "session_x", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := objects(t, st); !slices.Equal(got, []string{rec.Filename}) {
			t.Fatalf("bucket holds %v after saving %s", got, rec.Filename)
		}
		if err := lib.Delete(ctx, rec.Filename); err != nil {
			t.Fatal(err)
		}
		if n, _ := database.CountRecordings(ctx); n != 0 || len(objects(t, st)) != 0 {
			t.Errorf("after delete: %d rows, objects %v", n, objects(t, st))
		}
		if keys, uploads := gw.Keys(t, st.Bucket()); len(keys) != 0 || len(uploads) != 0 {
			t.Errorf("after delete the bucket holds %q, uploads %q", keys, uploads)
		}
	})
	t.Run("ErrIndexFails", func(t *testing.T) {
		lib, database, st := setupS3(t, gw)
		rec, err := lib.SaveSession(ctx, "session_x", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		lib.Index = failingDeletes{database}
		if err := lib.Delete(ctx, rec.Filename); err == nil {
			t.Fatal("deleted although the row could not go")
		}
		if n, _ := database.CountRecordings(ctx); n != 1 || !slices.Equal(objects(t, st), []string{rec.Filename}) {
			t.Errorf("after a failed delete: %d rows, objects %v", n, objects(t, st))
		}
		opened, err := lib.Open(ctx, rec.Filename)
		if err != nil {
			t.Fatalf("recording unreadable after a failed delete: %v", err)
		}
		defer opened.Close()
		if n, err := io.Copy(io.Discard, opened.Audio); err != nil || n != rec.Bytes {
			t.Errorf("read %d of %d bytes: %v", n, rec.Bytes, err)
		}
	})
	t.Run("RowGoneMeanwhile", func(t *testing.T) {
		lib, database, st := setupS3(t, gw)
		rec, err := lib.SaveSession(ctx, "session_x", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		lib.Index = rowGoesFirst{database}
		if err := lib.Delete(ctx, rec.Filename); err != nil {
			t.Fatal(err)
		}
		if err := lib.Recover(ctx); err != nil {
			t.Fatal(err)
		}
		if err := lib.Reconcile(ctx, database); err != nil {
			t.Fatal(err)
		}
		if n, _ := database.CountRecordings(ctx); n != 0 || len(objects(t, st)) != 0 {
			t.Errorf("after delete and a restart: %d rows, objects %v", n, objects(t, st))
		}
	})
	t.Run("FileAlreadyGone", func(t *testing.T) {
		lib, database, st := setupS3(t, gw)
		rec, err := lib.SaveSession(ctx, "session_x", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Remove(ctx, rec.Filename); err != nil {
			t.Fatal(err)
		}
		if err := lib.Delete(ctx, rec.Filename); err != nil {
			t.Fatalf("deleting a row whose object is gone: %v", err)
		}
		if n, _ := database.CountRecordings(ctx); n != 0 {
			t.Error("orphan row left")
		}
	})
}

// TestS3Recover: a crash between moving an object aside and deleting its
// row is settled at the next start, whichever side it stopped on.
func TestS3Recover(t *testing.T) {
	gw := s3test.Start(t)
	ctx := context.Background()
	lib, database, st := setupS3(t, gw)
	sessions := lib.Sessions.(*fakeSessions)
	kept, err := lib.SaveSession(ctx, "session_x", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	sessions.take = newTake(t, t.TempDir())
	st.Now = func() time.Time { return time.Date(2026, 11, 26, 13, 0, 1, 0, time.UTC) }
	gone, err := lib.SaveSession(ctx, "session_x", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.StageRemove(ctx, kept.Filename); err != nil { // crash 1: row never deleted
		t.Fatal(err)
	}
	if _, err := st.StageRemove(ctx, gone.Filename); err != nil { // crash 2: row deleted, object not
		t.Fatal(err)
	}
	if err := database.DeleteRecording(ctx, gone.Filename); err != nil {
		t.Fatal(err)
	}
	if err := lib.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if got := objects(t, st); !slices.Equal(got, []string{kept.Filename}) {
		t.Errorf("after recovery: objects %v, want only %s", got, kept.Filename)
	}
	if keys, _ := gw.Keys(t, st.Bucket()); len(keys) != 1 {
		t.Errorf("after recovery the bucket holds %q", keys)
	}
	if n, _ := database.CountRecordings(ctx); n != 1 {
		t.Errorf("%d rows, want 1", n)
	}
}

// TestS3Reconcile: an object without a row gets one, a row without an
// object is flagged missing (and cleared when it returns), and a damaged
// object is flagged damaged.
func TestS3Reconcile(t *testing.T) {
	gw := s3test.Start(t)
	ctx := context.Background()
	lib, database, st := setupS3(t, gw)
	a, err := lib.SaveSession(ctx, "session_x", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	f, _, err := st.OpenFile(ctx, a.Filename)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	const unindexed, broken = "recording_20260101_120000.json", "recording_20260101_120001.json"
	gw.Put(t, st.Bucket(), "recordings/"+unindexed, raw)
	gw.Put(t, st.Bucket(), "recordings/"+broken, []byte(strings.Replace(string(raw), "UklGR", "XXXXX", 1)))
	if err := st.Remove(ctx, a.Filename); err != nil {
		t.Fatal(err)
	}
	if err := lib.Reconcile(ctx, database); err != nil {
		t.Fatal(err)
	}
	got, err := database.GetRecording(ctx, unindexed)
	if err != nil {
		t.Fatalf("object without a row was not indexed: %v", err)
	}
	if got.Duration != a.Duration || got.SessionID != a.SessionID || got.Missing || got.Damaged {
		t.Errorf("row made from the object: %+v, want it to match %+v", got, a)
	}
	if gone, _ := database.GetRecording(ctx, a.Filename); gone == nil || !gone.Missing {
		t.Errorf("row without an object: %+v, want it flagged missing", gone)
	}
	if bad, _ := database.GetRecording(ctx, broken); bad == nil || !bad.Damaged {
		t.Errorf("damaged object: %+v, want it flagged damaged", bad)
	}
	gw.Put(t, st.Bucket(), "recordings/"+a.Filename, raw)
	if err := lib.Reconcile(ctx, database); err != nil {
		t.Fatal(err)
	}
	if back, _ := database.GetRecording(ctx, a.Filename); back.Missing {
		t.Error("flag not cleared when the object returned")
	}
}
