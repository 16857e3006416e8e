package store

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
)

// TrashPrefix marks a recording moved aside for deletion, in every store.
// ValidName refuses such names, so a file in the trash is never listed or
// served.
const TrashPrefix = ".trash-"

// Staged is a recording moved aside for deletion, by any store. It lets
// the library remove the file and its index row together: the row is
// deleted only once the file is out of the way, and the file comes back
// if the row cannot go. Exactly one of Undo or Done follows.
type Staged interface {
	Name() string
	Undo() error
	Done() error
}

// Removal is a recording moved aside in Dir: the local store's Staged.
type Removal struct {
	store *Store
	name  string
	at    time.Time // when it was moved aside
}

// StageRemove moves a recording aside. Then exactly one of Undo or Done.
func (s *Store) StageRemove(ctx context.Context, filename string) (Staged, error) {
	path, _, err := s.lstat(filename)
	if err != nil {
		return nil, fmt.Errorf("store: remove %q: %w", filename, err)
	}
	trash := filepath.Join(s.Dir, TrashPrefix+filename)
	if err := os.Rename(path, trash); err != nil {
		return nil, fmt.Errorf("store: remove %q: %w", filename, err)
	}
	// A rename keeps the file's time: stamp when it went aside, so a
	// recovery on another node sharing the directory can tell a deletion
	// in flight from one a crash left (see StagedAt).
	now := time.Now() // the file system's clock, not the naming clock s.Now
	if err := os.Chtimes(trash, now, now); err != nil {
		return nil, errors.Join(fmt.Errorf("store: remove %q: %w", filename, err), os.Rename(trash, path))
	}
	if err := media.SyncDir(s.Dir); err != nil {
		return nil, fmt.Errorf("store: remove %q: %w", filename, err)
	}
	return &Removal{store: s, name: filename, at: now}, nil
}

// Undo puts the recording back.
func (r *Removal) Undo() error {
	if err := os.Rename(r.trash(), filepath.Join(r.store.Dir, r.name)); err != nil {
		return fmt.Errorf("store: restore %q: %w", r.name, err)
	}
	return media.SyncDir(r.store.Dir)
}

// Done deletes the recording for good.
func (r *Removal) Done() error {
	if err := os.Remove(r.trash()); err != nil {
		return fmt.Errorf("store: remove %q: %w", r.name, err)
	}
	return media.SyncDir(r.store.Dir)
}

func (r *Removal) trash() string { return filepath.Join(r.store.Dir, TrashPrefix+r.name) }

// Trash lists recordings left moved aside by a crash between staging a
// removal and finishing it, as Removals to Undo or finish with Done.
func (s *Store) Trash(ctx context.Context) ([]Staged, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: list trash: %w", err)
	}
	var out []Staged
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), TrashPrefix)
		if !ok || !ValidName(name) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // settled meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("store: list trash: %w", err)
		}
		out = append(out, &Removal{store: s, name: name, at: info.ModTime()})
	}
	return out, nil
}

// Name is the recording a Removal is about.
func (r *Removal) Name() string { return r.name }

// StagedAt is when the recording was moved aside.
func (r *Removal) StagedAt() time.Time { return r.at }
