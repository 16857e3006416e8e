package library_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/upload"
)

// TestRecoverUploads: MediaRecorder takes left on the server by a crash
// (one cut mid-chunk, as a closed tab leaves it, and one empty) become a
// recording titled "Recovered …" and nothing, and no upload is left.
func TestRecoverUploads(t *testing.T) {
	ctx := context.Background()
	raw, err := os.ReadFile("testdata/chromium-440hz.webm")
	if err != nil {
		t.Fatal(err)
	}
	lib, database, _, _ := setup(t)
	sp, err := upload.NewSpooler(filepath.Join(t.TempDir(), "uploads"), 1<<20, 1<<24)
	if err != nil {
		t.Fatal(err)
	}
	lib.Uploads = sp
	if _, err := sp.Begin("test", "cut", "audio/webm;codecs=opus"); err != nil {
		t.Fatal(err)
	}
	// Two chunks, the second ending mid-block: everything but the block cut
	// in two is kept.
	cut := len(raw) * 3 / 4
	for i, chunk := range [][]byte{raw[:len(raw)/2], raw[len(raw)/2 : cut]} {
		if _, err := sp.Put("cut", i, bytes.NewReader(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sp.Begin("test", "empty", "audio/webm;codecs=opus"); err != nil {
		t.Fatal(err)
	}
	var pending []library.PendingUpload
	for _, p := range sp.List() {
		pending = append(pending, library.PendingUpload{ID: p.ID, Touched: p.Touched})
	}
	if len(pending) != 2 {
		t.Fatalf("List = %+v, want both uploads", pending)
	}

	if n := lib.RecoverUploads(ctx, pending, media.DefaultParams()); n != 1 {
		t.Fatalf("recovered %d, want 1", n)
	}
	recs, err := lib.List(ctx, 10, 0)
	if err != nil || len(recs) != 1 {
		t.Fatalf("recordings %+v, %v; want one", recs, err)
	}
	r := recs[0]
	if !strings.HasPrefix(r.Title, "Recovered ") || r.Mode != library.ModeMediaRecorder || r.Duration < 1.0 || r.Duration > 1.6 {
		t.Errorf("recovered %+v: want a ~1.5 s MediaRecorder take titled Recovered …", r)
	}
	if opened, err := lib.Open(ctx, r.Filename); err != nil || opened.Meta.Title != r.Title {
		t.Errorf("the file's title: %v, %v; want %q", opened, err, r.Title)
	} else {
		opened.Close()
	}
	if left := sp.List(); len(left) != 0 {
		t.Errorf("uploads left: %+v", left)
	}
	if n, _ := database.CountRecordings(ctx); n != 1 {
		t.Errorf("%d rows", n)
	}
}
