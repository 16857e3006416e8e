package disk_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/disk"
)

func TestSpaceCheck(t *testing.T) {
	var logs bytes.Buffer
	s := &disk.Space{Log: slog.New(slog.NewTextHandler(&logs, nil))}
	full := func(name string) error {
		return fmt.Errorf("store: save: %w", &fs.PathError{Op: "write", Path: name, Err: syscall.ENOSPC})
	}
	t.Run("NotFull", func(t *testing.T) {
		other := errors.New("other")
		if got := s.Check(other); got != other || s.Check(nil) != nil {
			t.Errorf("Check changed an error that is not a full disk: %v", got)
		}
	})
	t.Run("OncePerEpisode", func(t *testing.T) {
		for i := range 5 {
			err := s.Check(full(fmt.Sprintf("/data/f%d", i)))
			if !errors.Is(err, media.ErrDiskFull) || !errors.Is(err, syscall.ENOSPC) ||
				media.Message(err) != media.DiskFullMessage || !disk.Reported(err) {
				t.Fatalf("Check = %v", err)
			}
			if again := s.Check(err); again != err {
				t.Errorf("a checked error was wrapped again: %v", again)
			}
		}
		if n := strings.Count(logs.String(), "level=ERROR"); n != 1 || !strings.Contains(logs.String(), "path=/data/f0") {
			t.Errorf("5 refusals logged %d times:\n%s", n, logs.String())
		}
		s.Saved()
		if !strings.Contains(logs.String(), "refused_while_full=5") {
			t.Errorf("the end of the episode is not logged:\n%s", logs.String())
		}
		s.Check(full("/data/g"))
		if n := strings.Count(logs.String(), "level=ERROR"); n != 2 {
			t.Errorf("a second episode: %d error lines, want 2", n)
		}
	})
	t.Run("Nil", func(t *testing.T) {
		var s *disk.Space
		if err := s.Check(full("/x")); !errors.Is(err, media.ErrDiskFull) || media.Message(err) != media.DiskFullMessage {
			t.Errorf("nil Space: %v", err)
		}
		s.Saved()
		if s.Release() || s.Keep() != nil {
			t.Error("a nil Space released or kept something")
		}
	})
}

func TestSpaceReserve(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "space.reserve")
	s := &disk.Space{Reserve: path, Size: 100 << 10}
	if err := s.Keep(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 100<<10 {
		t.Fatalf("reserve: %v, %v", fi, err)
	}
	if !s.Release() {
		t.Fatal("Release freed nothing")
	}
	if s.Release() {
		t.Error("a second Release freed something")
	}
	s.Saved() // writes the reserve again
	if fi, err := os.Stat(path); err != nil || fi.Size() != 100<<10 {
		t.Errorf("reserve after Saved: %v, %v", fi, err)
	}
	// A short reserve (a crash while writing it) is made whole.
	if err := os.Truncate(path, 10); err != nil {
		t.Fatal(err)
	}
	if err := s.Keep(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Size() != 100<<10 {
		t.Errorf("reserve kept at %d bytes", fi.Size())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
}
