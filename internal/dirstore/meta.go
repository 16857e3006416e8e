package dirstore

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/store"
)

// SetMeta rewrites a recording's metadata (its title, say) with edit,
// leaving its audio byte for byte (store.EditMeta). The new file is
// written beside the old one, synced and renamed over it, and the
// directory synced, so a crash leaves the old file or the new, never a
// mix. The caller keeps SetMeta from racing a removal of the same file
// (the library's deletion lock): a rename after a removal would bring the
// file back.
func (s *Store) SetMeta(ctx context.Context, filename string, edit func(*store.Meta)) (err error) {
	f, err := s.open(filename)
	if err != nil {
		return fmt.Errorf("dirstore: set meta %q: %w", filename, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("dirstore: set meta %q: %w", filename, err)
	}
	keep, tail, err := store.EditMeta(f, fi.Size(), edit)
	if err != nil {
		return fmt.Errorf("dirstore: set meta %q: %w", filename, err)
	}
	tmp, err := createTemp(s.Dir)
	if err != nil {
		return fmt.Errorf("dirstore: set meta %q: %w", filename, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, io.NewSectionReader(f, 0, keep)); err != nil {
		return fmt.Errorf("dirstore: set meta %q: %w", filename, err)
	}
	if _, err = tmp.Write(tail); err != nil {
		return fmt.Errorf("dirstore: set meta %q: %w", filename, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("dirstore: set meta %q: %w", filename, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("dirstore: set meta %q: %w", filename, err)
	}
	if err = os.Rename(tmp.Name(), filepath.Join(s.Dir, filename)); err != nil {
		return fmt.Errorf("dirstore: set meta %q: %w", filename, err)
	}
	if err := media.SyncDir(s.Dir); err != nil {
		return fmt.Errorf("dirstore: set meta %q: %w", filename, err)
	}
	return nil
}
