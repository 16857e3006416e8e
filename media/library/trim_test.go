package library_test

import (
	"context"
	"errors"
	"math"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/library"
)

// TestTrim trims a recording of each container in place, then saves a
// selection as new, then undoes the trim: the cut has the selection's
// length within a packet, the original waits in Recently deleted, and
// Undo swaps them back.
func TestTrim(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, path string
		packet     float64 // seconds: the cut's granularity
	}{
		{"webm", "../webm/testdata/chromium-440hz.webm", 0.060},
		{"ogg", "../ogg/testdata/tone-440hz-mono.opus", 0.020},
		{"mp4", "../mp4/testdata/tone-frag.m4a", 1024.0 / 48000},
		{"wav", "", 1.0 / 16000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lib, database, _, recDir := setup(t)
			var orig *media.Recording
			var err error
			if tc.path == "" {
				orig, err = lib.SaveSession(ctx, "session_x", 0, "Standup")
			} else {
				raw, rerr := os.ReadFile(tc.path)
				if rerr != nil {
					t.Fatal(rerr)
				}
				orig, err = lib.SaveAudio(ctx, raw, "", 0, media.DefaultParams(), "Standup")
			}
			if err != nil {
				t.Fatal(err)
			}
			before := files(t, recDir)
			for _, bad := range []media.Selection{
				{Start: time.Second, End: time.Second},
				{Start: time.Second, End: 500 * time.Millisecond},
				{Start: 0, End: 10 * time.Second},
				{Start: 100 * time.Millisecond, End: 105 * time.Millisecond},
			} {
				if _, err := lib.Trim(ctx, orig.Filename, library.TrimRequest{Selection: bad}); !errors.Is(err, media.ErrInvalid) {
					t.Errorf("trim %+v: %v, want refused", bad, err)
				}
			}
			if got := files(t, recDir); !slices.Equal(got, before) {
				t.Fatalf("a refused trim left files: %q, before %q", got, before)
			}

			span := media.Selection{Start: 300 * time.Millisecond, End: 1000 * time.Millisecond}
			cut, err := lib.Trim(ctx, orig.Filename, library.TrimRequest{Selection: span})
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(cut.Duration-0.7) > tc.packet+1e-9 || cut.Title != "Standup" || !cut.CreatedAt.Equal(orig.CreatedAt) ||
				cut.MIME != orig.MIME || cut.Filename == orig.Filename || len(cut.Peaks) != len(orig.Peaks) {
				t.Errorf("trimmed %+v\nfrom %+v", cut, orig)
			}
			if len(orig.Peaks) > 0 && slices.Max(cut.Peaks) < 50 {
				t.Errorf("the trimmed waveform is flat: %v", cut.Peaks)
			}
			stored, err := lib.Open(ctx, cut.Filename)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Meta.TrimmedFrom != orig.Filename || stored.Meta.TakeID != "" || stored.Size != cut.Bytes {
				t.Errorf("trimmed file's metadata %+v (size %d, row %d)", stored.Meta, stored.Size, cut.Bytes)
			}
			stored.Close()
			was, err := database.GetRecording(ctx, orig.Filename)
			if err != nil || was.DeletedAt.IsZero() {
				t.Fatalf("the original after a trim: %+v, %v; want it in Recently deleted", was, err)
			}
			if _, err := lib.Trim(ctx, orig.Filename, library.TrimRequest{Selection: span}); !errors.Is(err, media.ErrConflict) {
				t.Errorf("trimming a recording in Recently deleted: %v", err)
			}

			again, err := lib.Trim(ctx, cut.Filename, library.TrimRequest{
				Selection: media.Selection{Start: 100 * time.Millisecond, End: 400 * time.Millisecond}, AsNew: true, Title: library.TrimmedTitle(cut.Title),
			})
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(again.Duration-0.3) > tc.packet+1e-9 || again.Title != "Standup (trimmed)" {
				t.Errorf("saved as new: %+v", again)
			}
			if still, err := database.GetRecording(ctx, cut.Filename); err != nil || !still.DeletedAt.IsZero() {
				t.Errorf("saving as new moved the source: %+v, %v", still, err)
			}

			if _, err := lib.UndoTrim(ctx, cut.Filename, orig.Filename); err != nil {
				t.Fatal(err)
			}
			back, err := database.GetRecording(ctx, orig.Filename)
			if err != nil || !back.DeletedAt.IsZero() || back.Duration != orig.Duration {
				t.Errorf("the original after Undo: %+v, %v", back, err)
			}
			gone, err := database.GetRecording(ctx, cut.Filename)
			if err != nil || gone.DeletedAt.IsZero() {
				t.Errorf("the trimmed one after Undo: %+v, %v; want it in Recently deleted", gone, err)
			}
		})
	}
}

func TestTrimmedTitle(t *testing.T) {
	long := string(slices.Repeat([]rune{'é'}, media.MaxTitle))
	if got := library.TrimmedTitle(long); len([]rune(got)) != media.MaxTitle {
		t.Errorf("%d characters", len([]rune(got)))
	}
	if got := library.TrimmedTitle("Standup"); got != "Standup (trimmed)" {
		t.Errorf("%q", got)
	}
}

// Five trims of one recording at once (double clicks, two tabs): one
// trims it, the others are refused as conflicts, and one trimmed copy is
// made.
func TestTrimOnceAtATime(t *testing.T) {
	ctx := context.Background()
	lib, database, _, _ := setup(t)
	orig, err := lib.SaveSession(ctx, "session_x", 0, "Standup")
	if err != nil {
		t.Fatal(err)
	}
	span := media.Selection{Start: 200 * time.Millisecond, End: time.Second}
	errs := make(chan error, 5)
	for range 5 {
		go func() {
			_, err := lib.Trim(ctx, orig.Filename, library.TrimRequest{Selection: span})
			errs <- err
		}()
	}
	ok := 0
	for range 5 {
		switch err := <-errs; {
		case err == nil:
			ok++
		case !errors.Is(err, media.ErrConflict):
			t.Errorf("a trim racing another: %v, want a conflict", err)
		}
	}
	n, err := database.CountRecordings(ctx)
	if ok != 1 || err != nil || n != 1 {
		t.Errorf("%d trims went through, %d recordings listed (%v); want 1 and 1", ok, n, err)
	}
}

// TestTrimOnceAcrossNodes: two nodes sharing the store and the index are
// asked to trim the same recording in place at once (a person's double
// submit through a load balancer). One trim stands; the other is told of
// the conflict and leaves nothing behind: one recording in the library,
// the original in Recently deleted, no stray file.
func TestTrimOnceAcrossNodes(t *testing.T) {
	ctx := context.Background()
	nodeA, database, _, recDir := setup(t)
	orig, err := nodeA.SaveSession(ctx, "session_x", 0, "Standup")
	if err != nil {
		t.Fatal(err)
	}
	nodeB := otherNode(nodeA, recDir, time.Hour)
	span := media.Selection{Start: 200 * time.Millisecond, End: time.Second}
	var start sync.WaitGroup
	start.Add(1)
	errs := make(chan error, 2)
	for _, node := range []*library.Library{nodeA, nodeB} {
		go func() {
			start.Wait()
			_, err := node.Trim(ctx, orig.Filename, library.TrimRequest{Selection: span})
			errs <- err
		}()
	}
	start.Done()
	ok := 0
	for range 2 {
		switch err := <-errs; {
		case err == nil:
			ok++
		case !errors.Is(err, media.ErrConflict):
			t.Errorf("a trim racing another node's: %v, want a conflict", err)
		}
	}
	n, err := database.CountRecordings(ctx)
	if ok != 1 || err != nil || n != 1 {
		t.Errorf("%d trims went through, %d recordings listed (%v); want 1 and 1", ok, n, err)
	}
	if got := files(t, recDir); len(got) != 2 {
		t.Errorf("files in the store: %v; want the original and one trim", got)
	}
}
