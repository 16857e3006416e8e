package library_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// leaveSpool writes what a live session leaves on disk when the process
// dies: a sidecar and a spool whose last sample may be cut in half.
func leaveSpool(t *testing.T, dir, id string, seconds float64, extra int) {
	t.Helper()
	pcm := append(media.AppendS16LE(nil, mediatest.Tone(440, 16000, 2, seconds, 0.5)), make([]byte, extra)...)
	path := filepath.Join(dir, id+".pcm")
	if err := os.WriteFile(path, pcm, 0o644); err != nil {
		t.Fatal(err)
	}
	p := media.DefaultParams()
	p.SampleRate, p.Channels = 16000, 2
	if err := media.WriteSpoolMeta(path, media.SpoolMeta{SessionID: id, Params: p, SampleRate: 16000, Channels: 2, StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

func TestRecoverSpools(t *testing.T) {
	ctx := context.Background()
	lib, database, _, _ := setup(t)
	spool := t.TempDir()
	leaveSpool(t, spool, "session_a", 2, 3) // 3 stray bytes: a half-written frame
	leaveSpool(t, spool, "session_b", 0, 0) // died before any audio
	if err := os.WriteFile(filepath.Join(spool, "orphan.pcm"), []byte("no sidecar"), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := lib.RecoverSpools(ctx, spool)
	if err != nil || n != 1 {
		t.Fatalf("recovered %d, %v; want 1", n, err)
	}
	recs, err := database.ListRecordings(ctx, 0, 0)
	if err != nil || len(recs) != 1 {
		t.Fatalf("rows %v, %v", recs, err)
	}
	r := recs[0]
	if r.SessionID != "session_a" || r.Duration != 2 || r.SampleRate != 16000 || r.Channels != 2 ||
		!strings.HasPrefix(r.Title, "Recovered ") || len(r.Peaks) != media.PeakBuckets {
		t.Errorf("recovered row %+v", r)
	}
	var left []string
	entries, _ := os.ReadDir(spool)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if !slices.Equal(left, []string{"orphan.pcm"}) {
		t.Errorf("spool dir after recovery: %v, want only the spool it could not read", left)
	}
}

// TestReconcile: at start, a file without a row gets one, a row without
// a file is flagged missing (and cleared when the file returns), and a
// damaged file is flagged damaged, on either store.
func TestReconcile(t *testing.T) {
	ctx := context.Background()
	forEachStore(t, func(t *testing.T, b *backend) {
		a, err := b.lib.SaveSession(ctx, "session_x", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		// A file with no row (a crash between the file and the row), a
		// damaged one ...
		raw := b.raw(t, a.Filename)
		const unindexed, broken = "recording_20260101_120000.json", "recording_20260101_120001.json"
		b.put(t, unindexed, raw)
		b.put(t, broken, []byte(strings.Replace(string(raw), "UklGR", "XXXXX", 1)))
		// ... and a row with no file.
		if err := b.lib.Store.Remove(ctx, a.Filename); err != nil {
			t.Fatal(err)
		}
		if err := b.lib.Reconcile(ctx, b.db); err != nil {
			t.Fatal(err)
		}
		got, err := b.db.GetRecording(ctx, unindexed)
		if err != nil {
			t.Fatalf("file without a row was not indexed: %v", err)
		}
		if got.Duration != a.Duration || got.SampleRate != a.SampleRate || got.SessionID != a.SessionID || got.Mode != "webrtc" || got.Missing || got.Damaged {
			t.Errorf("row made from the file: %+v, want it to match %+v", got, a)
		}
		if gone, _ := b.db.GetRecording(ctx, a.Filename); gone == nil || !gone.Missing {
			t.Errorf("row without a file: %+v, want it flagged missing", gone)
		}
		if bad, _ := b.db.GetRecording(ctx, broken); bad == nil || !bad.Damaged {
			t.Errorf("damaged file: %+v, want it flagged damaged", bad)
		}
		// The file comes back: the flag clears.
		b.put(t, a.Filename, raw)
		if err := b.lib.Reconcile(ctx, b.db); err != nil {
			t.Fatal(err)
		}
		if back, _ := b.db.GetRecording(ctx, a.Filename); back.Missing {
			t.Error("flag not cleared when the file returned")
		}
		if n, _ := b.db.CountRecordings(ctx); n != 3 {
			t.Errorf("%d rows, want 3", n)
		}
	})
}

// TestReconcileDamaged: a file that fails the cheap check at start is
// flagged damaged with a warning, opening it says so plainly, and the
// flag clears when the file is whole again.
func TestReconcileDamaged(t *testing.T) {
	ctx := context.Background()
	lib, database, _, recDir := setup(t)
	var logs bytes.Buffer
	lib.Log = slog.New(slog.NewTextHandler(&logs, nil))
	a, err := lib.SaveSession(ctx, "session_x", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(recDir, a.Filename)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"cut short", raw[:len(raw)-300]},
		{"no container", append([]byte(`{"audio_data":"AAAAAAAAAAAAAAAA`), raw[len(`{"audio_data":"AAAAAAAAAAAAAAAA`):]...)},
		{"metadata broken", bytes.Replace(raw, []byte(`"timestamp":`), []byte(`"timestamp";`), 1)},
		{"empty", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			if err := os.WriteFile(path, tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := lib.Reconcile(ctx, database); err != nil {
				t.Fatal(err)
			}
			if row, _ := database.GetRecording(ctx, a.Filename); row == nil || !row.Damaged || row.Missing {
				t.Errorf("row %+v, want it flagged damaged", row)
			}
			if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), a.Filename) {
				t.Errorf("no warning:\n%s", logs.String())
			}
			_, err := lib.Open(ctx, a.Filename)
			if !errors.Is(err, media.ErrDamaged) || !strings.Contains(media.Message(err), "damaged") {
				t.Errorf("Open = %v, want a plain ErrDamaged", err)
			}
			if err := os.WriteFile(path, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := lib.Reconcile(ctx, database); err != nil {
				t.Fatal(err)
			}
			if row, _ := database.GetRecording(ctx, a.Filename); row == nil || row.Damaged {
				t.Errorf("row %+v, want the flag cleared", row)
			}
			rec, err := lib.Open(ctx, a.Filename)
			if err != nil {
				t.Fatal(err)
			}
			rec.Close()
		})
	}
}

// TestRecoverInterruptedSave: killed while saving a live take, after its
// recording file was written (with or without its row) and before its
// draft was removed. Recovery finishes that save: one recording, no
// draft, never a "Recovered" copy beside it.
func TestRecoverInterruptedSave(t *testing.T) {
	for _, rowWritten := range []bool{true, false} {
		ctx := context.Background()
		lib, database, sessions, _ := setup(t)
		spool := t.TempDir()
		leaveSpool(t, spool, "session_k", 1, 0)
		meta, err := media.ReadSpoolMeta(filepath.Join(spool, "session_k.json"))
		if err != nil {
			t.Fatal(err)
		}
		meta.TakeID = "take-k"
		if err := media.WriteSpoolMeta(filepath.Join(spool, "session_k.pcm"), meta); err != nil {
			t.Fatal(err)
		}
		take := sessions.take
		take.SessionID, take.TakeID, take.SpoolPath = "session_k", "take-k", filepath.Join(spool, "session_k.pcm")
		take.SampleRate, take.Channels = 16000, 2
		st, _ := os.Stat(take.SpoolPath)
		take.PCMBytes = st.Size()
		sessions.take = take
		rec, err := lib.SaveSession(ctx, "session_k", 0, "") // the fake's Release keeps the draft
		if err != nil {
			t.Fatal(err)
		}
		if !rowWritten {
			if err := database.DeleteRecording(ctx, rec.Filename); err != nil {
				t.Fatal(err)
			}
		}
		if err := lib.Reconcile(ctx, database); err != nil {
			t.Fatal(err)
		}
		n, err := lib.RecoverSpools(ctx, spool)
		if err != nil || n != 0 {
			t.Errorf("row written %v: recovered %d takes (%v), want 0", rowWritten, n, err)
		}
		recs, _ := database.ListRecordings(ctx, 0, 0)
		if len(recs) != 1 || recs[0].Filename != rec.Filename || recs[0].TakeID != "take-k" {
			t.Errorf("row written %v: rows %+v, want only %s", rowWritten, recs, rec.Filename)
		}
		if left, _ := os.ReadDir(spool); len(left) != 0 {
			t.Errorf("row written %v: draft left: %v", rowWritten, left)
		}
	}
}
