package library_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/upload"
)

// recoverAll runs RecoverUploads, as a start of the server does, on
// every upload sp holds, and returns how many recordings it made.
func recoverAll(t *testing.T, lib *library.Library, sp *upload.Spooler) int {
	t.Helper()
	var pending []library.PendingUpload
	for _, p := range sp.List() {
		pending = append(pending, library.PendingUpload{ID: p.ID, Touched: p.Touched})
	}
	return lib.RecoverUploads(context.Background(), pending, media.DefaultParams())
}

// uploadSetup is a library with a real upload spooler.
func uploadSetup(t *testing.T) (*library.Library, *upload.Spooler, []byte) {
	t.Helper()
	raw, err := os.ReadFile("../webm/testdata/chromium-440hz.webm")
	if err != nil {
		t.Fatal(err)
	}
	lib, _, _, _ := setup(t)
	sp, err := upload.NewSpooler(filepath.Join(t.TempDir(), "uploads"), 1<<20, 1<<24)
	if err != nil {
		t.Fatal(err)
	}
	lib.Uploads = sp
	return lib, sp, raw
}

func putChunks(t *testing.T, sp *upload.Spooler, id string, from int, chunks ...[]byte) {
	t.Helper()
	for i, chunk := range chunks {
		if _, err := sp.Put(id, from+i, bytes.NewReader(chunk)); err != nil {
			t.Fatal(err)
		}
	}
}

func listAll(t *testing.T, lib *library.Library) []media.Recording {
	t.Helper()
	recs, err := lib.List(context.Background(), 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestRecoverUploads: MediaRecorder takes left on the server by a crash
// (one cut mid-chunk, as a closed tab leaves it, and one empty) become a
// recording titled "Recovered …" and nothing. The first upload stays,
// marked with its recording, for its page to go on with; a second start
// with nothing new makes no second recording.
func TestRecoverUploads(t *testing.T) {
	ctx := context.Background()
	lib, sp, raw := uploadSetup(t)
	if _, err := sp.Begin("test", "cut", "audio/webm;codecs=opus"); err != nil {
		t.Fatal(err)
	}
	// Two chunks, the second ending mid-block: everything but the block cut
	// in two is kept.
	cut := len(raw) * 3 / 4
	putChunks(t, sp, "cut", 0, raw[:len(raw)/2], raw[len(raw)/2:cut])
	if _, err := sp.Begin("test", "empty", "audio/webm;codecs=opus"); err != nil {
		t.Fatal(err)
	}
	if n := len(sp.List()); n != 2 {
		t.Fatalf("%d uploads, want both", n)
	}

	if n := recoverAll(t, lib, sp); n != 1 {
		t.Fatalf("recovered %d, want 1", n)
	}
	recs := listAll(t, lib)
	if len(recs) != 1 {
		t.Fatalf("recordings %+v; want one", recs)
	}
	r := recs[0]
	if at, ok := media.RecoveredAt(r.Title); !ok || at.IsZero() || r.Mode != library.ModeMediaRecorder || r.Duration < 1.0 || r.Duration > 1.6 {
		t.Errorf("recovered %+v: want a ~1.5 s MediaRecorder take titled Recovered <time> UTC", r)
	}
	if opened, err := lib.Open(ctx, r.Filename); err != nil || opened.Meta.Title != r.Title {
		t.Errorf("the file's title: %v, %v; want %q", opened, err, r.Title)
	} else {
		opened.Close()
	}
	left := sp.List()
	if len(left) != 1 || left[0].ID != "cut" {
		t.Fatalf("uploads left: %+v, want the one recovered, for its page", left)
	}
	if st, _ := sp.Status("cut"); st.RecoveredAs != r.Filename || st.RecoveredBytes != int64(cut) || st.Finished {
		t.Errorf("upload after recovery: %+v; want it open, recovered as %s", st, r.Filename)
	}
	if n := recoverAll(t, lib, sp); n != 0 || len(listAll(t, lib)) != 1 {
		t.Errorf("a second start with nothing new made %d recordings", n)
	}
}

// TestRecoveredUploadGoesOn: the page of a take a restart recovered goes
// on uploading and saves: the user ends with one recording, the whole
// take, whether the server restarts once or twice meanwhile, or when it
// was killed after the save but before cleaning up; discarding the take
// deletes the recovered part too.
func TestRecoveredUploadGoesOn(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		restarts int  // starts of the server while the take runs
		discard  bool // the user discards the take at the end
		stuck    bool // killed after the save, before removing the upload
	}{
		{"OneRestart", 1, false, false},
		{"TwoRestarts", 2, false, false},
		{"Discarded", 1, true, false},
		{"KilledAfterSave", 1, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lib, sp, raw := uploadSetup(t)
			full, err := lib.SaveAudio(ctx, raw, "audio/webm", 0, media.DefaultParams(), "")
			if err != nil {
				t.Fatal(err)
			}
			if err := lib.Delete(ctx, full.Filename); err != nil { // only its length was wanted
				t.Fatal(err)
			}
			if _, err := sp.Begin("test", "take", "audio/webm;codecs=opus"); err != nil {
				t.Fatal(err)
			}
			chunks := [][]byte{raw[:len(raw)/3], raw[len(raw)/3 : 2*len(raw)/3], raw[2*len(raw)/3:]}
			next := 0
			var recovered []string
			for range tc.restarts {
				putChunks(t, sp, "take", next, chunks[next])
				next++
				if n := recoverAll(t, lib, sp); n != 1 {
					t.Fatalf("restart %d recovered %d recordings, want 1", next, n)
				}
				recs := listAll(t, lib)
				if len(recs) != 1 {
					t.Fatalf("after restart %d: %d recordings, want the one recovered", next, len(recs))
				}
				recovered = append(recovered, recs[0].Filename)
			}
			putChunks(t, sp, "take", next, chunks[next:]...)
			if tc.discard {
				if err := lib.DiscardUpload(ctx, "take"); err != nil {
					t.Fatal(err)
				}
				if recs := listAll(t, lib); len(recs) != 0 {
					t.Errorf("after discarding the take: %+v, want no recording", recs)
				}
				return
			}
			if tc.stuck {
				lib.Uploads = stuckUploads{sp}
			}
			rec, err := lib.SaveUpload(ctx, "take", 0, media.DefaultParams(), "")
			if err != nil {
				t.Fatal(err)
			}
			if tc.stuck {
				lib.Uploads = sp
				if n := recoverAll(t, lib, sp); n != 0 {
					t.Errorf("the next start recovered %d recordings of a saved take", n)
				}
			}
			recs := listAll(t, lib)
			if len(recs) != 1 || recs[0].Filename != rec.Filename || math.Abs(recs[0].Duration-full.Duration) > 0.001 {
				t.Errorf("recordings %+v; want only %s, the whole %.3f s", recs, rec.Filename, full.Duration)
			}
			for _, name := range recovered {
				if _, err := lib.Get(ctx, name); name != rec.Filename && !errors.Is(err, media.ErrNotFound) {
					t.Errorf("the recovered part %s is still there (%v)", name, err)
				}
			}
			if left := sp.List(); len(left) != 0 {
				t.Errorf("uploads left: %+v", left)
			}
		})
	}
}

// stuckUploads is a spooler that cannot remove uploads: as if the server
// was killed after saving one and before removing it.
type stuckUploads struct{ *upload.Spooler }

func (stuckUploads) Remove(string) error { return errors.New("killed") }

// TestUploadKeptPauses: WebKit records on through a pause. The page sends
// where it paused when the take stops; a save made later without the
// page (from "Unsaved takes") or a recovery after a crash cuts them out as
// the page's own save does, and a take kept without pauses is saved whole.
func TestUploadKeptPauses(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		pauses  bool
		recover bool
	}{
		{"Saved", true, false},
		{"Recovered", true, true},
		{"NoPauses", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			lib, sp, raw := uploadSetup(t)
			if _, err := sp.Begin("test", "take", "audio/webm;codecs=opus"); err != nil {
				t.Fatal(err)
			}
			putChunks(t, sp, "take", 0, raw)
			whole, err := lib.UploadDuration("take")
			if err != nil || whole < 1.5 {
				t.Fatalf("the fixture lasts %.2f s (%v): too short to pause in", whole, err)
			}
			want := whole
			if c.pauses { // 0.4–1.0 s was paused, and recorded on
				pause := []media.Selection{{Start: 400 * time.Millisecond, End: time.Second}}
				if err := sp.SetPauses("take", pause, time.Duration((whole-0.6)*float64(time.Second))); err != nil {
					t.Fatal(err)
				}
				want = whole - 0.6
			}
			var got float64
			if c.recover {
				if n := recoverAll(t, lib, sp); n != 1 {
					t.Fatalf("recovered %d recordings, want 1", n)
				}
				got = listAll(t, lib)[0].Duration
			} else {
				rec, err := lib.SaveUpload(ctx, "take", 0, media.DefaultParams(), "")
				if err != nil {
					t.Fatal(err)
				}
				got = rec.Duration
			}
			if math.Abs(got-want) > 0.03 {
				t.Errorf("saved %.3f s of a %.3f s take; want %.3f s", got, whole, want)
			}
		})
	}
}
