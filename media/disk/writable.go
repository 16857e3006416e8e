package disk

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/avatarweb/recorder/media"
)

// CheckWritable makes sure files can be written in dir, creating it if
// missing: it creates a probe file, writes a byte, syncs it and removes it.
// Running as root, permissions never stop that, but a read-only mount does;
// and the server would otherwise start and fail every save. A full disk is
// not unwritable: the error then wraps media.ErrDiskFull, for the caller
// to warn about rather than refuse to start (deleting still works).
func CheckWritable(dir string) error {
	fail := func(err error) error {
		if media.IsDiskFull(err) {
			return fmt.Errorf("data directory %s: %w (%w)", dir, media.ErrDiskFull, err)
		}
		return fmt.Errorf("data directory %s is not writable: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	f, err := os.CreateTemp(dir, ".write-probe-*")
	if err != nil {
		return fail(err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write([]byte{0})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Remove(f.Name())
	}
	if err == nil {
		err = media.SyncDir(filepath.Clean(dir))
	}
	if err != nil {
		return fail(err)
	}
	return nil
}
