package store

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/avatarweb/recorder/media"
)

// SetMeta rewrites a recording's metadata (its title, say) with edit,
// leaving its audio byte for byte. The new file is written beside the old
// one, synced and renamed over it, and the directory synced, so a crash
// leaves the old file or the new, never a mix. Only files in the
// streaming layout (audio_data first, as Save writes them) can be
// rewritten; members Meta does not know are dropped. The caller keeps
// SetMeta from racing a removal of the same file (the library's deletion
// lock): a rename after a removal would bring the file back.
func (s *Store) SetMeta(filename string, edit func(*Meta)) (err error) {
	f, err := s.open(filename)
	if err != nil {
		return fmt.Errorf("store: set meta %q: %w", filename, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: set meta %q: %w", filename, err)
	}
	var head [len(audioPrefix)]byte
	if err := readAt(f, head[:], 0); err != nil || string(head[:]) != audioPrefix {
		return fmt.Errorf("store: set meta %q: not in the streaming layout: %w", filename, ErrCorrupt)
	}
	l, err := locate(f, fi.Size())
	if err != nil {
		return fmt.Errorf("store: set meta %q: %w", filename, err)
	}
	meta := l.meta
	edit(&meta)
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("store: set meta %q: %w", filename, err)
	}

	tmp, err := createTemp(s.Dir)
	if err != nil {
		return fmt.Errorf("store: set meta %q: %w", filename, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, io.NewSectionReader(f, 0, int64(len(audioPrefix))+l.encLen)); err != nil {
		return fmt.Errorf("store: set meta %q: %w", filename, err)
	}
	if _, err = tmp.Write(append([]byte(`",`), metaJSON[1:]...)); err != nil {
		return fmt.Errorf("store: set meta %q: %w", filename, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("store: set meta %q: %w", filename, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("store: set meta %q: %w", filename, err)
	}
	if err = os.Rename(tmp.Name(), filepath.Join(s.Dir, filename)); err != nil {
		return fmt.Errorf("store: set meta %q: %w", filename, err)
	}
	if err := media.SyncDir(s.Dir); err != nil {
		return fmt.Errorf("store: set meta %q: %w", filename, err)
	}
	return nil
}
