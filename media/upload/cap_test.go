package upload_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/upload"
)

// TestCaps: a new take beyond MaxPerClient is ErrTooMany, beyond MaxOpen
// media.ErrBusy; resuming is never refused; a take's place is given back
// when it is removed, expires or fails to be made; takes reloaded at
// start count toward MaxOpen.
func TestCaps(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	s := newSpooler(t, 1<<20, 1<<30)
	s.Now = func() time.Time { return now }
	s.MaxOpen, s.MaxPerClient = 4, 2

	beginAs := func(client, id string) error {
		t.Helper()
		_, err := s.Begin(client, id, webm)
		return err
	}
	for _, id := range []string{"a1", "a2"} {
		if err := beginAs("a", id); err != nil {
			t.Fatal(err)
		}
	}
	err := beginAs("a", "a3")
	if !errors.Is(err, upload.ErrTooMany) || media.Message(err) != "2 uploads in progress from your address already: save or discard one first" {
		t.Fatalf("a's third take: %v (%q), want ErrTooMany", err, media.Message(err))
	}
	if _, err := s.Status("a3"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("a refused take left a trace: %v", err)
	}
	// Resuming is not a new take, whoever asks.
	for _, client := range []string{"a", "b", ""} {
		if err := beginAs(client, "a1"); err != nil {
			t.Errorf("resume a1 as %q: %v", client, err)
		}
	}
	if err := beginAs("b", "b1"); err != nil {
		t.Fatal(err)
	}
	if err := beginAs("", "anon"); err != nil { // "" counts toward MaxOpen only
		t.Fatal(err)
	}
	err = beginAs("c", "c1")
	if !errors.Is(err, media.ErrBusy) || errors.Is(err, upload.ErrTooMany) ||
		media.Message(err) != "the server has too many uploads in progress; try again later" {
		t.Fatalf("a fifth take: %v (%q), want ErrBusy", err, media.Message(err))
	}

	// Removing gives a place back, to the server and to its client.
	if err := s.Remove("a1"); err != nil {
		t.Fatal(err)
	}
	if err := beginAs("a", "a3"); err != nil {
		t.Errorf("after a removal: %v", err)
	}
	// Expiring does too.
	now = now.Add(2 * time.Hour)
	if err := beginAs("a", "a2"); err != nil { // touch a2 so it stays
		t.Fatal(err)
	}
	if n := s.Expire(time.Hour); n != 3 { // a3, b1, anon
		t.Fatalf("Expire removed %d, want 3", n)
	}
	for _, id := range []string{"b2", "b3"} {
		if err := beginAs("b", id); err != nil {
			t.Errorf("after expiry, b begins %s: %v", id, err)
		}
	}
	if err := beginAs("a", "a4"); err != nil {
		t.Errorf("after expiry, a begins a4: %v", err)
	}
	if err := beginAs("a", "a5"); !errors.Is(err, upload.ErrTooMany) {
		t.Errorf("a's third take after expiry: %v, want ErrTooMany", err)
	}

	// After a restart every take on disk counts toward MaxOpen.
	s2, err := upload.NewSpooler(s.Dir, 1<<20, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	s2.MaxOpen, s2.MaxPerClient = 4, 2
	entries, _ := os.ReadDir(s.Dir)
	for i := len(entries); i < 4; i++ {
		if _, err := s2.Begin("e", fmt.Sprint("e", i), webm); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s2.Begin("f", "f1", webm); !errors.Is(err, media.ErrBusy) {
		t.Errorf("after a restart with %d takes on disk: %v, want ErrBusy", len(entries), err)
	}
}

// TestCapsFailedBegin: a take that cannot be made on disk gives its
// place back.
func TestCapsFailedBegin(t *testing.T) {
	s := newSpooler(t, 1<<20, 1<<30)
	s.MaxOpen, s.MaxPerClient = 2, 1
	// A stray directory in the way of take x makes creating it fail.
	if err := os.MkdirAll(filepath.Join(s.Dir, "x", "stray"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Begin("d", "x", webm); err == nil || errors.Is(err, upload.ErrTooMany) || errors.Is(err, media.ErrBusy) {
		t.Fatalf("begin over a stray directory: %v, want a disk error", err)
	}
	if _, err := s.Begin("d", "y", webm); err != nil {
		t.Errorf("d's first real take: %v", err)
	}
	if _, err := s.Begin("e", "z", webm); err != nil {
		t.Errorf("the second take in all: %v", err)
	}
	if _, err := s.Begin("f", "w", webm); !errors.Is(err, media.ErrBusy) {
		t.Errorf("a third take: %v, want ErrBusy", err)
	}
}

// TestCapsConcurrent: many clients beginning at once never get more
// takes than the caps, on disk or in the count.
func TestCapsConcurrent(t *testing.T) {
	const clients, each, perClient, total = 10, 20, 3, 12
	s := newSpooler(t, 1<<20, 1<<30)
	s.MaxOpen, s.MaxPerClient = total, perClient
	var ok atomic.Int32
	var perOK [clients]atomic.Int32
	var wg sync.WaitGroup
	for c := range clients {
		for i := range each {
			wg.Go(func() {
				_, err := s.Begin(fmt.Sprint("client", c), fmt.Sprintf("c%d-%d", c, i), webm)
				switch {
				case err == nil:
					ok.Add(1)
					perOK[c].Add(1)
				case errors.Is(err, upload.ErrTooMany), errors.Is(err, media.ErrBusy):
				default:
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	if n := ok.Load(); n != total {
		t.Errorf("%d takes begun, want %d", n, total)
	}
	for c := range clients {
		if n := perOK[c].Load(); n > perClient {
			t.Errorf("client %d began %d takes, want at most %d", c, n, perClient)
		}
	}
	dirs, err := filepath.Glob(filepath.Join(s.Dir, "c*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != total {
		t.Errorf("%d takes on disk, want %d", len(dirs), total)
	}
}
