package dirstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/store"
)

// Removal is a recording moved aside in Dir: the local store's Staged.
type Removal struct {
	s    *Store
	name string
	at   time.Time // when it was moved aside
}

// StageRemove moves a recording aside. Then exactly one of Undo or Done.
func (s *Store) StageRemove(ctx context.Context, filename string) (store.Staged, error) {
	path, _, err := s.lstat(filename)
	if err != nil {
		return nil, fmt.Errorf("dirstore: remove %q: %w", filename, err)
	}
	trash := filepath.Join(s.Dir, store.TrashPrefix+filename)
	if err := os.Rename(path, trash); err != nil {
		return nil, fmt.Errorf("dirstore: remove %q: %w", filename, err)
	}
	// A rename keeps the file's time: stamp when it went aside, so a
	// recovery on another node sharing the directory can tell a deletion
	// in flight from one a crash left (see StagedAt).
	now := time.Now() // the file system's clock, not the naming clock s.Now
	if err := os.Chtimes(trash, now, now); err != nil {
		return nil, errors.Join(fmt.Errorf("dirstore: remove %q: %w", filename, err), os.Rename(trash, path))
	}
	if err := media.SyncDir(s.Dir); err != nil {
		return nil, fmt.Errorf("dirstore: remove %q: %w", filename, err)
	}
	return &Removal{s: s, name: filename, at: now}, nil
}

// Undo puts the recording back.
func (r *Removal) Undo() error {
	if err := os.Rename(r.trash(), filepath.Join(r.s.Dir, r.name)); err != nil {
		return fmt.Errorf("dirstore: restore %q: %w", r.name, err)
	}
	return media.SyncDir(r.s.Dir)
}

// Done deletes the recording for good.
func (r *Removal) Done() error {
	if err := os.Remove(r.trash()); err != nil {
		return fmt.Errorf("dirstore: remove %q: %w", r.name, err)
	}
	return media.SyncDir(r.s.Dir)
}

func (r *Removal) trash() string { return filepath.Join(r.s.Dir, store.TrashPrefix+r.name) }

// Trash lists recordings left moved aside by a crash between staging a
// removal and finishing it, as Removals to Undo or finish with Done.
func (s *Store) Trash(ctx context.Context) ([]store.Staged, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dirstore: list trash: %w", err)
	}
	var out []store.Staged
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), store.TrashPrefix)
		if !ok || !store.ValidName(name) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // settled meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("dirstore: list trash: %w", err)
		}
		out = append(out, &Removal{s: s, name: name, at: info.ModTime()})
	}
	return out, nil
}

// Name is the recording a Removal is about.
func (r *Removal) Name() string { return r.name }

// StagedAt is when the recording was moved aside.
func (r *Removal) StagedAt() time.Time { return r.at }
