package disk_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/disk"
)

func TestCheckWritable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "recordings")
	if err := disk.CheckWritable(dir); err != nil {
		t.Fatal(err)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("probe left %v, %v", entries, err)
	}
	// A file where the directory should be: not writable, and said so.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := disk.CheckWritable(filepath.Join(file, "sub"))
	if err == nil || !strings.Contains(err.Error(), "not writable") || !strings.Contains(err.Error(), file) ||
		errors.Is(err, media.ErrDiskFull) {
		t.Errorf("got %v", err)
	}
}
