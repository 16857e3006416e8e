package disk

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// RemoveStale deletes the files in dir matching pattern (filepath.Match)
// last modified more than olderThan ago, and says how many: temporary
// files of writes a crash cut short. 0 removes them all, at the start of
// the only process using dir; when several share it, olderThan must be
// long enough that none of them can still be writing one.
func RemoveStale(dir, pattern string, olderThan time.Duration) (int, error) {
	paths, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return 0, fmt.Errorf("disk: remove stale %s: %w", pattern, err)
	}
	n := 0
	var errs []error
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() || time.Since(fi.ModTime()) < olderThan {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		n++
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("disk: remove stale %s: %w", pattern, err)
	}
	return n, nil
}
