package dirstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/store"
)

// Open opens a recording. An invalid name wraps media.ErrInvalid; an absent
// one, or one that is not a regular file (a symbolic link, say), wraps
// media.ErrNotFound; a file that cannot be parsed wraps ErrCorrupt.
//
// Files that start with audio_data (all that Save writes) are never read
// whole: Open reads the first bytes and the tail, and the audio is decoded as
// it is read. Other files, such as the Python seed's, whose key order
// differs, are decoded whole into memory.
func (s *Store) Open(ctx context.Context, filename string) (*store.Recording, error) {
	f, err := s.open(filename)
	if err != nil {
		return nil, fmt.Errorf("dirstore: open %q: %w", filename, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("dirstore: open %q: %w", filename, err)
	}
	rec, err := store.Load(f, fi.Size(), fi.ModTime(), f)
	if err != nil {
		return nil, fmt.Errorf("dirstore: open %q: %w", filename, err)
	}
	rec.Filename = filename
	return rec, nil
}

// OpenFile opens a recording's JSON file as stored, for download, and
// returns its size.
func (s *Store) OpenFile(ctx context.Context, filename string) (io.ReadCloser, int64, error) {
	f, err := s.open(filename)
	if err != nil {
		return nil, 0, fmt.Errorf("dirstore: open %q: %w", filename, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("dirstore: open %q: %w", filename, err)
	}
	return f, st.Size(), nil
}

// open opens the regular file named name in Dir. It checks the file it opened
// is the one lstat saw, so a link swapped in between is not followed.
func (s *Store) open(name string) (*os.File, error) {
	path, want, err := s.lstat(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, media.NotFoundf("no recording named %q", name)
	}
	if err != nil {
		return nil, err
	}
	got, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !os.SameFile(want, got) {
		f.Close()
		return nil, fmt.Errorf("replaced while opening: %w", media.ErrNotFound)
	}
	return f, nil
}
