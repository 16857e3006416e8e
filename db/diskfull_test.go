//go:build linux

package db

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/avatarweb/recorder/media"
)

// TestDeleteOnFullDisk: SQLite needs room in its WAL even to delete a row,
// so on a full disk a delete fails with a disk-full error naming the
// database file, unless MakeRoom frees space, when it succeeds.
func TestDeleteOnFullDisk(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=2m"); err != nil {
		t.Skipf("disk-full test skipped: cannot mount a tmpfs (%v); it needs root or CAP_SYS_ADMIN", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	path := filepath.Join(dir, "recorder.db")
	db := mustOpenAt(t, path)
	ctx := context.Background()
	mustInsert(t, db, "a.json", "b.json")
	reserve := filepath.Join(dir, "reserve")
	if err := os.WriteFile(reserve, make([]byte, 64<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, n := range []int{64 << 10, 4 << 10, 1} {
		for {
			if _, err := f.Write(bytes.Repeat([]byte{1}, n)); err != nil {
				break
			}
		}
	}

	err = db.DeleteRecording(ctx, "a.json")
	var pe *fs.PathError
	if !media.IsDiskFull(err) || !errors.As(err, &pe) || pe.Path != path {
		t.Fatalf("delete on a full disk without MakeRoom: %v; want a disk-full error naming %s", err, path)
	}
	if _, err := db.GetRecording(ctx, "a.json"); err != nil {
		t.Errorf("the failed delete removed the row: %v", err)
	}

	calls := 0
	db.MakeRoom = func() bool {
		calls++
		return os.Remove(reserve) == nil
	}
	if err := db.DeleteRecording(ctx, "a.json"); err != nil || calls != 1 {
		t.Fatalf("delete with MakeRoom: %v after %d calls", err, calls)
	}
	if _, err := db.GetRecording(ctx, "a.json"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("row after delete: %v", err)
	}
	// Nothing left to free: the delete fails plainly, the row stays.
	if err := db.DeleteRecording(ctx, "b.json"); err != nil {
		if !media.IsDiskFull(err) || calls != 2 {
			t.Errorf("delete with nothing to free: %v after %d calls", err, calls)
		}
		if _, err := db.GetRecording(ctx, "b.json"); err != nil {
			t.Errorf("row b: %v", err)
		}
	}
}
